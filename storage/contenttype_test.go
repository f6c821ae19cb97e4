package storage_test

import (
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/s3kit/s3kit/storage"
)

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
		{"noinner.gz", gz.Bytes(), "application/octet-stream", "gzip"},
		{"lies.gz", []byte("plain text, not gzip"), "text/plain; charset=utf-8", ""},
		{"x.tar.bz2", []byte("BZh91AY&SY"), "application/x-tar", "bzip2"},
		{"x.txt.br", []byte{0x1b, 0x02, 0x00}, "text/plain; charset=utf-8", "br"},
	}
	for _, tt := range tests {
		gotType, gotEnc := storage.DetectContentType(tt.name, tt.head)
		if gotType != tt.wantType || gotEnc != tt.wantEnc {
			t.Errorf("DetectContentType(%q, %q) = %q, %q; want %q, %q", tt.name, tt.head, gotType, gotEnc, tt.wantType, tt.wantEnc)
		}
	}
}
