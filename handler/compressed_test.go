package handler_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/handler"
)

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// TestUploadCompressedTypes: AllowedTypes and the attachment rule judge
// what the client will receive. A browser decodes Content-Encoding gzip and
// br, so a compressed file is judged by what it decompresses to: x.png.gz
// holding gzipped HTML is HTML, and x.png.br is no image until its bytes
// show one (br has no magic number): storage.DetectContentType sniffs
// the decompressed head, and the handler judges its answer.
func TestUploadCompressedTypes(t *testing.T) {
	html := []byte("<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>")
	junk := make([]byte, 2000)
	rand.Read(junk)
	images := []string{"image/*"}
	tests := []struct {
		name        string
		allowed     []string
		filename    string
		data        []byte
		status      int
		ctype       string // stored, when 201
		encoding    string
		disposition bool
	}{
		{name: "br of any bytes", allowed: images, filename: "x.png.br", data: junk, status: 415},
		{name: "gzipped html", allowed: images, filename: "x.png.gz", data: gzipped(html), status: 415},
		{name: "gzipped png", allowed: images, filename: "x.png.gz", data: gzipped(pngBytes), status: 201, ctype: "image/png", encoding: "gzip"},
		{name: "gzipped html, no allow-list", filename: "x.png.gz", data: gzipped(html), status: 201, ctype: "text/html", encoding: "gzip", disposition: true},
	}
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.name, func(t *testing.T) {
				s := newMemSaver()
				h, err := handler.NewUploadHandler(s, handler.Options{Mode: mode, AllowedTypes: tt.allowed,
					Key: func(_ *http.Request, _, name string) (string, error) { return name, nil }})
				if err != nil {
					t.Fatal(err)
				}
				body, ctype := form(filepart("f", tt.filename, string(tt.data)))
				w, a := serve(t, h, newRequest(body, ctype))
				if w.Code != tt.status {
					t.Fatalf("ServeHTTP(%s as %s) = %d %q, want %d", tt.name, tt.filename, w.Code, a.Error.Code, tt.status)
				}
				if tt.status != 201 {
					if a.Error.Code != handler.CodeTypeNotAllowed || len(s.names()) != 0 {
						t.Errorf("refused with %q, stored %q; want %q and nothing", a.Error.Code, s.names(), handler.CodeTypeNotAllowed)
					}
					return
				}
				got, _ := s.get(tt.filename)
				p := got.opts.Params
				if !strings.HasPrefix(p.ContentType, tt.ctype) || p.ContentEncoding != tt.encoding || (p.ContentDisposition != "") != tt.disposition {
					t.Errorf("Put(%q) params = %q %q disposition %q, want %q %q attachment %v", tt.filename, p.ContentType, p.ContentEncoding, p.ContentDisposition, tt.ctype, tt.encoding, tt.disposition)
				}
				if !bytes.Equal(got.data, tt.data) {
					t.Errorf("stored %d bytes, not the %d sent", len(got.data), len(tt.data))
				}
			})
		}
	}
}
