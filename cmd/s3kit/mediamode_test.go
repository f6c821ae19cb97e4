package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestServeMediaMode checks both answers of /media/NAME: a redirect by
// default, and with -media-mode proxy the file itself, ranged and
// sandboxed.
func TestServeMediaMode(t *testing.T) {
	const body = "<html><script>alert(1)</script></html>"
	for _, tc := range []struct {
		name  string
		proxy bool
	}{{"redirect", false}, {"proxy", true}} {
		t.Run(tc.name, func(t *testing.T) {
			a, st := newTestApp(t, nil, serveOptions{proxyMedia: tc.proxy})
			name, err := st.media.Save(context.Background(), "page.html", strings.NewReader(body), nil)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "http://127.0.0.1:8000/media/"+name, nil)
			req.Header.Set("Range", "bytes=6-13")
			w := httptest.NewRecorder()
			a.ServeHTTP(w, req)
			res := w.Result()
			got, _ := io.ReadAll(res.Body)
			if !tc.proxy {
				if res.StatusCode != http.StatusFound || res.Header.Get("Location") == "" {
					t.Fatalf("GET /media/%s = %d (Location %q), want 302 with a Location", name, res.StatusCode, res.Header.Get("Location"))
				}
				return
			}
			if res.StatusCode != http.StatusPartialContent || string(got) != body[6:14] {
				t.Fatalf("GET /media/%s with Range bytes=6-13 = %d %q, want 206 %q", name, res.StatusCode, got, body[6:14])
			}
			if cr, want := res.Header.Get("Content-Range"), fmt.Sprintf("bytes 6-13/%d", len(body)); cr != want {
				t.Errorf("Content-Range = %q, want %q", cr, want)
			}
			if h := res.Header.Get("X-Content-Type-Options"); h != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", h)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
				t.Errorf("Content-Security-Policy = %q, want a sandbox", csp)
			}
		})
	}
}

// TestParseMediaMode checks the flag's values and its usage error.
func TestParseMediaMode(t *testing.T) {
	c := &cli{stdout: io.Discard, stderr: io.Discard, lookupEnv: func(string) (string, bool) { return "", false }}
	for _, tc := range []struct {
		arg       string
		proxy, ok bool
	}{{"redirect", false, true}, {"proxy", true, true}, {"stream", false, false}} {
		fl := flag.NewFlagSet("serve", flag.ContinueOnError)
		fl.SetOutput(io.Discard)
		cfg, err := c.parseServe(fl, []string{"-media-mode", tc.arg})
		if !tc.ok {
			if err == nil || !strings.Contains(err.Error(), "-media-mode must be redirect or proxy") {
				t.Errorf("-media-mode %s: err = %v, want the usage error", tc.arg, err)
			}
			continue
		}
		if err != nil || cfg.app.proxyMedia != tc.proxy {
			t.Errorf("-media-mode %s: proxy = %v, %v; want %v", tc.arg, cfg != nil && cfg.app.proxyMedia, err, tc.proxy)
		}
	}
}
