package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/s3kit/s3kit/middleware"
	"github.com/s3kit/s3kit/storage"
)

// discard is a ResponseWriter that keeps nothing but the headers map, so
// that the benchmarks measure the handlers, not a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func BenchmarkRedirect(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts storage.Options
	}{
		{"presigned", storage.Options{Location: "uploads"}},
		{"presigned-window", storage.Options{Location: "uploads", URLStableWindow: 5 * time.Minute}},
		{"public", storage.Options{Location: "uploads", QuerystringAuth: storage.Bool(false)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			rd, err := middleware.NewRedirect(newStorage(b, tc.opts), middleware.RedirectOptions{Prefix: "/media/"})
			if err != nil {
				b.Fatal(err)
			}
			h := rd.Handler(nil)
			req := httptest.NewRequest("GET", "/media/2025/report.pdf", nil)
			w := &discard{}
			b.ReportAllocs()
			for b.Loop() {
				w.h = make(http.Header, 2)
				h.ServeHTTP(w, req)
			}
		})
	}
	b.Run("bare-302", func(b *testing.B) {
		// The headers set as Redirect sets them: Location a new slice
		// (its URL changes), Cache-Control one made once.
		loc := "https://s3.example.com/bucket/uploads/2025/report.pdf"
		cc := []string{"private, max-age=1800"}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hd := w.Header()
			hd["Location"] = []string{loc}
			hd["Cache-Control"] = cc
			w.WriteHeader(http.StatusFound)
		})
		req := httptest.NewRequest("GET", "/media/2025/report.pdf", nil)
		w := &discard{}
		b.ReportAllocs()
		for b.Loop() {
			w.h = make(http.Header, 2)
			h.ServeHTTP(w, req)
		}
	})
}
