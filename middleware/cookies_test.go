package middleware

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func cookieKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func cfDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("-", "+", "_", "=", "~", "/").Replace(s))
	if err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return b
}

func TestCloudFrontCookies(t *testing.T) {
	key := cookieKey(t)
	now := time.Date(2025, 5, 1, 12, 0, 10, 0, time.UTC)
	c, err := newCloudFrontCookies(CloudFrontCookiesOptions{
		KeyID: "K2JCJMDEHXQW5F", Key: key, Resource: "https://cdn.example.com/private/*",
		Lifetime: time.Hour, Window: 5 * time.Minute, Domain: "example.com",
		Authorize: func(r *http.Request) error {
			if r.Header.Get("X-User") == "" {
				return errors.New("anonymous")
			}
			return nil
		},
	}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	h := c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	get := func(user string, cookies ...*http.Cookie) *http.Response {
		req := httptest.NewRequest("GET", "/app", nil)
		if user != "" {
			req.Header.Set("X-User", user)
		}
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}

	t.Run("authorised", func(t *testing.T) {
		resp := get("alice")
		cks := resp.Cookies()
		if len(cks) != 3 {
			t.Fatalf("Set-Cookie = %q, want 3 cookies", resp.Header.Values("Set-Cookie"))
		}
		byName := map[string]*http.Cookie{}
		for _, ck := range cks {
			byName[ck.Name] = ck
			if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "example.com" {
				t.Errorf("cookie %s = %q, want Secure, HttpOnly, SameSite=Lax, Path=/, Domain=example.com", ck.Name, ck.Raw)
			}
			wantExp := time.Date(2025, 5, 1, 13, 5, 0, 0, time.UTC) // 13:00:10 rounded up to 5 min
			if !ck.Expires.Equal(wantExp) {
				t.Errorf("cookie %s expires %v, want %v", ck.Name, ck.Expires, wantExp)
			}
		}
		if byName["CloudFront-Key-Pair-Id"] == nil || byName["CloudFront-Key-Pair-Id"].Value != "K2JCJMDEHXQW5F" {
			t.Fatalf("CloudFront-Key-Pair-Id cookie = %v", byName["CloudFront-Key-Pair-Id"])
		}
		policy := cfDecode(t, byName["CloudFront-Policy"].Value)
		var p struct {
			Statement []struct {
				Resource  string
				Condition struct {
					DateLessThan struct {
						Epoch int64 `json:"AWS:EpochTime"`
					}
				}
			}
		}
		if err := json.Unmarshal(policy, &p); err != nil || len(p.Statement) != 1 {
			t.Fatalf("policy %s: %v", policy, err)
		}
		if s := p.Statement[0]; s.Resource != "https://cdn.example.com/private/*" || s.Condition.DateLessThan.Epoch != time.Date(2025, 5, 1, 13, 5, 0, 0, time.UTC).Unix() {
			t.Errorf("policy = %s, want the resource pattern until 13:05", policy)
		}
		h := sha1.Sum(policy)
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA1, h[:], cfDecode(t, byName["CloudFront-Signature"].Value)); err != nil {
			t.Errorf("CloudFront-Signature does not verify: %v", err)
		}

		// Same window: the same cookies; a browser that has them gets
		// none again.
		now = now.Add(4 * time.Minute)
		again := get("alice").Cookies()
		if len(again) != 3 || again[1].Value != cks[1].Value {
			t.Errorf("cookies in the same window differ: %v vs %v", again, cks)
		}
		if n := len(get("alice", cks...).Cookies()); n != 0 {
			t.Errorf("request holding the current cookies got %d cookies again", n)
		}
		// Next window: new cookies.
		now = now.Add(5 * time.Minute)
		next := get("alice", cks...).Cookies()
		if len(next) != 3 || next[1].Value == cks[1].Value {
			t.Errorf("cookies after the window = %v, want new ones", next)
		}
	})
	t.Run("refused", func(t *testing.T) {
		before := calls
		if resp := get(""); len(resp.Cookies()) != 0 || calls != before+1 {
			t.Errorf("anonymous request got %d cookies (next called %d times), want none and next called", len(resp.Cookies()), calls-before)
		}
	})
}

func TestNewCloudFrontCookiesErrors(t *testing.T) {
	key := cookieKey(t)
	ok := func(*http.Request) error { return nil }
	good := CloudFrontCookiesOptions{KeyID: "K", Key: key, Resource: "https://cdn.example.com/*", Authorize: ok}
	if _, err := NewCloudFrontCookies(good); err != nil {
		t.Fatalf("NewCloudFrontCookies(good): %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*CloudFrontCookiesOptions)
	}{
		{"no key id", func(o *CloudFrontCookiesOptions) { o.KeyID = "" }},
		{"no key", func(o *CloudFrontCookiesOptions) { o.Key = nil }},
		{"no authorize", func(o *CloudFrontCookiesOptions) { o.Authorize = nil }},
		{"resource without scheme", func(o *CloudFrontCookiesOptions) { o.Resource = "cdn.example.com/*" }},
		{"negative lifetime", func(o *CloudFrontCookiesOptions) { o.Lifetime = -time.Hour }},
		{"sub-second window", func(o *CloudFrontCookiesOptions) { o.Window = time.Millisecond }},
		{"bad path", func(o *CloudFrontCookiesOptions) { o.Path = "/a;b" }},
		{"bad domain", func(o *CloudFrontCookiesOptions) { o.Domain = "exa mple.com" }},
		{"non-ASCII resource", func(o *CloudFrontCookiesOptions) { o.Resource = "https://cdn.example.com/ü/*" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.edit(&o)
			if _, err := NewCloudFrontCookies(o); err == nil {
				t.Errorf("NewCloudFrontCookies(%s) succeeded, want an error", tc.name)
			}
		})
	}
}

func BenchmarkCloudFrontCookies(b *testing.B) {
	c, err := NewCloudFrontCookies(CloudFrontCookiesOptions{KeyID: "K", Key: cookieKey(b), Resource: "https://cdn.example.com/*",
		Authorize: func(*http.Request) error { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	h := c.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("GET", "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

func TestPrivate(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "private"},
		{[]string{""}, "private"},
		{[]string{"public, max-age=600"}, "private, max-age=600"},
		{[]string{"PUBLIC,max-age=60 , s-maxage=3600, proxy-revalidate, must-revalidate"}, "private, max-age=60, must-revalidate"},
		{[]string{"public", "max-age=60"}, "private, max-age=60"},
		{[]string{"no-store"}, ""},
		{[]string{"public, No-Store"}, ""},
		{[]string{"private, max-age=5"}, ""},
		{[]string{"max-age=5", "Private"}, ""},
		{[]string{`private="Set-Cookie", max-age=5`}, "private, max-age=5"},
		{[]string{`no-cache="Set-Cookie, public", public`}, `private, no-cache="Set-Cookie, public"`},
		{[]string{`no-cache="a\"b, c", s-maxage=1`}, `private, no-cache="a\"b, c"`},
		{[]string{"immutable, max-age=31536000"}, "private, immutable, max-age=31536000"},
	} {
		if got := private(tc.in); got != tc.want {
			t.Errorf("private(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCloudFrontCookiesCacheControl: a response that sets the cookies is
// never cacheable by a shared cache, whatever the next handler does; the
// others keep the next handler's Cache-Control.
func TestCloudFrontCookiesCacheControl(t *testing.T) {
	// A fixed clock: the requests of one case see the same window's
	// cookies, wherever the real clock is.
	now := time.Date(2025, 5, 1, 12, 4, 59, 0, time.UTC)
	c, err := newCloudFrontCookies(CloudFrontCookiesOptions{KeyID: "K", Key: cookieKey(t), Resource: "https://cdn.example.com/*",
		Authorize: func(r *http.Request) error {
			if r.Header.Get("X-User") == "" {
				return errors.New("anonymous")
			}
			return nil
		}}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	public := func(w http.ResponseWriter) { w.Header().Set("Cache-Control", "public, max-age=600, s-maxage=3600") }
	for _, tc := range []struct {
		name string
		next func(w http.ResponseWriter, r *http.Request)
		want string // with the cookies set
	}{
		{"nothing set", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") }, "private"},
		{"nothing written", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Cache-Control", "public") }, "private"},
		{"public", func(w http.ResponseWriter, r *http.Request) { public(w); io.WriteString(w, "page") }, "private, max-age=600"},
		{"public, WriteHeader", func(w http.ResponseWriter, r *http.Request) { public(w); w.WriteHeader(304) }, "private, max-age=600"},
		{"public, Flush", func(w http.ResponseWriter, r *http.Request) { public(w); w.(http.Flusher).Flush() }, "private, max-age=600"},
		{"public, ResponseController", func(w http.ResponseWriter, r *http.Request) {
			public(w)
			http.NewResponseController(w).Flush()
		}, "private, max-age=600"},
		{"public, io.Copy", func(w http.ResponseWriter, r *http.Request) {
			public(w)
			io.Copy(w, strings.NewReader("page"))
		}, "private, max-age=600"},
		{"public, early hints", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			public(w)
			w.WriteHeader(200)
		}, "private, max-age=600"},
		{"public on two lines", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Cache-Control", "public")
			w.Header().Add("Cache-Control", "max-age=60")
		}, "private, max-age=60"},
		{"no-store", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Cache-Control", "no-store") }, "no-store"},
		{"private", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Cache-Control", "private, max-age=5") }, "private, max-age=5"},
		{"field-named private", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", `private="Set-Cookie", max-age=5`)
		}, "private, max-age=5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := c.Handler(http.HandlerFunc(tc.next))
			// Through a real server: what the client receives.
			srv := httptest.NewServer(h)
			defer srv.Close()
			get := func(user string, cookies []*http.Cookie) *http.Response {
				req, _ := http.NewRequest("GET", srv.URL, nil)
				if user != "" {
					req.Header.Set("X-User", user)
				}
				for _, ck := range cookies {
					req.AddCookie(ck)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp
			}
			resp := get("alice", nil)
			if got := strings.Join(resp.Header.Values("Cache-Control"), ", "); len(resp.Cookies()) != 3 || got != tc.want {
				t.Errorf("with %d cookies set, Cache-Control = %q, want %q", len(resp.Cookies()), got, tc.want)
			}
			// The next handler's own answer when no cookie is set.
			bare := httptest.NewServer(http.HandlerFunc(tc.next))
			defer bare.Close()
			bareResp, err := bare.Client().Get(bare.URL)
			if err != nil {
				t.Fatal(err)
			}
			bareResp.Body.Close()
			want := strings.Join(bareResp.Header.Values("Cache-Control"), ", ")
			for _, who := range []struct {
				name    string
				user    string
				cookies []*http.Cookie
			}{{"anonymous", "", nil}, {"holding the cookies", "alice", resp.Cookies()}} {
				r := get(who.user, who.cookies)
				if got := strings.Join(r.Header.Values("Cache-Control"), ", "); len(r.Cookies()) != 0 || got != want {
					t.Errorf("%s: %d cookies, Cache-Control = %q, want none and the next handler's %q", who.name, len(r.Cookies()), got, want)
				}
			}
		})
	}
}
