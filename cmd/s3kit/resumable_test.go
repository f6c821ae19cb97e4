package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/storage"
)

// The pins of the vendored Uppy bundle (scripts/uppy-6.0.1/README.md).
const (
	uppyBundleSHA256  = "87be6ec113538a78d54bd85acdd13d0ae7a2e2ac055b5d87447851b9012b2f11"
	uppyLicenseSHA256 = "d11cc537f88ff868f8e88dbb4c85c4883c5573ca8cc99d3f16fa50d9a6aee19e"
)

// TestVendoredUppy: the bundle and its licence are the files of the npm
// package, unchanged, and the page's module imports that bundle.
func TestVendoredUppy(t *testing.T) {
	for path, want := range map[string]string{
		"scripts/" + uppyDir + "uppy.min.mjs": uppyBundleSHA256,
		"scripts/" + uppyDir + "LICENSE":      uppyLicenseSHA256,
	} {
		b, err := scriptFiles.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != want {
			t.Errorf("%s: sha256 %x, want the pinned %s", path, sum, want)
		}
	}
	app, err := scriptFiles.ReadFile("scripts/app.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(app, []byte(`from "./`+uppyDir+`uppy.min.mjs";`)) {
		t.Errorf("scripts/app.js does not import ./%suppy.min.mjs", uppyDir)
	}
}

// TestServeScripts: the page's module and the bundle are served as
// JavaScript (a module script needs the type), the bundle cached for
// good, the module revalidated; nothing else is.
func TestServeScripts(t *testing.T) {
	a, _ := newTestApp(t, nil, serveOptions{})
	for path, cache := range map[string]string{
		"/scripts/app.js":                        "no-cache",
		"/scripts/" + uppyDir + "uppy.min.mjs":   "public, max-age=31536000, immutable",
		"/scripts/" + uppyDir + "LICENSE":        "public, max-age=31536000, immutable",
		"/scripts/" + uppyDir + "uppy.min.css":   "", // not vendored
		"/scripts/" + uppyDir + "uppy.min.mjs.x": "",
	} {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://localhost:8000"+path, nil))
		switch {
		case cache == "" && w.Code != http.StatusNotFound:
			t.Errorf("GET %s = %d, want 404", path, w.Code)
		case cache == "":
		case w.Code != http.StatusOK || w.Header().Get("Cache-Control") != cache:
			t.Errorf("GET %s = %d, Cache-Control %q; want 200, %q", path, w.Code, w.Header().Get("Cache-Control"), cache)
		case strings.HasSuffix(path, "js") && w.Header().Get("Content-Type") != "text/javascript; charset=utf-8":
			t.Errorf("GET %s: Content-Type %q, want JavaScript", path, w.Header().Get("Content-Type"))
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", path)
		}
	}
}

// uppyClient calls serve's /s3/ routes as the page's Uppy does, with a
// browser's cookie.
type uppyClient struct {
	t      *testing.T
	a      *app
	cookie string // "name=value", or ""
}

// newBrowser opens the page and keeps the identity it gives.
func newBrowser(t *testing.T, a *app) *uppyClient {
	t.Helper()
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://localhost:8000/", nil))
	cookies := w.Result().Cookies()
	if w.Code != http.StatusOK || len(cookies) != 1 {
		t.Fatalf("GET / = %d with cookies %v, want 200 and one cookie", w.Code, cookies)
	}
	return &uppyClient{t: t, a: a, cookie: cookies[0].Name + "=" + cookies[0].Value}
}

// call makes one request and decodes its JSON answer into out (if not nil).
func (c *uppyClient) call(method, target string, body any, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r := httptest.NewRequest(method, "http://localhost:8000"+target, rd)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != "" {
		r.Header.Set("Cookie", c.cookie)
	}
	w := httptest.NewRecorder()
	c.a.ServeHTTP(w, r)
	if out != nil && w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			c.t.Fatalf("%s %s: %v in %q", method, target, err, w.Body)
		}
	}
	return w.Code
}

// started is an upload as Uppy holds it.
type started struct {
	Key      string `json:"key"`
	UploadID string `json:"uploadId"`
}

func (c *uppyClient) create(filename string) started {
	c.t.Helper()
	var s started
	if code := c.call(http.MethodPost, "/s3/multipart", map[string]any{"filename": filename, "type": "application/octet-stream",
		"metadata": map[string]any{"name": filename}}, &s); code != http.StatusOK || s.Key == "" || s.UploadID == "" {
		c.t.Fatalf("POST /s3/multipart = %d, %+v", code, s)
	}
	return s
}

func (s started) path(suffix string) string {
	return "/s3/multipart/" + url.PathEscape(s.UploadID) + suffix + "?key=" + url.QueryEscape(s.Key)
}

// TestServeBrowserIdentity: the page gives each browser a MAC'd,
// HttpOnly, SameSite=Strict cookie; /s3/ refuses calls without a valid
// one (401) and a browser's calls on another's upload (403); a browser
// keeps its identity when it opens the page again.
func TestServeBrowserIdentity(t *testing.T) {
	a, _ := newTestApp(t, nil, serveOptions{})
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://localhost:8000/", nil))
	c := w.Result().Cookies()
	if len(c) != 1 || c[0].Name != browserCookie || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode || c[0].Path != "/" || c[0].MaxAge <= 0 {
		t.Fatalf("the page's cookies: %+v; want one HttpOnly, SameSite=Strict, Path=/ cookie with a Max-Age", c)
	}

	alice, bob := newBrowser(t, a), newBrowser(t, a)
	if alice.cookie == bob.cookie {
		t.Fatal("two browsers got the same identity")
	}
	up := alice.create("notes.bin")
	if code := alice.call(http.MethodGet, up.path(""), nil, nil); code != http.StatusOK {
		t.Errorf("the owner lists its parts: %d, want 200", code)
	}
	for _, tc := range []struct {
		name   string
		client *uppyClient
		want   int
	}{
		{"another browser", bob, http.StatusForbidden},
		{"no cookie", &uppyClient{t: t, a: a}, http.StatusUnauthorized},
		{"a forged cookie", &uppyClient{t: t, a: a, cookie: browserCookie + "=AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA"}, http.StatusUnauthorized},
		{"the owner's id with another MAC", &uppyClient{t: t, a: a, cookie: alice.cookie[:strings.Index(alice.cookie, ".")] + ".AAAAAAAAAAAAAAAAAAAAAA"}, http.StatusUnauthorized},
	} {
		for _, call := range []struct{ method, path string }{
			{http.MethodGet, up.path("")}, {http.MethodGet, up.path("/1")}, {http.MethodDelete, up.path("")},
		} {
			if code := tc.client.call(call.method, call.path, nil, nil); code != tc.want {
				t.Errorf("%s: %s %s = %d, want %d", tc.name, call.method, call.path, code, tc.want)
			}
		}
	}
	// Opened again, the page keeps the browser's identity.
	r := httptest.NewRequest(http.MethodGet, "http://localhost:8000/", nil)
	r.Header.Set("Cookie", alice.cookie)
	w = httptest.NewRecorder()
	a.ServeHTTP(w, r)
	if c := w.Result().Cookies(); len(c) != 1 || c[0].Name+"="+c[0].Value != alice.cookie {
		t.Errorf("the page gave a known browser %v, want its own identity back", c)
	}
	if code := alice.call(http.MethodDelete, up.path(""), nil, nil); code != http.StatusOK {
		t.Errorf("the owner aborts: %d, want 200", code)
	}
}

// TestServeSizeBounds: /upload takes files up to the resumable threshold
// (or -max-file-size, if smaller); /s3/ completes nothing over
// -max-file-size, and aborts what is over it. On the way, the embedded
// server's CORS lets the page read each part's ETag.
func TestServeSizeBounds(t *testing.T) {
	a, st := newTestApp(t, nil, serveOptions{maxFileSize: 7 << 20, resumable: 5 << 20})
	for _, tc := range []struct {
		size int
		want int
	}{{5 << 20, http.StatusCreated}, {5<<20 + 1, http.StatusRequestEntityTooLarge}} {
		r := uploadRequestOf(t, "sized.bin", tc.size)
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("POST /upload of %d bytes = %d, want %d", tc.size, w.Code, tc.want)
		}
	}

	b := newBrowser(t, a)
	up := b.create("large.bin")
	var parts []map[string]any
	for n, size := range []int{5 << 20, 2<<20 + 1} { // 7 MiB + 1 in all
		var signed struct {
			URL string `json:"url"`
		}
		if code := b.call(http.MethodGet, up.path("/"+string(rune('1'+n))), nil, &signed); code != http.StatusOK {
			t.Fatalf("signing part %d: %d", n+1, code)
		}
		req, _ := http.NewRequest(http.MethodPut, signed.URL, bytes.NewReader(make([]byte, size)))
		req.Header.Set("Origin", "http://localhost:8000") // the page's: Uppy reads the ETag
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT part %d = %d", n+1, resp.StatusCode)
		}
		if h := resp.Header; h.Get("Access-Control-Allow-Origin") != "http://localhost:8000" || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "ETag") {
			t.Errorf("the embedded server's CORS answer to the page's part: Allow-Origin %q, Expose-Headers %q; want the page's origin and ETag",
				h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Expose-Headers"))
		}
		parts = append(parts, map[string]any{"PartNumber": n + 1, "ETag": strings.Trim(resp.Header.Get("ETag"), `"`)})
	}
	if code := b.call(http.MethodPost, up.path("/complete"), map[string]any{"parts": parts}, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("completing 7 MiB + 1 with -max-file-size 7MiB = %d, want 413", code)
	}
	if code := b.call(http.MethodGet, up.path(""), nil, nil); code != http.StatusNotFound {
		t.Errorf("the refused upload is still open (listing it: %d, want 404)", code)
	}
	name := up.Key // the test's storage has no location
	if _, err := st.media.Stat(context.Background(), name); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("the refused file: Stat = %v, want ErrNotExist", err)
	}
}

// uploadRequestOf is a POST /upload of one file of size zero bytes.
func uploadRequestOf(t *testing.T, filename string, size int) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(make([]byte, size))
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, "http://localhost:8000/upload", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

// TestSizeFlag: sizes in bytes or binary units; anything else refused.
func TestSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{
		"100": 100, "64MiB": 64 << 20, "5 GiB": 5 << 30, "1.5gib": 3 << 29, "2TiB": 2 << 40, "7KiB": 7 << 10, "0": 0, "12b": 12,
	} {
		var n int64
		if err := (sizeFlag{&n}).Set(in); err != nil || n != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"", "-1", "5MB", "1.5", "0.5KiB x", "MiB", "1e30", "NaN"} {
		var n int64
		if err := (sizeFlag{&n}).Set(in); err == nil {
			t.Errorf("Set(%q) = %d, want an error", in, n)
		}
	}
	for n, want := range map[int64]string{5 << 30: "5GiB", 100 << 20: "100MiB", 1000: "1000", 3 << 29: "1536MiB"} {
		if got := (sizeFlag{&n}).String(); got != want {
			t.Errorf("String(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestParseServeSizes: serve's size flags, their defaults and bounds.
func TestParseServeSizes(t *testing.T) {
	c := quietCLI()
	parseServe := func(args ...string) (*serveConfig, error) {
		return c.parseServe(flag.NewFlagSet("serve", flag.ContinueOnError), args)
	}
	cfg, err := parseServe()
	if err != nil || cfg.app.maxFileSize != 5<<30 || cfg.app.resumable != 100<<20 {
		t.Fatalf("defaults: %+v, %v; want 5 GiB and 100 MiB", cfg, err)
	}
	cfg, err = parseServe("-max-file-size", "1GiB", "-resumable-threshold", "16MiB")
	if err != nil || cfg.app.maxFileSize != 1<<30 || cfg.app.resumable != 16<<20 || cfg.app.smallFileSize() != 16<<20 {
		t.Errorf("-max-file-size 1GiB -resumable-threshold 16MiB: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{
		{"-resumable-threshold", "4MiB"}, {"-resumable-threshold", "6GiB"}, {"-max-file-size", "0"}, {"-max-file-size", "6TiB"}, {"-max-file-size", "ten"},
	} {
		var ue *usageError
		if _, err := parseServe(args...); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

// TestAppSecret: with the embedded server's secret, serve's key is the
// same at every start (browsers and their uploads outlive a restart);
// without it, it is random.
func TestAppSecret(t *testing.T) {
	one := appSecret(&storages{local: true, secret: "the embedded server's secret"})
	if !bytes.Equal(one, appSecret(&storages{local: true, secret: "the embedded server's secret"})) || len(one) != 32 {
		t.Errorf("the key of one data directory changes: %x", one)
	}
	if bytes.Equal(one, appSecret(&storages{local: true, secret: "another secret of the same length!!"})) {
		t.Error("two data directories share a key")
	}
	r1, r2 := appSecret(&storages{}), appSecret(&storages{})
	if bytes.Equal(r1, r2) || len(r1) != 32 {
		t.Errorf("a configured bucket's key is not random: %x, %x", r1, r2)
	}
}
