package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

var modes = []handler.Mode{handler.Spool, handler.Stream}

// answer is the JSON of any answer.
type answer struct {
	Files []map[string]any `json:"files"`
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func serve(t *testing.T, h http.Handler, r *http.Request) (*httptest.ResponseRecorder, answer) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var a answer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %q", w.Code, err, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q, want application/json; charset=utf-8", ct)
	}
	return w, a
}

func TestUploadStatuses(t *testing.T) {
	html := "<!DOCTYPE html><html><script>alert(1)</script></html>"
	fileOf := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name   string
		opts   handler.Options
		method string
		ctype  string // replaces the form's Content-Type when set
		parts  []part
		raw    []byte // replaces the form when set
		status int
		code   string
		stored int
	}{
		{name: "one file", parts: []part{filepart("file", "a.txt", "hello")}, status: 201, stored: 1},
		{name: "two files and fields", parts: []part{field("title", "x"), filepart("a", "a.txt", "1"), filepart("b", "b.png", string(pngBytes))}, status: 201, stored: 2},
		{name: "empty file input skipped", parts: []part{filepart("a", "", ""), filepart("b", "b.txt", "1")}, status: 201, stored: 1},
		{name: "empty file stored", parts: []part{filepart("a", "empty.txt", "")}, status: 201, stored: 1},
		{name: "GET", method: http.MethodGet, status: 405, code: handler.CodeMethodNotAllowed},
		{name: "PUT", method: http.MethodPut, parts: []part{filepart("file", "a.txt", "x")}, status: 405, code: handler.CodeMethodNotAllowed},
		{name: "not multipart", ctype: "application/json", raw: []byte(`{}`), status: 415, code: handler.CodeUnsupportedMediaType},
		{name: "multipart/mixed", ctype: "multipart/mixed; boundary=x", raw: []byte("--x--"), status: 415, code: handler.CodeUnsupportedMediaType},
		{name: "no content type", ctype: "-", raw: []byte("x"), status: 415, code: handler.CodeUnsupportedMediaType},
		{name: "no boundary", ctype: "multipart/form-data", raw: []byte("x"), status: 400, code: handler.CodeMalformed},
		{name: "no file", parts: []part{field("title", "x")}, status: 400, code: handler.CodeNoFile},
		{name: "empty form", parts: []part{}, status: 400, code: handler.CodeNoFile},
		{name: "garbage", ctype: "multipart/form-data; boundary=zz", raw: []byte("no boundary here"), status: 400, code: handler.CodeMalformed},
		{name: "truncated", ctype: "multipart/form-data; boundary=zz", raw: []byte("--zz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhello"), status: 400, code: handler.CodeMalformed},
		{name: "truncated second file", ctype: "multipart/form-data; boundary=zz", raw: []byte("--zz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhello\r\n--zz\r\nContent-Disposition: form-data; name=\"g\"; filename=\"b.txt\"\r\n\r\nwor"), status: 400, code: handler.CodeMalformed},
		{name: "bad file name", parts: []part{filepart("file", "/// ", "x")}, status: 400, code: handler.CodeInvalidFilename},
		{name: "traversal key", opts: handler.Options{Key: func(_ *http.Request, _, n string) (string, error) { return "../" + n, nil }}, parts: []part{filepart("file", "a.txt", "x")}, status: 400, code: handler.CodeInvalidFilename},
		{name: "file too large", opts: handler.Options{MaxFileSize: 10}, parts: []part{filepart("file", "a.txt", fileOf(11))}, status: 413, code: handler.CodeFileTooLarge},
		{name: "file at the limit", opts: handler.Options{MaxFileSize: 10}, parts: []part{filepart("file", "a.txt", fileOf(10))}, status: 201, stored: 1},
		{name: "large file beyond sniffing", opts: handler.Options{MaxFileSize: 5000}, parts: []part{filepart("file", "a.txt", fileOf(5001))}, status: 413, code: handler.CodeFileTooLarge},
		{name: "second file too large", opts: handler.Options{MaxFileSize: 4000}, parts: []part{filepart("a", "a.txt", "x"), filepart("b", "b.txt", fileOf(9000))}, status: 413, code: handler.CodeFileTooLarge},
		{name: "request too large", opts: handler.Options{MaxRequestSize: 1000}, parts: []part{filepart("file", "a.txt", fileOf(2000))}, status: 413, code: handler.CodeRequestTooLarge},
		{name: "too many files", opts: handler.Options{MaxFiles: 2}, parts: []part{filepart("a", "a.txt", "1"), filepart("b", "b.txt", "2"), filepart("c", "c.txt", "3")}, status: 413, code: handler.CodeTooManyFiles},
		{name: "too many fields", opts: handler.Options{MaxFields: 2}, parts: []part{field("a", "1"), field("b", "2"), field("c", "3"), filepart("f", "a.txt", "x")}, status: 413, code: handler.CodeTooManyFields},
		{name: "fields too large", opts: handler.Options{MaxFieldsSize: 100}, parts: []part{filepart("f", "a.txt", "x"), field("a", fileOf(120))}, status: 413, code: handler.CodeFieldsTooLarge},
		{name: "part header too large", opts: handler.Options{MaxPartHeaderSize: 1024}, parts: []part{{field: "f", filename: "a.txt", file: true, data: []byte("x"), header: map[string]string{"X-Pad": fileOf(20000)}}}, status: 413, code: handler.CodeHeaderTooLarge},
		{name: "type not allowed", opts: handler.Options{AllowedTypes: []string{"image/*"}}, parts: []part{filepart("f", "a.txt", "plain text")}, status: 415, code: handler.CodeTypeNotAllowed},
		{name: "type allowed", opts: handler.Options{AllowedTypes: []string{"image/*"}}, parts: []part{filepart("f", "a.png", string(pngBytes))}, status: 201, stored: 1},
		{name: "type lies in the name", opts: handler.Options{AllowedTypes: []string{"image/png"}}, parts: []part{filepart("f", "a.png", html)}, status: 415, code: handler.CodeTypeNotAllowed},
		{name: "second file not allowed", opts: handler.Options{AllowedTypes: []string{"image/png"}}, parts: []part{filepart("a", "a.png", string(pngBytes)), filepart("b", "b.html", html)}, status: 415, code: handler.CodeTypeNotAllowed},
		{name: "type denied", opts: handler.Options{DeniedTypes: []string{"text/html"}}, parts: []part{filepart("f", "a.txt", html)}, status: 415, code: handler.CodeTypeNotAllowed},
		{name: "file field not allowed", opts: handler.Options{FileFields: []string{"avatar"}}, parts: []part{filepart("other", "a.txt", "x")}, status: 400, code: handler.CodeUnexpectedField},
		{name: "file field allowed", opts: handler.Options{FileFields: []string{"avatar"}}, parts: []part{filepart("avatar", "a.txt", "x")}, status: 201, stored: 1},
		{name: "authorize forbids", opts: handler.Options{Authorize: func(*http.Request) error { return handler.ErrForbidden }}, parts: []part{filepart("f", "a.txt", "x")}, status: 403, code: handler.CodeForbidden},
		{name: "authorize unauthorized", opts: handler.Options{Authorize: func(*http.Request) error { return handler.ErrUnauthorized }}, parts: []part{filepart("f", "a.txt", "x")}, status: 401, code: handler.CodeUnauthorized},
		{name: "authorize fails", opts: handler.Options{Authorize: func(*http.Request) error { return errors.New("db down: secret") }}, parts: []part{filepart("f", "a.txt", "x")}, status: 500, code: handler.CodeInternal},
		{name: "key hook refuses", opts: handler.Options{Key: func(*http.Request, string, string) (string, error) {
			return "", &handler.Error{Status: 409, Code: "taken", Message: "no"}
		}}, parts: []part{filepart("f", "a.txt", "x")}, status: 409, code: "taken"},
		{name: "on-saved fails", opts: handler.Options{OnSaved: func(*http.Request, *handler.Result) error { return errors.New("secret") }}, parts: []part{filepart("a", "a.txt", "1"), filepart("b", "b.txt", "2")}, status: 500, code: handler.CodeInternal},
		{name: "on-saved refuses", opts: handler.Options{OnSaved: func(*http.Request, *handler.Result) error { return handler.ErrForbidden }}, parts: []part{filepart("a", "a.txt", "1")}, status: 403, code: handler.CodeForbidden},
		{name: "on-saved extra not encodable", opts: handler.Options{OnSaved: func(_ *http.Request, res *handler.Result) error {
			res.Extra = map[string]any{"bad": make(chan int)}
			return nil
		}}, parts: []part{filepart("a", "a.txt", "1")}, status: 500, code: handler.CodeInternal},
	}
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.name, func(t *testing.T) {
				tt.opts.Mode = mode
				tt.opts.TempDir = t.TempDir()
				s := newMemSaver()
				h, err := handler.NewUploadHandler(s, tt.opts)
				if err != nil {
					t.Fatal(err)
				}
				body, ctype := form(tt.parts...)
				if tt.raw != nil {
					body = tt.raw
				}
				switch tt.ctype {
				case "":
				case "-":
					ctype = ""
				default:
					ctype = tt.ctype
				}
				r := newRequest(body, ctype)
				if tt.method != "" {
					r.Method = tt.method
				}
				w, a := serve(t, h, r)
				if w.Code != tt.status || a.Error.Code != tt.code {
					t.Errorf("ServeHTTP = %d %q (%s), want %d %q", w.Code, a.Error.Code, a.Error.Message, tt.status, tt.code)
				}
				if got := len(s.names()); got != tt.stored {
					t.Errorf("stored %d files (%q), want %d", got, s.names(), tt.stored)
				}
				if w.Code == 201 && len(a.Files) != tt.stored {
					t.Errorf("answer lists %d files, want %d", len(a.Files), tt.stored)
				}
				if w.Code >= 500 && strings.Contains(w.Body.String(), "secret") {
					t.Errorf("answer %q leaks the internal error", w.Body.String())
				}
				if w.Code == 405 && w.Header().Get("Allow") != "POST" {
					t.Errorf("Allow = %q, want POST", w.Header().Get("Allow"))
				}
				if ents, _ := os.ReadDir(tt.opts.TempDir); len(ents) != 0 {
					t.Errorf("temp dir holds %d files", len(ents))
				}
			})
		}
	}
}

func TestUploadAnswer(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s := newMemSaver()
			h, err := handler.NewUploadHandler(urlSaver{memSaver: s}, handler.Options{
				Mode: mode,
				Key:  func(_ *http.Request, field, name string) (string, error) { return field + "/" + name, nil },
				OnSaved: func(r *http.Request, res *handler.Result) error {
					res.Extra = map[string]any{"title": res.Fields.Get("title"), "files": "ignored"}
					res.Files[0].Extra = map[string]any{"id": 7, "name": "ignored"}
					return nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			body, ctype := form(field("title", "Holiday"), filepart("photo", `C:\Users\me\My Photo.png`, string(pngBytes)), filepart("photo", "My Photo.png", string(pngBytes)))
			w, _ := serve(t, h, newRequest(body, ctype))
			if w.Code != 201 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var got map[string]any
			json.Unmarshal(w.Body.Bytes(), &got)
			want := map[string]any{
				"title": "Holiday",
				"files": []any{
					map[string]any{"field": "photo", "filename": `C:\Users\me\My Photo.png`, "name": "photo/My_Photo.png", "url": "https://cdn.example/photo/My_Photo.png",
						"size": float64(len(pngBytes)), "content_type": "image/png", "etag": `"etag-photo/My_Photo.png"`, "id": float64(7)},
					map[string]any{"field": "photo", "filename": "My Photo.png", "name": "photo/My_Photo.png_1", "url": "https://cdn.example/photo/My_Photo.png_1",
						"size": float64(len(pngBytes)), "content_type": "image/png", "etag": `"etag-photo/My_Photo.png_1"`},
				},
			}
			if g, wnt := mustJSON(got), mustJSON(want); g != wnt {
				t.Errorf("answer = %s, want %s", g, wnt)
			}
			if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestUploadSaveOptions(t *testing.T) {
	html := "<!DOCTYPE html><html><body>hi</body></html>"
	svg := `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`
	tests := []struct {
		name        string
		opts        handler.Options
		filename    string
		data        string
		ctype       string
		disposition string
		encoding    string
		conflict    storage.Conflict
	}{
		{name: "plain", filename: "a.txt", data: "hello", ctype: "text/plain; charset=utf-8", conflict: storage.ConflictRename},
		{name: "overwrite", opts: handler.Options{Overwrite: true}, filename: "a.txt", data: "hello", ctype: "text/plain; charset=utf-8", conflict: storage.ConflictOverwrite},
		{name: "png named txt", filename: "a.txt", data: string(pngBytes), ctype: "image/png", conflict: storage.ConflictRename},
		{name: "html", filename: "page.html", data: html, ctype: "text/html; charset=utf-8", disposition: `attachment; filename="page.html"; filename*=UTF-8''page.html`, conflict: storage.ConflictRename},
		{name: "html named png", filename: "cat.png", data: html, ctype: "text/html; charset=utf-8", disposition: storage.Attachment("cat.png"), conflict: storage.ConflictRename},
		{name: "svg", filename: "logo.svg", data: svg, ctype: "image/svg+xml", disposition: storage.Attachment("logo.svg"), conflict: storage.ConflictRename},
		{name: "svg inline", opts: handler.Options{InlineTypes: []string{"image/svg+xml"}}, filename: "logo.svg", data: svg, ctype: "image/svg+xml", conflict: storage.ConflictRename},
		{name: "js", filename: "app.js", data: "alert(1)", ctype: "text/javascript; charset=utf-8", disposition: storage.Attachment("app.js"), conflict: storage.ConflictRename},
		{name: "unicode name", filename: "résumé.html", data: html, ctype: "text/html; charset=utf-8", disposition: `attachment; filename="r_sum_.html"; filename*=UTF-8''r%C3%A9sum%C3%A9.html`, conflict: storage.ConflictRename},
		{name: "gzip by name", filename: "a.tar.gz", data: "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\x57\x28\x49\x2c\x02\x00\xa5\xb5\xdc\x80\x09\x00\x00\x00", ctype: "application/x-tar", encoding: "gzip", conflict: storage.ConflictRename},
	}
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.name, func(t *testing.T) {
				s := newMemSaver()
				tt.opts.Mode = mode
				tt.opts.Key = func(_ *http.Request, _, name string) (string, error) { return name, nil }
				h, err := handler.NewUploadHandler(s, tt.opts)
				if err != nil {
					t.Fatal(err)
				}
				body, ctype := form(part{field: "f", filename: tt.filename, file: true, data: []byte(tt.data), header: map[string]string{"Content-Type": "image/png"}})
				w, _ := serve(t, h, newRequest(body, ctype))
				if w.Code != 201 {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
				names := s.names()
				got, _ := s.get(names[0])
				p := got.opts.Params
				if p.ContentType != tt.ctype || p.ContentDisposition != tt.disposition || p.ContentEncoding != tt.encoding || got.opts.Conflict != tt.conflict {
					t.Errorf("Put(%q) params = %q %q %q conflict %d, want %q %q %q %d", tt.filename,
						p.ContentType, p.ContentDisposition, p.ContentEncoding, got.opts.Conflict, tt.ctype, tt.disposition, tt.encoding, tt.conflict)
				}
				if string(got.data) != tt.data {
					t.Errorf("stored %q, want %q", got.data, tt.data)
				}
			})
		}
	}
}

// TestUploadContext checks that the request's context reaches the Saver,
// and that the files of a request whose client has gone are deleted.
func TestUploadContext(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s := newMemSaver()
			h, _ := handler.NewUploadHandler(s, handler.Options{Mode: mode})
			body, ctype := form(filepart("a", "a.txt", "1"), filepart("b", "b.txt", "2"))
			r := newRequest(body, ctype)
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, "request-ctx"))
			w, _ := serve(t, h, r)
			if w.Code != 201 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if len(s.ctxKeys) != 2 || s.ctxKeys[0] != "request-ctx" || s.ctxKeys[1] != "request-ctx" {
				t.Errorf("Put saw contexts with %v, want the request's twice", s.ctxKeys)
			}

			// Cancelled while the second file is stored: nothing stays.
			s = newMemSaver()
			ctx, cancel := context.WithCancel(context.Background())
			s.put = func(_ context.Context, name string, _ io.Reader) error {
				if strings.HasSuffix(name, "b.txt") {
					cancel()
				}
				return nil
			}
			h, _ = handler.NewUploadHandler(s, handler.Options{Mode: mode})
			w, a := serve(t, h, newRequest(body, ctype).WithContext(ctx))
			if w.Code != 400 || a.Error.Code != handler.CodeAborted {
				t.Errorf("cancelled: ServeHTTP = %d %q, want 400 %q", w.Code, a.Error.Code, handler.CodeAborted)
			}
			if n := s.names(); len(n) != 0 {
				t.Errorf("cancelled: stored %q, want nothing", n)
			}
		})
	}
}

// TestUploadSaverFails checks the answer to a storage failure: a generic
// 500, the earlier files deleted, the error logged.
func TestUploadSaverFails(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s := newMemSaver()
			s.put = func(_ context.Context, name string, _ io.Reader) error {
				if strings.HasSuffix(name, "b.txt") {
					return errors.New("s3: InternalError: secret bucket details")
				}
				return nil
			}
			var logs bytes.Buffer
			h, _ := handler.NewUploadHandler(s, handler.Options{Mode: mode, Logger: slogTo(&logs)})
			body, ctype := form(filepart("a", "a.txt", "1"), filepart("b", "b.txt", "2"))
			w, a := serve(t, h, newRequest(body, ctype))
			if w.Code != 500 || a.Error.Code != handler.CodeInternal || strings.Contains(w.Body.String(), "secret") {
				t.Errorf("ServeHTTP = %d %s, want a generic 500", w.Code, w.Body)
			}
			if n := s.names(); len(n) != 0 {
				t.Errorf("stored %q after the failure, want nothing", n)
			}
			if len(s.deleted) != 1 {
				t.Errorf("deleted %q, want the first file", s.deleted)
			}
			if !strings.Contains(logs.String(), "secret bucket details") {
				t.Errorf("log %q does not hold the error", logs.String())
			}
		})
	}
}

// TestUploadAuthorizeFirst checks that Authorize runs before the body is
// read and that a refused request reads none of it.
func TestUploadAuthorizeFirst(t *testing.T) {
	read := false
	h, _ := handler.NewUploadHandler(newMemSaver(), handler.Options{Authorize: func(*http.Request) error { return handler.ErrUnauthorized }})
	r, _ := http.NewRequest(http.MethodPost, "/", errReader{&read})
	r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	w, _ := serve(t, h, r)
	if w.Code != 401 || read {
		t.Errorf("ServeHTTP = %d, body read %v; want 401 and no read", w.Code, read)
	}
	// A declared length over the limit is refused before reading too.
	h, _ = handler.NewUploadHandler(newMemSaver(), handler.Options{MaxRequestSize: 10})
	r, _ = http.NewRequest(http.MethodPost, "/", errReader{&read})
	r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	r.ContentLength = 11
	w, _ = serve(t, h, r)
	if w.Code != 413 || read {
		t.Errorf("ServeHTTP = %d, body read %v; want 413 and no read", w.Code, read)
	}
}

func TestUploadURLFails(t *testing.T) {
	s := newMemSaver()
	h, _ := handler.NewUploadHandler(urlSaver{memSaver: s, err: errors.New("no URL yet")}, handler.Options{})
	body, ctype := form(filepart("a", "a.txt", "1"))
	w, a := serve(t, h, newRequest(body, ctype))
	if w.Code != 201 || len(a.Files) != 1 || a.Files[0]["url"] != nil {
		t.Errorf("ServeHTTP = %d %s, want 201 without url", w.Code, w.Body)
	}
}

// TestUploadDisconnect cuts the connection in the middle of a file over a
// real loopback server: the Saver sees a failed read and nothing stays.
func TestUploadDisconnect(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s := newMemSaver()
			done := make(chan struct{})
			h, _ := handler.NewUploadHandler(s, handler.Options{Mode: mode, TempDir: t.TempDir()})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(done)
				h.ServeHTTP(w, r)
			}))
			defer srv.Close()
			body, ctype := form(filepart("a", "a.txt", "first"), filepart("b", "b.bin", strings.Repeat("x", 1<<20)))
			pr, pw := io.Pipe()
			go func() {
				pw.Write(body[:len(body)/2])
				time.Sleep(50 * time.Millisecond)
				pw.CloseWithError(errors.New("client gone"))
			}()
			r, _ := http.NewRequest(http.MethodPost, srv.URL, pr)
			r.Header.Set("Content-Type", ctype)
			if resp, err := http.DefaultClient.Do(r); err == nil {
				resp.Body.Close()
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the handler did not return")
			}
			if n := s.names(); len(n) != 0 {
				t.Errorf("stored %q after a disconnect, want nothing", n)
			}
		})
	}
}

func TestNewUploadHandlerErrors(t *testing.T) {
	tests := []struct {
		name string
		opts handler.Options
		want string
	}{
		{"bad mode", handler.Options{Mode: 7}, "Mode"},
		{"negative file size", handler.Options{MaxFileSize: -2}, "MaxFileSize"},
		{"negative request size", handler.Options{MaxRequestSize: -5}, "MaxRequestSize"},
		{"unbounded fields", handler.Options{MaxFieldsSize: -1}, "MaxFieldsSize"},
		{"negative files", handler.Options{MaxFiles: -1}, "MaxFiles"},
		{"negative fields", handler.Options{MaxFields: -1}, "MaxFields"},
		{"negative name length", handler.Options{MaxNameLength: -1}, "MaxNameLength"},
		{"bad allowed type", handler.Options{AllowedTypes: []string{"image"}}, "AllowedTypes"},
		{"bad denied type", handler.Options{DeniedTypes: []string{"*/png"}}, "DeniedTypes"},
		{"bad inline type", handler.Options{InlineTypes: []string{"text/html; ="}}, "InlineTypes"},
		{"missing temp dir", handler.Options{TempDir: "/nonexistent/dir"}, "TempDir"},
		{"negative cleanup", handler.Options{CleanupTimeout: -time.Second}, "CleanupTimeout"},
		{"negative idle timeout", handler.Options{IdleTimeout: -time.Second}, "IdleTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := handler.NewUploadHandler(newMemSaver(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "handler: ") {
				t.Errorf("NewUploadHandler(%s) = %v, want an error naming %s", tt.name, err, tt.want)
			}
		})
	}
	if _, err := handler.NewUploadHandler(nil, handler.Options{}); err == nil {
		t.Error("NewUploadHandler(nil) = nil error")
	}
}

func TestIsActive(t *testing.T) {
	tests := []struct {
		ct   string
		want bool
	}{
		{"text/html; charset=utf-8", true}, {"TEXT/HTML", true}, {"application/xhtml+xml", true},
		{"image/svg+xml", true}, {"application/rss+xml", true}, {"text/xml", true}, {"application/xml", true},
		{"text/javascript", true}, {"application/javascript", true}, {"application/x-shockwave-flash", true},
		{"image/png", false}, {"text/plain", false}, {"application/pdf", false}, {"application/json", false},
		{"text/css", false}, {"application/octet-stream", false},
	}
	for _, tt := range tests {
		if got := handler.IsActive(tt.ct); got != tt.want {
			t.Errorf("IsActive(%q) = %v, want %v", tt.ct, got, tt.want)
		}
	}
}

// TestUploadStorageErrorsMapping: a timeout or a lost name that comes from
// the storage, not from the client's body, is not blamed on the client.
func TestUploadStorageErrorsMapping(t *testing.T) {
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"S3 timeout", fmt.Errorf("storage: save: %w", timeout), 500, handler.CodeInternal},
		{"name taken", &storage.Error{Op: "save", Key: "k", Err: storage.ErrExist}, 409, handler.CodeNameTaken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemSaver()
			s.put = func(context.Context, string, io.Reader) error { return tc.err }
			var logs bytes.Buffer
			h, _ := handler.NewUploadHandler(s, handler.Options{Logger: slogTo(&logs)})
			body, ctype := form(filepart("f", "a.txt", "1"))
			w, a := serve(t, h, newRequest(body, ctype))
			if w.Code != tc.status || a.Error.Code != tc.code {
				t.Errorf("ServeHTTP = %d %s, want %d %s", w.Code, a.Error.Code, tc.status, tc.code)
			}
			if tc.status == 500 && !strings.Contains(logs.String(), "ERROR") {
				t.Errorf("a storage timeout was not logged as an error: %q", logs.String())
			}
		})
	}
}

// TestUploadNoFileLimitKeepsRequestLimit: MaxFileSize -1 lifts the file
// bound only; the request body stays bounded by the default.
func TestUploadNoFileLimitKeepsRequestLimit(t *testing.T) {
	h, err := handler.NewUploadHandler(newMemSaver(), handler.Options{MaxFileSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	body, ctype := form(filepart("f", "big.bin", strings.Repeat("x", handler.DefaultMaxRequestSize+1)))
	w, a := serve(t, h, newRequest(body, ctype))
	if w.Code != http.StatusRequestEntityTooLarge || a.Error.Code != handler.CodeRequestTooLarge {
		t.Errorf("ServeHTTP(a body over the default limit) = %d %s, want 413 %s", w.Code, a.Error.Code, handler.CodeRequestTooLarge)
	}
}
