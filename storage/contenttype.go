package storage

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"io"
	"mime"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// sniffLen is how many leading bytes decide the content type
// (mimetype's default read limit).
const sniffLen = 3072

// extTypes is the extension table consulted before mime.TypeByExtension,
// so that the common web types do not depend on the machine's mime.types.
var extTypes = map[string]string{
	".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8", ".cjs": "text/javascript; charset=utf-8",
	".json": "application/json", ".map": "application/json", ".webmanifest": "application/manifest+json",
	".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".xhtml": "application/xhtml+xml",
	".xml": "text/xml; charset=utf-8", ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8",
	".csv": "text/csv; charset=utf-8", ".md": "text/markdown; charset=utf-8", ".ics": "text/calendar",
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".avif": "image/avif", ".ico": "image/vnd.microsoft.icon", ".bmp": "image/bmp",
	".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
	".eot": "application/vnd.ms-fontobject", ".pdf": "application/pdf", ".zip": "application/zip",
	".tar": "application/x-tar", ".wasm": "application/wasm", ".mp4": "video/mp4", ".webm": "video/webm",
	".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".wav": "audio/wav",
}

// encodingSuffixes and suffixAliases are Python's mimetypes.encodings_map
// and suffix_map, which the reference uses to set ContentEncoding.
var (
	encodingSuffixes = map[string]string{".gz": "gzip", ".z": "compress", ".bz2": "bzip2", ".xz": "xz", ".br": "br"}
	suffixAliases    = map[string]string{".svgz": ".svg.gz", ".tgz": ".tar.gz", ".taz": ".tar.gz", ".tz": ".tar.gz", ".tbz2": ".tar.bz2", ".txz": ".tar.xz"}
	encodingMagic    = map[string][]byte{"gzip": {0x1f, 0x8b}, "compress": {0x1f, 0x9d}, "bzip2": []byte("BZh"), "xz": {0xfd, '7', 'z', 'X', 'Z', 0}}
)

// typeByExt returns the content type of a file extension, or "".
func typeByExt(ext string) string {
	ext = strings.ToLower(ext)
	if t, ok := extTypes[ext]; ok {
		return t
	}
	return mime.TypeByExtension(ext)
}

// DetectContentType decides the content type and content encoding of a
// body from its name and its first bytes (at least 3072 when the body is
// that long), never from a client's header:
//
//   - the bytes decide (mimetype), except that when they only show a
//     generic type (text/plain, application/octet-stream) or a parent of
//     the extension's type (zip for docx), the extension decides: CSS, JS
//     and SVG cannot be told from the bytes reliably;
//   - a compression suffix (.gz, .tgz, .br, ...) gives the ContentEncoding,
//     as the reference does, but the type is judged on what the client
//     receives once it decodes: the decompressed first bytes, with the
//     extension before the suffix, by the rule above. That is possible for
//     gzip, and for bzip2 when the head holds a whole block; a body that
//     cannot be read (brotli has no magic number, xz and compress have no
//     decoder here, a truncated bzip2 block) is no proof of its inner type
//     and is application/octet-stream. Bytes without the magic number of
//     their suffix are taken as they are, with no encoding;
//   - application/octet-stream is the last resort.
func DetectContentType(name string, head []byte) (contentType, encoding string) {
	base := path.Base(name)
	ext := strings.ToLower(path.Ext(base))
	if alias, ok := suffixAliases[ext]; ok {
		base = base[:len(base)-len(ext)] + alias
		ext = path.Ext(alias)
	}
	enc, compressed := encodingSuffixes[ext]
	if !compressed {
		return typeOf(ext, head), ""
	}
	if magic, ok := encodingMagic[enc]; ok && !bytes.HasPrefix(head, magic) {
		return mimetype.Detect(head).String(), "" // the name lies: trust the bytes
	}
	decoded, ok := decodeHead(enc, head)
	if !ok {
		return "application/octet-stream", enc
	}
	inner := strings.ToLower(path.Ext(base[:len(base)-len(ext)]))
	return typeOf(inner, decoded), enc
}

// typeOf decides the type of plain bytes with the extension ext.
func typeOf(ext string, head []byte) string {
	sniffed := mimetype.Detect(head)
	extType := typeByExt(ext)
	if extType == "" {
		return sniffed.String()
	}
	if sniffed.Is("text/plain") || sniffed.Is("application/octet-stream") || isAncestor(sniffed, extType) {
		return extType
	}
	return sniffed.String()
}

// decodeHead decompresses the first bytes of a body compressed with enc,
// up to sniffLen bytes. ok is false when they prove nothing: no decoder
// for enc, a corrupt body, or a head that ends before sniffLen bytes are
// decoded while the body goes on.
func decodeHead(enc string, head []byte) ([]byte, bool) {
	var zr io.Reader
	switch enc {
	case "gzip":
		gz, err := gzip.NewReader(bytes.NewReader(head))
		if err != nil {
			return nil, false
		}
		gz.Multistream(false)
		zr = gz
	case "bzip2":
		zr = bzip2.NewReader(bytes.NewReader(head))
	default:
		return nil, false
	}
	out := make([]byte, sniffLen)
	n := 0
	for n < len(out) {
		k, err := zr.Read(out[n:])
		n += k
		if err == io.EOF {
			return out[:n], true // the whole body: the client receives just this
		}
		if err != nil {
			break // truncated or corrupt
		}
	}
	// The head ends before the compressed body does: only a full sniffLen
	// of decoded bytes is as good as the head of a plain body (compressed
	// padding, such as empty stored blocks, could delay the real bytes).
	return out[:n], n == len(out)
}

// isAncestor reports whether sniffed is a strict ancestor of extType in
// mimetype's tree (application/zip for a .docx, text/xml for an .svg).
func isAncestor(sniffed *mimetype.MIME, extType string) bool {
	mt, _, _ := mime.ParseMediaType(extType)
	m := mimetype.Lookup(mt)
	if m == nil || m.Is(sniffed.String()) {
		return false
	}
	for p := m.Parent(); p != nil; p = p.Parent() {
		if p.Is(sniffed.String()) {
			return true
		}
	}
	return false
}

// mediaType returns the lower-cased type/subtype of a content type,
// parameters stripped.
func mediaType(contentType string) string {
	t, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(t))
}
