package storage

import (
	"strings"
	"unicode/utf8"
)

// Attachment returns a Content-Disposition value that makes a browser
// download a file called filename: "attachment", an ASCII fallback
// filename (non-ASCII characters, controls, quotes and backslashes
// replaced with "_") and the exact name as RFC 6266's filename* in UTF-8.
// It is the one builder of attachment dispositions: for objects stored
// with Content-Disposition (active types, see the handler package) and for
// URLs that ask S3 to answer with one (URLOptions.ResponseContentDisposition).
func Attachment(filename string) string {
	var b strings.Builder
	b.Grow(len(`attachment; filename=""; filename*=UTF-8''`) + 4*len(filename))
	b.WriteString(`attachment; filename="`)
	for _, r := range filename {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == utf8.RuneError {
			b.WriteByte('_')
		} else {
			b.WriteRune(r)
		}
	}
	b.WriteString(`"; filename*=UTF-8''`)
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(filename); i++ {
		c := filename[i]
		if attrChar(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// attrChar is RFC 5987's attr-char: the bytes filename* keeps as they are.
func attrChar(c byte) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
