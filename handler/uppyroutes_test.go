package handler_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/handler"
)

// TestUppyRoutes: unknown routes are 404 and other methods 405 with
// Allow, in JSON like every answer.
func TestUppyRoutes(t *testing.T) {
	b := &browser{t: t, h: newUppy(t, newFakeDirect(""), handler.UppyOptions{}), user: "alice"}
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/s3/nothing", 404, ""},
		{"GET", "/s3/", 404, ""},
		{"POST", "/s3/params", 405, "GET"},
		{"GET", "/s3/multipart", 405, "POST"},
		{"PUT", "/s3/multipart/x", 405, "GET, DELETE"},
		{"POST", "/s3/multipart/x/3", 405, "GET"},
		{"GET", "/s3/multipart/x/complete", 405, "POST"},
		{"GET", "/s3/presign", 405, "POST"},
		{"GET", "/s3/confirm", 405, "POST"},
	} {
		status, raw := b.call(tc.method, tc.path, nil)
		if status != tc.status {
			t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, status, raw, tc.status)
		}
		errorOf(t, raw)
	}
}

// TestUppyPrincipal: without a principal nothing happens: 401 for an
// empty one or ErrUnauthorized, the hook's own answer for an *Error, 500
// (and no detail) for any other error.
func TestUppyPrincipal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p      func(*http.Request) (string, error)
		status int
	}{
		{"empty", func(*http.Request) (string, error) { return "", nil }, 401},
		{"unauthorized", func(*http.Request) (string, error) { return "", handler.ErrUnauthorized }, 401},
		{"forbidden", func(*http.Request) (string, error) { return "x", handler.ErrForbidden }, 403},
		{"broken", func(*http.Request) (string, error) { return "", errors.New("db down: secret detail") }, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDirect("")
			b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{Principal: tc.p})}
			status, raw := b.create("a.bin", "")
			if status != tc.status || strings.Contains(string(raw), "secret") || len(f.ops) != 0 {
				t.Errorf("create = %d %s, S3 calls %q; want %d and none", status, raw, f.ops, tc.status)
			}
		})
	}
}

// TestUppyCrossOrigin: the calls that change something refuse
// cross-origin browser requests before anything reaches S3; GETs (which
// a page of another origin cannot read) pass the check.
func TestUppyCrossOrigin(t *testing.T) {
	for _, hdr := range []map[string]string{
		{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
		{"Origin": "null", "Sec-Fetch-Site": ""},
		{"Origin": "https://evil.example", "Sec-Fetch-Site": ""},
	} {
		f := newFakeDirect("")
		b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{}), user: "alice", hdr: hdr}
		for _, call := range []struct{ method, path string }{
			{"POST", "/s3/multipart"}, {"POST", "/s3/presign"}, {"POST", "/s3/confirm"},
			{"POST", "/s3/multipart/x/complete?key=k"}, {"DELETE", "/s3/multipart/x?key=k"},
		} {
			status, raw := b.call(call.method, call.path, map[string]any{"filename": "a.bin", "method": "PUT", "key": "a.bin"})
			if status != 403 || errorOf(t, raw) != handler.CodeCrossOrigin {
				t.Errorf("%s %s with %v = %d %s, want 403 %s", call.method, call.path, hdr, status, raw, handler.CodeCrossOrigin)
			}
		}
		if len(f.ops) != 0 {
			t.Errorf("cross-origin requests reached S3: %q", f.ops)
		}
	}
	f := newFakeDirect("")
	trusted := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{TrustedOrigins: []string{"https://app.example"}}),
		user: "alice", hdr: map[string]string{"Origin": "https://app.example", "Sec-Fetch-Site": "cross-site"}}
	if status, raw := trusted.create("a.bin", ""); status != 200 {
		t.Errorf("create from a trusted origin = %d %s", status, raw)
	}
}

// TestUppyOptions: the constructor refuses what cannot work.
func TestUppyOptions(t *testing.T) {
	p := cookiePrincipal
	for _, tc := range []struct {
		name string
		opts handler.UppyOptions
		err  string
	}{
		{"no principal", handler.UppyOptions{Secret: testSecret}, "Principal"},
		{"no secret", handler.UppyOptions{Principal: p}, "Secret"},
		{"short secret", handler.UppyOptions{Principal: p, Secret: testSecret[:31]}, "Secret"},
		{"negative size", handler.UppyOptions{Principal: p, Secret: testSecret, MaxFileSize: -1}, "MaxFileSize"},
		{"too many parts", handler.UppyOptions{Principal: p, Secret: testSecret, MaxParts: 10001}, "MaxParts"},
		{"expiry over 7 days", handler.UppyOptions{Principal: p, Secret: testSecret, Expire: 8 * 24 * 3600e9}, "Expire"},
		{"bad origin", handler.UppyOptions{Principal: p, Secret: testSecret, TrustedOrigins: []string{"evil"}}, "TrustedOrigins"},
		{"bad type", handler.UppyOptions{Principal: p, Secret: testSecret, AllowedTypes: []string{"image/*/x"}}, "AllowedTypes"},
	} {
		if _, err := handler.NewUppyHandler(newFakeDirect(""), tc.opts); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("NewUppyHandler(%s) = %v, want an error naming %s", tc.name, err, tc.err)
		}
	}
	if _, err := handler.NewUppyHandler(nil, handler.UppyOptions{Principal: p, Secret: testSecret}); err == nil {
		t.Error("NewUppyHandler(nil) = nil error")
	}
}

// TestUppyPrincipalPrefix: a custom directory per principal; one that is
// not a clean name is a 500, never a key outside it.
func TestUppyPrincipalPrefix(t *testing.T) {
	f := newFakeDirect("")
	pp := func(p string) (string, error) { return "users/" + p, nil }
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{PrincipalPrefix: pp}), user: "42"}
	var c created
	status, raw := b.create("a.bin", "")
	b.must(status, raw, &c)
	if !strings.HasPrefix(c.Key, "users/42/") {
		t.Errorf("key %s, want it under users/42/", c.Key)
	}
	evil := &browser{t: t, h: b.h, user: "../x"}
	if status, raw := evil.create("a.bin", ""); status != 500 {
		t.Errorf("create with a principal directory users/../x = %d %s, want 500", status, raw)
	}
}

// TestUppyMethods: every route answers every method it does not take
// with 405 and the Allow header of the methods it does, in JSON: the
// complete and batch routes included, which share their shape with a
// part's. (The old code answered PUT and DELETE on complete with Allow:
// GET, and PUT on batch likewise.)
func TestUppyMethods(t *testing.T) {
	b := &browser{t: t, h: newUppy(t, newFakeDirect(""), handler.UppyOptions{}), user: "alice"}
	routes := map[string]string{
		"/s3/params": "GET", "/s3/multipart": "POST", "/s3/multipart/x": "GET, DELETE",
		"/s3/multipart/x/3": "GET", "/s3/multipart/x/batch": "GET", "/s3/multipart/x/complete": "POST",
		"/s3/presign": "POST", "/s3/confirm": "POST",
	}
	for path, allow := range routes {
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
			if strings.Contains(allow, m) || m == "HEAD" && strings.Contains(allow, "GET") {
				continue
			}
			r := httptest.NewRequest(m, "http://site.example"+path, nil)
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			r.AddCookie(&http.Cookie{Name: "user", Value: "alice"})
			w := httptest.NewRecorder()
			b.h.ServeHTTP(w, r)
			if w.Code != 405 || w.Header().Get("Allow") != allow {
				t.Errorf("%s %s = %d Allow %q, want 405 Allow %q", m, path, w.Code, w.Header().Get("Allow"), allow)
			}
			if m != "HEAD" && !strings.Contains(w.Body.String(), handler.CodeMethodNotAllowed) {
				t.Errorf("%s %s: body %q", m, path, w.Body)
			}
		}
	}
}
