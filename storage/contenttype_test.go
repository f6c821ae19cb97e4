package storage_test

import (
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/s3kit/s3kit/storage"
)

// bz2Hello is "hello\n" compressed with bzip2.
var bz2Hello = []byte("BZh91AY&SY\xc1\xc0\x80\xe2\x00\x00\x01A\x00\x00\x10\x02D\xa0\x000\xcd\x00\xc3F)\x97\x17rE8P\x90\xc1\xc0\x80\xe2")

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// padded compresses b after a thousand empty stored blocks, which decode
// to nothing.
func padded(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for range 1000 {
		zw.Flush()
	}
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestDetectContentType(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("hello"))
	zw.Close()
	html := []byte("<!DOCTYPE html><html><body>hi</body></html>")
	tests := []struct {
		name     string
		head     []byte
		wantType string
		wantEnc  string
	}{
		{"app.css", []byte("body { color: red }"), "text/css; charset=utf-8", ""},
		{"APP.CSS", []byte("body { color: red }"), "text/css; charset=utf-8", ""},
		{"app.js", []byte("export const x = 1;"), "text/javascript; charset=utf-8", ""},
		{"app.mjs", []byte("export const x = 1;"), "text/javascript; charset=utf-8", ""},
		{"logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), "image/svg+xml", ""},
		{"data.json", []byte(`{"a": 1}`), "application/json", ""},
		{"photo.png", png, "image/png", ""},
		{"photo.jpg", png, "image/png", ""}, // the bytes win over a lying extension
		{"page.txt", html, "text/html; charset=utf-8", ""},
		{"page.html", html, "text/html; charset=utf-8", ""},
		{"readme", []byte("plain words"), "text/plain; charset=utf-8", ""},
		{"empty.css", nil, "text/css; charset=utf-8", ""},
		{"empty", nil, "text/plain", ""},
		{"blob.unknownext", []byte{0, 1, 2, 3, 0xff, 0xfe}, "application/octet-stream", ""},
		{"font.woff2", []byte("wOF2\x00\x01\x00\x00"), "font/woff2", ""},
		{"app.css.gz", gz.Bytes(), "text/css; charset=utf-8", "gzip"},
		{"backup.tar.gz", gz.Bytes(), "application/x-tar", "gzip"},
		{"backup.tgz", gz.Bytes(), "application/x-tar", "gzip"},
		{"icons.svgz", gz.Bytes(), "image/svg+xml", "gzip"},
		{"noinner.gz", gz.Bytes(), "text/plain; charset=utf-8", "gzip"},
		{"lies.gz", []byte("plain text, not gzip"), "text/plain; charset=utf-8", ""},
		{"x.tar.bz2", []byte("BZh91AY&SY"), "application/octet-stream", "bzip2"}, // a truncated block proves nothing
		{"hello.txt.bz2", bz2Hello, "text/plain; charset=utf-8", "bzip2"},
		{"x.txt.br", []byte{0x1b, 0x02, 0x00}, "application/octet-stream", "br"},
		{"x.png.br", png, "application/octet-stream", "br"}, // brotli has no magic: no proof
		{"x.png.xz", []byte("\xfd7zXZ\x00\x00"), "application/octet-stream", "xz"},
		{"x.png.gz", gzipped(html), "text/html; charset=utf-8", "gzip"}, // what the client receives
		{"x.png.gz", gzipped(png), "image/png", "gzip"},
		{"x.png.gz", gzipped(html)[:12], "application/octet-stream", "gzip"}, // nothing decodes
		{"x.svgz", gzipped(html), "text/html; charset=utf-8", "gzip"},
		{"x.png.gz", padded(html)[:3072], "application/octet-stream", "gzip"}, // empty blocks delay the HTML
	}
	for _, tt := range tests {
		gotType, gotEnc := storage.DetectContentType(tt.name, tt.head)
		if gotType != tt.wantType || gotEnc != tt.wantEnc {
			t.Errorf("DetectContentType(%q, %q) = %q, %q; want %q, %q", tt.name, tt.head, gotType, gotEnc, tt.wantType, tt.wantEnc)
		}
	}
}
