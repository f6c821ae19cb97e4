package storage

import "strings"

// activeTypes are the media types a browser renders as a document or
// runs as a script, so that a file served inline from a site's origin
// could run code there. The list is handler.IsActive's.
var activeTypes = map[string]bool{
	"text/html": true, "application/xhtml+xml": true, "image/svg+xml": true,
	"text/xml": true, "application/xml": true, "text/xsl": true, "application/xslt+xml": true,
	"text/javascript": true, "application/javascript": true, "application/x-javascript": true,
	"application/ecmascript": true, "text/ecmascript": true, "text/jscript": true,
	"application/x-shockwave-flash": true, "application/vnd.adobe.flash.movie": true,
	"multipart/x-mixed-replace": true, "application/java-archive": true,
	"text/x-component": true, "application/hta": true, "message/rfc822": true, "text/mathml": true,
}

// IsActiveType reports whether a browser could run code in content of the
// type ct ("text/html; charset=utf-8"): HTML, XHTML, SVG, XML and any +xml
// type, JavaScript and its aliases, XSLT, Flash, MHTML. Serving such
// content from a site's origin needs Content-Disposition: attachment or a
// sandbox.
func IsActiveType(ct string) bool {
	mt := mediaType(ct)
	return activeTypes[mt] || strings.HasSuffix(mt, "+xml")
}
