package handler_test

import (
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

// drainSaver reads every body to the end, as an upload would, and stores
// nothing: the benchmark measures the handler alone.
type drainSaver struct{}

func (drainSaver) Put(_ context.Context, name string, r io.Reader, _ *storage.SaveOptions) (storage.Info, error) {
	n, err := io.Copy(io.Discard, r)
	return storage.Info{Name: name, Size: n}, err
}

func (drainSaver) Delete(context.Context, string) error { return nil }

// repeatReader yields n bytes of a fixed pattern.
type repeatReader struct {
	n   int64
	pat []byte
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.pat[r.off:])
		n += c
		r.off = (r.off + c) % len(r.pat)
	}
	r.n -= int64(n)
	return n, nil
}

// BenchmarkUpload measures the handler's own cost per byte on loopback:
// receive, parse, sniff and (Spool) write to the temporary file, with a
// client streaming one 64 MiB file.
func BenchmarkUpload(b *testing.B) {
	const size = 64 << 20
	pat := make([]byte, 1<<20)
	for i := range pat {
		pat[i] = byte(i * 7 >> 3)
	}
	for _, mode := range []handler.Mode{handler.Spool, handler.Stream} {
		b.Run(mode.String(), func(b *testing.B) {
			h, err := handler.NewUploadHandler(drainSaver{}, handler.Options{Mode: mode, MaxFileSize: -1, MaxRequestSize: -1, TempDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			b.SetBytes(size)
			for b.Loop() {
				pr, pw := io.Pipe()
				mw := multipart.NewWriter(pw)
				go func() {
					fw, _ := mw.CreateFormFile("file", "a.bin")
					io.CopyBuffer(fw, &repeatReader{n: size, pat: pat}, make([]byte, 256<<10))
					mw.Close()
					pw.Close()
				}()
				resp, err := http.Post(srv.URL, mw.FormDataContentType(), pr)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
