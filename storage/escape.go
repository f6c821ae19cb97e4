package storage

// The escapes of s3kit's URLs and headers, in one place: SigV4's (keys
// and query components, as the SDK escapes them), Django's
// filepath_to_uri (custom-domain URLs), Python's urlencode (their query),
// and RFC 5987's attr-char (filename* of attachments).

const upperhex = "0123456789ABCDEF"

// unreserved is RFC 3986's unreserved set, the only bytes SigV4 leaves
// unescaped in paths (besides "/") and query components.
var unreserved = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
	}
	return t
}()

// appendEscape appends s with every byte outside keep as %XX (upper-case
// hex), copying runs of kept bytes at once.
func appendEscape(b []byte, s string, keep *[256]bool) []byte {
	for {
		i := 0
		for i < len(s) && keep[s[i]] {
			i++
		}
		b = append(b, s[:i]...)
		if i == len(s) {
			return b
		}
		c := s[i]
		b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		s = s[i+1:]
	}
}

// pathSafe is unreserved plus "/": what the SDK leaves unescaped in S3
// keys (httpbinding.EscapePath with "/" kept).
var pathSafe = func() (t [256]bool) {
	t = unreserved
	t['/'] = true
	return t
}()

// appendPathEscape appends key escaped as the SDK escapes S3 keys.
func appendPathEscape(b []byte, key string) []byte { return appendEscape(b, key, &pathSafe) }

// appendQueryEscape appends s escaped as a SigV4 query component: every
// byte outside the unreserved set as %XX, a space as %20.
func appendQueryEscape(b []byte, s string) []byte { return appendEscape(b, s, &unreserved) }

// queryEscape is appendQueryEscape as a string; it returns s itself when
// nothing needs escaping.
func queryEscape(s string) string {
	for i := 0; i < len(s); i++ {
		if !unreserved[s[i]] {
			return string(appendQueryEscape(make([]byte, 0, len(s)+16), s))
		}
	}
	return s
}

// appendFilepathToURI appends s escaped as Django's filepath_to_uri
// escapes a path: A-Za-z0-9 and _.-~/!*()' kept, every other byte of the
// UTF-8 encoding as %XX.
func appendFilepathToURI(b []byte, s string) []byte { return appendEscape(b, s, &uriSafe) }

var uriSafe = func() (t [256]bool) {
	t = unreserved
	for _, c := range "/!*()'" {
		t[c] = true
	}
	return t
}()

// appendFormEscape appends s escaped as Python's urlencode (quote_plus)
// and Go's url.QueryEscape do: a space as "+", the unreserved set kept.
func appendFormEscape(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case unreserved[c]:
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return b
}

// attrChars is RFC 5987's attr-char: the bytes filename* keeps as they are.
var attrChars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
	}
	for _, c := range "!#$&+-.^_`|~" {
		t[c] = true
	}
	return t
}()
