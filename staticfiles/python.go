package staticfiles

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reproduces the few Python functions whose exact behaviour
// decides the names Django's ManifestStaticFilesStorage writes:
// urllib.parse.unquote, urlsplit, urldefrag, posixpath.normpath, join,
// split and splitext, str.strip and the \s class of re. Each follows
// CPython 3.11's source; the tests pin the cases that differ from Go's
// own net/url and path.

// isPySpace reports whether r is in Python's \s (str.isspace): Go's
// unicode.IsSpace plus the four information separators U+001C..U+001F.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// skipSpace returns the index after the run of Python whitespace that
// starts at i.
func skipSpace(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isPySpace(r) {
			break
		}
		i += n
	}
	return i
}

// pyStrip is Python's str.strip() without arguments.
func pyStrip(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

// unhex returns the value of an ASCII hex digit, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// pyUnquote is urllib.parse.unquote(s): %XX escapes become bytes, each
// run of them decoded as UTF-8 with invalid bytes replaced by U+FFFD;
// a '%' not followed by two hex digits stays as it is.
func pyUnquote(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	var raw []byte // pending bytes of an ASCII run, escapes decoded
	flush := func() {
		if len(raw) > 0 {
			b.WriteString(decodeReplace(raw))
			raw = raw[:0]
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			// A non-ASCII character ends the ASCII run, as in CPython,
			// which splits the string into ASCII and non-ASCII parts.
			flush()
			_, n := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[i : i+n])
			i += n
		case c == '%' && i+2 < len(s) && unhex(s[i+1]) >= 0 && unhex(s[i+2]) >= 0:
			raw = append(raw, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
			i += 3
		default:
			raw = append(raw, c)
			i++
		}
	}
	flush()
	return b.String()
}

// decodeReplace decodes b as UTF-8 the way Python's
// bytes.decode("utf-8", "replace") does: each maximal ill-formed
// subsequence becomes one U+FFFD.
func decodeReplace(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var out strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError || n > 1 {
			out.WriteString(string(b[:n]))
			b = b[n:]
			continue
		}
		out.WriteRune(utf8.RuneError)
		b = b[maximalSubpart(b):]
	}
	return out.String()
}

// maximalSubpart returns how many bytes at the start of b (which does not
// begin with a valid UTF-8 sequence) form one ill-formed subsequence: the
// longest prefix of a valid sequence, at least one byte.
func maximalSubpart(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF) // the range of the second byte
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		x := b[n]
		if k == 0 && (x < lo || x > hi) || k > 0 && (x < 0x80 || x > 0xBF) {
			break
		}
		n++
	}
	return n
}

// splitURL is the result of urlsplit.
type splitURL struct {
	scheme, netloc, path, query, fragment string
}

// schemeChars are the characters urlsplit accepts in a scheme.
const schemeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-."

// pyURLSplit is urllib.parse.urlsplit(s) (CPython 3.11, with the
// WHATWG stripping of leading C0 controls and spaces and the removal of
// tabs and newlines).
func pyURLSplit(s string) splitURL {
	s = strings.TrimLeft(s, c0OrSpace)
	if strings.ContainsAny(s, "\t\r\n") {
		s = unsafeURLBytes.Replace(s)
	}
	var u splitURL
	if i := strings.IndexByte(s, ':'); i > 0 && s[0] < utf8.RuneSelf && isASCIILetter(s[0]) {
		ok := true
		for _, c := range []byte(s[:i]) {
			if !strings.ContainsRune(schemeChars, rune(c)) {
				ok = false
				break
			}
		}
		if ok {
			u.scheme, s = strings.ToLower(s[:i]), s[i+1:]
		}
	}
	if strings.HasPrefix(s, "//") {
		end := len(s)
		for _, c := range "/?#" {
			if k := strings.IndexRune(s[2:], c); k >= 0 && k+2 < end {
				end = k + 2
			}
		}
		u.netloc, s = s[2:end], s[end:]
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s, u.fragment = s[:i], s[i+1:]
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s, u.query = s[:i], s[i+1:]
	}
	u.path = s
	return u
}

// unsafeURLBytes removes what urlsplit removes anywhere in a URL.
var unsafeURLBytes = strings.NewReplacer("\t", "", "\r", "", "\n", "")

// c0OrSpace is what urlsplit strips from the start of a URL.
const c0OrSpace = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f" +
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// usesNetloc are the schemes urlunsplit gives a "//" even without a host.
var usesNetloc = map[string]bool{
	"": true, "ftp": true, "http": true, "gopher": true, "nntp": true, "telnet": true,
	"imap": true, "wais": true, "file": true, "mms": true, "https": true, "shttp": true,
	"snews": true, "prospero": true, "rtsp": true, "rtspu": true, "rsync": true,
	"svn": true, "svn+ssh": true, "sftp": true, "nfs": true, "git": true, "git+ssh": true,
	"ws": true, "wss": true,
}

// unsplit is urllib.parse.urlunsplit.
func (u splitURL) unsplit() string {
	s := u.path
	if u.netloc != "" || (u.scheme != "" && usesNetloc[u.scheme] && !strings.HasPrefix(s, "//")) {
		if s != "" && s[0] != '/' {
			s = "/" + s
		}
		s = "//" + u.netloc + s
	}
	if u.scheme != "" {
		s = u.scheme + ":" + s
	}
	if u.query != "" {
		s += "?" + u.query
	}
	if u.fragment != "" {
		s += "#" + u.fragment
	}
	return s
}

// usesParams are the schemes whose last path segment urlparse splits at
// ';'.
var usesParams = map[string]bool{
	"": true, "ftp": true, "hdl": true, "prospero": true, "http": true, "imap": true,
	"https": true, "shttp": true, "rtsp": true, "rtspu": true, "sip": true, "sips": true,
	"mms": true, "sftp": true, "tel": true,
}

// pyURLDefrag is urllib.parse.urldefrag(s): the URL without its
// fragment, rebuilt by urlunparse (so "a.png?#x" loses its empty query
// and "a;#x" its empty parameters), and the fragment.
func pyURLDefrag(s string) (defrag, fragment string) {
	if !strings.Contains(s, "#") {
		return s, ""
	}
	u := pyURLSplit(s)
	fragment, u.fragment = u.fragment, ""
	if usesParams[u.scheme] && strings.Contains(u.path, ";") {
		i := strings.IndexByte(u.path[strings.LastIndexByte(u.path, '/')+1:], ';')
		if i >= 0 {
			i += strings.LastIndexByte(u.path, '/') + 1
			if params := u.path[i+1:]; params == "" {
				u.path = u.path[:i] // urlunparse drops empty parameters
			}
		}
	}
	return u.unsplit(), fragment
}

// pyNormpath is posixpath.normpath.
func pyNormpath(p string) string {
	if p == "" {
		return "."
	}
	initial := 0
	if strings.HasPrefix(p, "/") {
		initial = 1
		if strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "///") {
			initial = 2
		}
	}
	var comps []string
	for _, c := range strings.Split(p, "/") {
		switch {
		case c == "" || c == ".":
		case c != ".." || (initial == 0 && len(comps) == 0) || (len(comps) > 0 && comps[len(comps)-1] == ".."):
			comps = append(comps, c)
		case len(comps) > 0:
			comps = comps[:len(comps)-1]
		}
	}
	out := strings.Repeat("/", initial) + strings.Join(comps, "/")
	if out == "" {
		return "."
	}
	return out
}

// pyJoin is posixpath.join(a, b).
func pyJoin(a, b string) string {
	switch {
	case strings.HasPrefix(b, "/"):
		return b
	case a == "" || strings.HasSuffix(a, "/"):
		return a + b
	}
	return a + "/" + b
}

// pySplit is posixpath.split.
func pySplit(p string) (head, tail string) {
	i := strings.LastIndexByte(p, '/') + 1
	head, tail = p[:i], p[i:]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head, tail
}

// pyDirname is posixpath.dirname.
func pyDirname(p string) string {
	head, _ := pySplit(p)
	return head
}

// pySplitext is posixpath.splitext: the extension starts at the last dot
// of the last component, unless that component is only leading dots up
// to it.
func pySplitext(p string) (root, ext string) {
	sep := strings.LastIndexByte(p, '/')
	dot := strings.LastIndexByte(p, '.')
	if dot > sep {
		for i := sep + 1; i < dot; i++ {
			if p[i] != '.' {
				return p[:dot], p[dot:]
			}
		}
	}
	return p, ""
}

// fnmatch is Python's fnmatch.fnmatchcase(name, pattern): '*' matches
// any run of characters (slashes too), '?' one character, "[seq]" and
// "[!seq]" a character in or not in seq; a '[' without its ']' is
// literal.
func fnmatch(name, pattern string) bool {
	n, p := []rune(name), []rune(pattern)
	// Iterative matching with one backtracking point for '*'.
	ni, pi, starP, starN := 0, 0, -1, 0
	for ni < len(n) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				starP, starN = pi, ni
				pi++
				continue
			case '?':
				ni, pi = ni+1, pi+1
				continue
			case '[':
				if ok, end, valid := matchClass(p, pi, n[ni]); valid {
					if ok {
						ni, pi = ni+1, end
						continue
					}
				} else if n[ni] == '[' {
					ni, pi = ni+1, pi+1
					continue
				}
			default:
				if p[pi] == n[ni] {
					ni, pi = ni+1, pi+1
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starN++
		ni, pi = starN, starP+1
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchClass matches c against the class that starts at p[i] == '['. It
// returns whether c is in it, the index after the class, and whether
// there is a class at all (a closing ']').
func matchClass(p []rune, i int, c rune) (ok bool, end int, valid bool) {
	j := i + 1
	neg := false
	if j < len(p) && p[j] == '!' {
		neg, j = true, j+1
	}
	if j < len(p) && p[j] == ']' {
		j++ // a leading ']' is literal
	}
	for j < len(p) && p[j] != ']' {
		j++
	}
	if j >= len(p) {
		return false, 0, false
	}
	set := p[i+1 : j]
	if neg {
		set = set[1:]
	}
	in := false
	for k := 0; k < len(set); k++ {
		if k+2 < len(set) && set[k+1] == '-' {
			if set[k] <= c && c <= set[k+2] {
				in = true
			}
			k += 2
			continue
		}
		if set[k] == c {
			in = true
		}
	}
	return in != neg, j + 1, true
}
