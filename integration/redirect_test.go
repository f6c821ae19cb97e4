package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3kit/s3kit/middleware"
	"github.com/s3kit/s3kit/storage"
)

// TestRedirectEndToEnd follows the Redirect middleware's redirects to the
// real server: the browser's path, from the app's URL to the stored bytes.
func TestRedirectEndToEnd(t *testing.T) {
	st := newStorage(t, storage.Options{Location: "media"})
	files := map[string]string{
		"avatars/ünï côde.png":  "\x89PNG fake image bytes",
		"docs/report+final.pdf": "%PDF-1.7 fake",
		"a&b?c#d.txt":           "url-significant",
	}
	for name, content := range files {
		mustSave(t, st, name, content)
	}
	rd, err := middleware.NewRedirect(st, middleware.RedirectOptions{Prefix: "/media/", CheckExists: true})
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(rd.Handler(http.NotFoundHandler()))
	defer app.Close()

	get := func(method, path string) (int, string, http.Header) {
		t.Helper()
		return fetch(t, method, app.URL+path, nil) // follows redirects
	}
	escape := func(name string) string {
		parts := strings.Split(name, "/")
		for i, p := range parts {
			parts[i] = url.PathEscape(p)
		}
		return strings.Join(parts, "/")
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			if code, body, _ := get("GET", "/media/"+escape(name)); code != 200 || body != content {
				t.Errorf("GET /media/%s followed = %d %q, want 200 %q", name, code, body, content)
			}
			if code, _, h := get("HEAD", "/media/"+escape(name)); code != 200 || h.Get("Content-Length") == "" {
				t.Errorf("HEAD /media/%s followed = %d (Content-Length %q), want 200", name, code, h.Get("Content-Length"))
			}
		})
	}
	t.Run("download", func(t *testing.T) {
		code, body, h := get("GET", "/media/"+escape("avatars/ünï côde.png")+"?download")
		want := storage.Attachment("ünï côde.png")
		if code != 200 || body != files["avatars/ünï côde.png"] || h.Get("Content-Disposition") != want {
			t.Errorf("GET ?download = %d, Content-Disposition %q, want 200 %q", code, h.Get("Content-Disposition"), want)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if code, _, _ := get("GET", "/media/nope.txt"); code != 404 {
			t.Errorf("GET /media/nope.txt = %d, want 404", code)
		}
	})
	t.Run("hostile", func(t *testing.T) {
		for _, p := range []string{"/media/%2e%2e/x", "/media//evil.com/x", "/media/%5C..%5Cx"} {
			if code, _, _ := get("GET", p); code != 400 {
				t.Errorf("GET %s = %d, want 400", p, code)
			}
		}
	})
}

// TestRedirectStableWindow: a URL signed at the start of its stable
// window (an X-Amz-Date up to the window in the past) is accepted by the
// server, the same URL is handed out within the window, and the redirect
// is cached for at most half of what is left of it.
func TestRedirectStableWindow(t *testing.T) {
	const window = 5 * time.Minute
	st := newStorage(t, storage.Options{URLStableWindow: window, QuerystringExpire: 10 * time.Minute})
	mustSave(t, st, "a.txt", "stable")
	rd, err := middleware.NewRedirect(st, middleware.RedirectOptions{Prefix: "/media/"})
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(rd.Handler(nil))
	defer app.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	redirect := func() (loc string, maxAge int) {
		t.Helper()
		resp, err := client.Get(app.URL + "/media/a.txt")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if _, err := fmt.Sscanf(resp.Header.Get("Cache-Control"), "private, max-age=%d", &maxAge); resp.StatusCode != 302 || err != nil {
			t.Fatalf("GET = %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		return resp.Header.Get("Location"), maxAge
	}
	for range 3 { // two calls in one window; again if a boundary fell between them
		before := time.Now()
		start := before.Truncate(window)
		a, maxAge := redirect()
		b, _ := redirect()
		if !time.Now().Truncate(window).Equal(start) {
			continue
		}
		if a != b {
			t.Errorf("two redirects in one window: %q and %q, want the same URL", a, b)
		}
		// What was left of the URL when the middleware answered is at most
		// what was left before the request: a bound that holds however
		// long the requests took (max-age is whole seconds: one of slack).
		left := presignedExpiry(t, a).Sub(before)
		if time.Duration(maxAge)*time.Second > left/2+time.Second {
			t.Errorf("max-age %d s, want at most half the %v left of the URL", maxAge, left)
		}
		if code, body, _ := fetch(t, "GET", a, nil); code != 200 || body != "stable" {
			t.Errorf("GET %s = %d %q, want 200 %q", a, code, body, "stable")
		}
		return
	}
	t.Fatal("three tries straddled a window boundary")
}

// presignedExpiry returns when the SigV4 presigned URL u expires: its
// X-Amz-Date plus its X-Amz-Expires.
func presignedExpiry(t *testing.T, u string) time.Time {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	secs, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || err2 != nil {
		t.Fatalf("%s: X-Amz-Date %q, X-Amz-Expires %q: not a presigned URL (%v, %v)", u, q.Get("X-Amz-Date"), q.Get("X-Amz-Expires"), err, err2)
	}
	return signed.Add(time.Duration(secs) * time.Second)
}
