package handler_test

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/handler"
)

// FuzzUpload feeds arbitrary bodies and boundaries to the handler in both
// modes: it never panics, always answers JSON with a documented status,
// and keeps nothing of a refused request.
func FuzzUpload(f *testing.F) {
	valid, ct := form(field("title", "x"), filepart("a", "a.txt", "hello"), filepart("b", "b.png", string(pngBytes)))
	_, params, _ := mime.ParseMediaType(ct)
	b := params["boundary"]
	f.Add(false, b, valid)
	f.Add(true, b, valid)
	f.Add(false, b, valid[:len(valid)/2])
	f.Add(true, b, valid[:len(valid)-3])
	f.Add(false, "zz", []byte("--zz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhi\r\n--zz--\r\n"))
	f.Add(true, "zz", []byte("--zz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n\r\n--zz--\r\n"))
	f.Add(false, "zz", []byte("--zz\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''%C3%A9.txt\r\n\r\nhi\r\n--zz--\r\n"))
	f.Add(false, "zz", []byte("--zz\r\nX: "+strings.Repeat("h", 3000)+"\r\n\r\nhi\r\n--zz--\r\n"))
	f.Add(true, "zz", []byte("--zz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.html\"\r\n\r\n<html><script>x</script>\r\n--zz--\r\n"))
	f.Add(false, "", []byte("--\r\n\r\n"))
	f.Add(true, "zz", []byte(strings.Repeat("--zz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n\r\n", 6)+"--zz--\r\n"))
	f.Add(false, "zz", []byte(strings.Repeat("--zz\r\n\r\n\r\n", 8)+"--zz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhi\r\n--zz--\r\n"))
	f.Add(true, "zz", []byte("--zz\r\nContent-Disposition: form-data; filename=\"a.txt\"\r\n\r\nnameless\r\n--zz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"b.png.gz\"\r\n\r\n\x1f\x8b\x08\x00\r\n--zz--\r\n"))
	f.Add(true, "a b\"c", []byte("--a b\"c\r\n\r\n--a b\"c--"))
	f.Fuzz(func(t *testing.T, stream bool, boundary string, body []byte) {
		s := newMemSaver()
		mode := handler.Spool
		if stream {
			mode = handler.Stream
		}
		h, err := handler.NewUploadHandler(s, handler.Options{
			Mode: mode, MaxRequestSize: 16 << 10, MaxFileSize: 4096, MaxFiles: 3, MaxFields: 5,
			MaxFieldsSize: 1024, MaxPartHeaderSize: 1024, SpoolMemory: 100, TempDir: t.TempDir(),
			AllowedTypes: []string{"text/*", "image/*", "application/octet-stream"},
			Key:          func(_ *http.Request, _, name string) (string, error) { return name, nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		ctype := mime.FormatMediaType("multipart/form-data", map[string]string{"boundary": boundary})
		if ctype == "" {
			ctype = "multipart/form-data; boundary=" + boundary
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, newRequest(body, ctype))
		var a answer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatalf("answer %d is not JSON: %q", w.Code, w.Body)
		}
		switch w.Code {
		case 201:
			if len(a.Files) == 0 || len(a.Files) != len(s.names()) {
				t.Errorf("201 lists %d files, %d stored", len(a.Files), len(s.names()))
			}
		case 400, 413, 415:
			if a.Error.Code == "" {
				t.Errorf("%d without an error code: %q", w.Code, w.Body)
			}
			if n := s.names(); len(n) != 0 {
				t.Errorf("%d (%s) kept %q", w.Code, a.Error.Code, n)
			}
		default:
			t.Errorf("status %d (%s) is not documented", w.Code, w.Body)
		}
	})
}
