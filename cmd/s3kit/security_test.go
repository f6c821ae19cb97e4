package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/handler"
)

// newTestApp opens the storages of an in-memory embedded server with the
// environment env and returns serve's handler on them.
func newTestApp(t *testing.T, env map[string]string, opts serveOptions) (*app, *storages) {
	t.Helper()
	c := &cli{stdout: io.Discard, stderr: io.Discard, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	st, err := c.open(context.Background(), &storageFlags{storage: "default", memory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if opts.maxFileSize == 0 {
		opts.maxFileSize = 1 << 20
	}
	opts.listLimit = 10
	if opts.log == nil {
		opts.log = discardLog
	}
	a, err := newApp(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a, st
}

// discardLog logs nothing.
var discardLog = slog.New(slog.DiscardHandler)

// uploadRequest is a POST /upload of one small file, addressed to host.
func uploadRequest(host string) *http.Request {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "note.txt")
	fw.Write([]byte("a note\n"))
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, "http://"+host+"/upload", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

// TestServeHost: serve answers loopback Host names, and those of
// -allowed-hosts, and refuses others (DNS rebinding) with 421 before
// anything runs: a refused upload stores nothing.
func TestServeHost(t *testing.T) {
	hosts, err := parseAllowedHosts("dev.example.test, .apps.example.test,[fd00::5]")
	if err != nil {
		t.Fatal(err)
	}
	a, st := newTestApp(t, nil, serveOptions{hosts: hosts})
	for _, tc := range []struct {
		host string
		want int
	}{
		{"localhost:8000", 200},
		{"localhost", 200},
		{"LocalHost.:8000", 200},
		{"app.localhost:8000", 200},
		{"127.0.0.1:8000", 200},
		{"127.8.9.10", 200},
		{"[::1]:8000", 200},
		{"dev.example.test:8000", 200},
		{"apps.example.test", 200},
		{"a.b.apps.example.test:80", 200},
		{"[fd00::5]:8000", 200},
		{"rebind.evil.example", 421},
		{"rebind.evil.example:8000", 421},
		{"localhost.evil.example", 421},
		{"evil-localhost:8000", 421},
		{"example.test", 421},
		{"notapps.example.test", 421},
		{"127.0.0.1.evil.example", 421},
		{"10.0.0.1:8000", 421},
		{"[::2]:8000", 421},
		{"[::1", 421},
		{"localhost:80:80", 421},
		{"localhost:http", 421},
		{"", 421},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Host = tc.host
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("GET / with Host %q = %d, want %d (%.100s)", tc.host, w.Code, tc.want, w.Body)
		}
		if tc.want == 421 && (!strings.Contains(w.Body.String(), "-allowed-hosts") || strings.Contains(w.Body.String(), "<")) {
			t.Errorf("GET / with Host %q: the refusal reads %q, want a short text naming -allowed-hosts", tc.host, w.Body)
		}
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, uploadRequest("rebind.evil.example:8000"))
	if w.Code != http.StatusMisdirectedRequest {
		t.Errorf("POST /upload with Host rebind.evil.example = %d, want 421", w.Code)
	}
	if names := stored(t, st.media); len(names) != 0 {
		t.Errorf("a refused upload stored %q", names)
	}
	w = httptest.NewRecorder()
	a.ServeHTTP(w, uploadRequest("localhost:8000"))
	if w.Code != http.StatusCreated || len(stored(t, st.media)) != 1 {
		t.Errorf("POST /upload with Host localhost = %d (%s), want 201 and one file stored", w.Code, w.Body)
	}
}

func TestParseAllowedHosts(t *testing.T) {
	for _, bad := range []string{"http://dev.test", "dev.test:8000", "dev.test/x", "user@dev.test", "[::1", "[dev.test]", ".", ".,dev.test", ".."} {
		if _, err := parseAllowedHosts(bad); err == nil {
			t.Errorf("parseAllowedHosts(%q) = nil error, want one", bad)
		}
	}
	p, err := parseAllowedHosts("*")
	if err != nil || !p.allows("anything.example") {
		t.Errorf(`parseAllowedHosts("*") = %v; allows anything.example: %v, want true`, err, p.allows("anything.example"))
	}
}

// TestServeCrossOrigin: serve refuses cross-origin browser POSTs (its own
// layer, around every route) and stores nothing for them; same-origin
// ones, non-browser ones and those of -trusted-origins pass.
func TestServeCrossOrigin(t *testing.T) {
	a, st := newTestApp(t, nil, serveOptions{trustedOrigins: []string{"https://app.example.test"}})
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"Origin of another site", map[string]string{"Origin": "https://evil.example"}, 403},
		{"Origin null", map[string]string{"Origin": "null"}, 403},
		{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"Sec-Fetch-Site same-site", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost:8000"}, 403},
		{"Origin on another port", map[string]string{"Origin": "http://localhost:9999"}, 403},
		{"same origin, Sec-Fetch-Site", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost:8000"}, 201},
		{"same origin, Origin only", map[string]string{"Origin": "http://localhost:8000"}, 201},
		{"no browser headers (curl)", nil, 201},
		{"a trusted origin", map[string]string{"Origin": "https://app.example.test", "Sec-Fetch-Site": "cross-site"}, 201},
	} {
		r := uploadRequest("localhost:8000")
		for k, v := range tc.headers {
			r.Header.Set(k, v)
		}
		before := len(stored(t, st.media))
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		after := len(stored(t, st.media))
		if w.Code != tc.want {
			t.Errorf("%s: POST /upload = %d (%.100s), want %d", tc.name, w.Code, w.Body, tc.want)
		}
		if stores := after > before; stores != (tc.want == 201) {
			t.Errorf("%s: %d files stored, had %d", tc.name, after, before)
		}
	}
	// The policy endpoints and Uppy's routes are behind the same layer,
	// and refuse cross-origin requests themselves with the same trusted
	// origins: a trusted origin passes both.
	b := newBrowser(t, a)
	for _, tc := range []struct{ path, body string }{
		{"/upload/policy", `{"filename":"a.txt","size":3}`},
		{"/upload/policy/confirm", `{"name":"a.txt","token":"x"}`},
		{"/s3/multipart", `{"filename":"a.bin","type":"application/octet-stream"}`},
	} {
		for origin, refused := range map[string]bool{"https://evil.example": true, "https://app.example.test": false} {
			r := httptest.NewRequest(http.MethodPost, "http://localhost:8000"+tc.path, strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			r.Header.Set("Origin", origin)
			r.Header.Set("Cookie", b.cookie)
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			// serve's layer, or the handler's (handler.CodeCrossOrigin).
			crossOrigin := w.Code == http.StatusForbidden && (strings.Contains(w.Body.String(), "s3kit serve refuses cross-origin") ||
				strings.Contains(w.Body.String(), handler.CodeCrossOrigin))
			if crossOrigin != refused {
				t.Errorf("cross-site POST %s from %s = %d (%.120s); refused for its origin: %v, want %v", tc.path, origin, w.Code, w.Body, crossOrigin, refused)
			}
		}
	}
}

// TestServePageHeaders: the page sends a Content-Security-Policy that
// allows scripts of its own origin only (not the embedded server's, which
// serves what users upload), its style from the embedded server (the
// static storage), connections to it (POST policies, Uppy's parts), no
// inline script, no framing; every answer has nosniff; the page has one
// module script, and no inline script, style or handler to allow.
func TestServePageHeaders(t *testing.T) {
	a, st := newTestApp(t, nil, serveOptions{})
	r := httptest.NewRequest(http.MethodGet, "http://localhost:8000/", nil)
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("GET / = %d: %s", w.Code, w.Body)
	}
	csp := w.Header().Get("Content-Security-Policy")
	s3, _ := url.Parse(st.endpoint)
	s3Origin := "http://" + s3.Host
	directives := map[string]string{}
	for d := range strings.SplitSeq(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, want := range map[string]string{
		"default-src":     "'none'",
		"script-src":      "'self'",
		"style-src":       "'self' " + s3Origin,
		"connect-src":     "'self' " + s3Origin,
		"frame-ancestors": "'none'",
		"base-uri":        "'none'",
		"form-action":     "'self'",
	} {
		if directives[name] != want {
			t.Errorf("the page's CSP %s is %q, want %q (CSP %q)", name, directives[name], want, csp)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("the page's CSP allows something unsafe: %q", csp)
	}
	if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("the page's X-Content-Type-Options = %q, want nosniff", got)
	}
	page := w.Body.String()
	if m := regexp.MustCompile(`(?i)<script(\s[^>]*)?>`).FindAllString(page, -1); len(m) != 1 || m[0] != `<script type="module" src="/scripts/app.js">` {
		t.Errorf("the page's scripts are %q, want one module, /scripts/app.js", m)
	}
	if m := regexp.MustCompile(`(?i)<style|\sstyle=|\son[a-z]+=`).FindString(page); m != "" {
		t.Errorf("the page has inline style or a handler the CSP would block: %q", m)
	}
	for _, p := range []string{"/healthz", "/media/none.txt"} {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://localhost:8000"+p, nil))
		if w.Header().Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("GET %s: nosniff %q, CSP %q; want nosniff and frame-ancestors 'none'", p, w.Header().Get("X-Content-Type-Options"), w.Header().Get("Content-Security-Policy"))
		}
	}
}
