package handler_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/handler"
)

// originCase is a browser (or non-browser) request as the cross-origin
// check sees it: the headers a browser sets, and what must happen.
type originCase struct {
	name    string
	headers map[string]string
	allowed bool
}

// originCases covers what pages and clients send. The request's Host is
// "site.example".
var originCases = []originCase{
	{"Origin evil", map[string]string{"Origin": "https://evil.example"}, false},
	{"Origin null", map[string]string{"Origin": "null"}, false},
	{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, false},
	{"Sec-Fetch-Site cross-site alone", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
	{"Sec-Fetch-Site same-site", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://sub.site.example"}, false},
	{"Sec-Fetch-Site same-origin", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "https://site.example"}, true},
	{"Sec-Fetch-Site none", map[string]string{"Sec-Fetch-Site": "none"}, true},
	{"old browser, same origin", map[string]string{"Origin": "https://site.example"}, true},
	{"no headers (curl)", nil, true},
	{"trusted origin", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example"}, true},
	{"trusted origin, old browser", map[string]string{"Origin": "https://app.example"}, true},
	{"trusted origin with another port", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example:8443"}, false},
}

func withHeaders(r *http.Request, h map[string]string) *http.Request {
	r.Host = "site.example"
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

// TestUploadCrossOrigin: cross-origin browser requests are refused with
// 403 before anything is stored or even read; same-origin, trusted and
// non-browser requests are stored.
func TestUploadCrossOrigin(t *testing.T) {
	body, ctype := form(filepart("file", "a.txt", "hello"))
	for _, tc := range originCases {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemSaver()
			h, err := handler.NewUploadHandler(s, handler.Options{TrustedOrigins: []string{"https://app.example"}})
			if err != nil {
				t.Fatal(err)
			}
			w, a := serve(t, h, withHeaders(newRequest(body, ctype), tc.headers))
			switch {
			case tc.allowed && (w.Code != http.StatusCreated || len(s.names()) != 1):
				t.Errorf("upload with %v = %d %q, %d stored; want 201 and 1 stored", tc.headers, w.Code, a.Error.Code, len(s.names()))
			case !tc.allowed && (w.Code != http.StatusForbidden || a.Error.Code != handler.CodeCrossOrigin):
				t.Errorf("upload with %v = %d %q, want 403 %q", tc.headers, w.Code, a.Error.Code, handler.CodeCrossOrigin)
			case !tc.allowed && (s.started.Load() != 0 || len(s.names()) != 0):
				t.Errorf("upload with %v: %d Puts, %q stored; want nothing", tc.headers, s.started.Load(), s.names())
			}
		})
	}
}

// TestUploadCrossOriginBodyUnread: a refused request's body is not read.
func TestUploadCrossOriginBodyUnread(t *testing.T) {
	h, _ := handler.NewUploadHandler(newMemSaver(), handler.Options{})
	var read bool
	r, _ := http.NewRequest(http.MethodPost, "/upload", errReader{&read})
	r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	w, _ := serve(t, h, withHeaders(r, map[string]string{"Origin": "null"}))
	if w.Code != http.StatusForbidden || read {
		t.Errorf("cross-origin upload = %d, body read: %v; want 403, unread", w.Code, read)
	}
}

// TestUploadCrossOriginOptOut: InsecureAllowCrossOrigin accepts any
// origin; a malformed trusted origin is refused by the constructor.
func TestUploadCrossOriginOptOut(t *testing.T) {
	s := newMemSaver()
	h, _ := handler.NewUploadHandler(s, handler.Options{InsecureAllowCrossOrigin: true})
	body, ctype := form(filepart("file", "a.txt", "hello"))
	w, _ := serve(t, h, withHeaders(newRequest(body, ctype), map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}))
	if w.Code != http.StatusCreated || len(s.names()) != 1 {
		t.Errorf("cross-origin upload with the opt-out = %d, %d stored; want 201, 1", w.Code, len(s.names()))
	}
	for _, bad := range []string{"app.example", "https://app.example/path", "https://"} {
		if _, err := handler.NewUploadHandler(s, handler.Options{TrustedOrigins: []string{bad}}); err == nil || !strings.Contains(err.Error(), "TrustedOrigins") {
			t.Errorf("NewUploadHandler(TrustedOrigins: %q) = %v, want an error naming the option", bad, err)
		}
		if _, err := handler.NewPolicyHandler(&fakePresigner{}, handler.PolicyOptions{TrustedOrigins: []string{bad}}); err == nil {
			t.Errorf("NewPolicyHandler(TrustedOrigins: %q) = nil error, want one", bad)
		}
	}
}

// TestPolicyCrossOrigin: the policy handler signs nothing for a
// cross-origin browser request.
func TestPolicyCrossOrigin(t *testing.T) {
	for _, tc := range originCases {
		t.Run(tc.name, func(t *testing.T) {
			p := &fakePresigner{}
			h, err := handler.NewPolicyHandler(p, handler.PolicyOptions{TrustedOrigins: []string{"https://app.example"}})
			if err != nil {
				t.Fatal(err)
			}
			r, _ := http.NewRequest(http.MethodPost, "/policy", strings.NewReader(`{"filename": "a.png", "content_type": "image/png"}`))
			r.Header.Set("Content-Type", "application/json")
			w, a := serve(t, h, withHeaders(r, tc.headers))
			switch {
			case tc.allowed && (w.Code != http.StatusOK || p.name == ""):
				t.Errorf("policy with %v = %d %q, signed %q; want 200 and a policy", tc.headers, w.Code, a.Error.Code, p.name)
			case !tc.allowed && (w.Code != http.StatusForbidden || a.Error.Code != handler.CodeCrossOrigin || p.name != ""):
				t.Errorf("policy with %v = %d %q, signed %q; want 403 %q and nothing signed", tc.headers, w.Code, a.Error.Code, p.name, handler.CodeCrossOrigin)
			}
		})
	}
}
