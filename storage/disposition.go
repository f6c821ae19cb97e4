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
	b.Write(appendEscape(nil, filename, &attrChars))
	return b.String()
}
