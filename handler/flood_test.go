package handler_test

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/s3kit/s3kit/handler"
)

// flood is a form of n copies of one part.
func flood(part string, n int) ([]byte, string) {
	const boundary = "FLOOD"
	var b bytes.Buffer
	b.Grow(n * (len(part) + 12))
	for range n {
		b.WriteString("--" + boundary + "\r\n" + part + "\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes(), "multipart/form-data; boundary=" + boundary
}

// allocated runs f once and returns the heap bytes and objects it
// allocated.
func allocated(f func()) (bytes, objects uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, after.Mallocs - before.Mallocs
}

// TestUploadPartFloods: a request of 100,000 cheap parts is refused after
// the first MaxFiles + 1 files or MaxFields + 1 other parts, having
// allocated what those few parts cost, not what 100,000 would (go test -v
// prints what each flood allocated).
func TestUploadPartFloods(t *testing.T) {
	const n = 100_000
	for _, tc := range []struct {
		name     string
		part     string
		code     string
		maxBytes uint64
	}{
		{"empty file inputs", "Content-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n", handler.CodeTooManyFiles, 1 << 20},
		{"nameless file parts", "Content-Disposition: form-data; filename=\"a.txt\"\r\n\r\nx", handler.CodeTooManyFiles, 1 << 20},
		{"nameless parts", "\r\n", handler.CodeTooManyFields, 4 << 20},
		{"empty fields", "Content-Disposition: form-data; name=\"a\"\r\n\r\n", handler.CodeTooManyFields, 4 << 20},
		{"other dispositions", "Content-Disposition: attachment; name=\"a\"\r\n\r\n", handler.CodeTooManyFields, 4 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ctype := flood(tc.part, n)
			s := newMemSaver()
			h, err := handler.NewUploadHandler(s, handler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var code int
			var errCode string
			b, objects := allocated(func() {
				w, a := serve(t, h, newRequest(body, ctype))
				code, errCode = w.Code, a.Error.Code
			})
			t.Logf("%s: %d parts refused %d %s, having allocated %d bytes in %d objects", tc.name, n, code, errCode, b, objects)
			if code != 413 || errCode != tc.code {
				t.Errorf("ServeHTTP(%d parts) = %d %q, want 413 %q", n, code, errCode, tc.code)
			}
			if b > tc.maxBytes {
				t.Errorf("ServeHTTP(%d parts of %d bytes) allocated %d bytes in %d objects, want at most %d", n, len(tc.part), b, objects, tc.maxBytes)
			}
			if len(s.names()) != 0 {
				t.Errorf("stored %q", s.names())
			}
		})
	}
}

// TestUploadFileInputsCount: empty file inputs count against MaxFiles, as
// in Django; within it they are skipped.
func TestUploadFileInputsCount(t *testing.T) {
	for _, tc := range []struct {
		name   string
		parts  []part
		status int
		stored int
	}{
		{"one file, one empty input", []part{filepart("a", "a.txt", "1"), filepart("b", "", "")}, 201, 1},
		{"one file, two empty inputs", []part{filepart("a", "", ""), filepart("b", "b.txt", "1"), filepart("c", "", "")}, 413, 0},
		{"two files", []part{filepart("a", "a.txt", "1"), filepart("b", "b.txt", "2")}, 201, 2},
		{"three files", []part{filepart("a", "a.txt", "1"), filepart("b", "b.txt", "2"), filepart("c", "c.txt", "3")}, 413, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemSaver()
			h, _ := handler.NewUploadHandler(s, handler.Options{MaxFiles: 2})
			body, ctype := form(tc.parts...)
			w, a := serve(t, h, newRequest(body, ctype))
			if w.Code != tc.status || len(s.names()) != tc.stored {
				t.Errorf("ServeHTTP = %d %q with %d stored, want %d with %d", w.Code, a.Error.Code, len(s.names()), tc.status, tc.stored)
			}
		})
	}
}
