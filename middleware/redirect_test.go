package middleware_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/s3kit/s3kit/middleware"
	"github.com/s3kit/s3kit/storage"
)

var (
	_ middleware.URLer       = (*storage.Storage)(nil)
	_ middleware.Exister     = (*storage.Storage)(nil)
	_ middleware.Expirer     = (*storage.Storage)(nil)
	_ middleware.ExpiryURLer = (*storage.Storage)(nil)
)

// fakeStorage is a storage in ten lines: URL, Exists and DefaultExpiry
// answer what it holds.
type fakeStorage struct {
	url       string
	urlErr    error
	exists    bool
	existsErr error
	expiry    time.Duration
}

func (f fakeStorage) URL(context.Context, string, *storage.URLOptions) (string, error) {
	return f.url, f.urlErr
}
func (f fakeStorage) Exists(context.Context, string) (bool, error) { return f.exists, f.existsErr }
func (f fakeStorage) DefaultExpiry() time.Duration                 { return f.expiry }

// offline is an S3 API that is never called: URLs need no network.
type offline struct{ storage.API }

func noEnv(string) (string, bool) { return "", false }

// newStorage returns a storage whose URLs are built offline: presigned on
// a path-style endpoint unless o says otherwise.
func newStorage(t testing.TB, o storage.Options) *storage.Storage {
	t.Helper()
	if o.BucketName == "" {
		o.BucketName = "bucket"
	}
	if o.EndpointURL == "" {
		o.EndpointURL = "https://s3.example.com"
	}
	o.AddressingStyle = "path"
	o.Credentials = credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")
	o.LookupEnv = noEnv
	st, err := storage.NewWithClient(context.Background(), offline{}, o)
	if err != nil {
		t.Fatalf("storage.NewWithClient: %v", err)
	}
	return st
}

// noFollow is a client that does not follow redirects, to see them.
func noFollow(ts *httptest.Server) *http.Client {
	c := ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

var nextHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "next")
})

func serve(t *testing.T, rd *middleware.Redirect) (*httptest.Server, *http.Client) {
	t.Helper()
	ts := httptest.NewServer(rd.Handler(nextHandler))
	t.Cleanup(ts.Close)
	return ts, noFollow(ts)
}

type response struct {
	status                 int
	location, cache, allow string
	body                   string
}

func do(t *testing.T, c *http.Client, method, rawURL string) response {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Cache-Control"), resp.Header.Get("Allow"), string(b)}
}

func TestRedirect(t *testing.T) {
	st := newStorage(t, storage.Options{Location: "m", QuerystringAuth: storage.Bool(false)})
	rd, err := middleware.NewRedirect(st, middleware.RedirectOptions{Prefix: "/media/"})
	if err != nil {
		t.Fatal(err)
	}
	ts, c := serve(t, rd)
	const base = "https://s3.example.com/bucket/m/"
	for _, tc := range []struct {
		name, method, path string
		status             int
		location, body     string
	}{
		{"get", "GET", "/media/a.txt", 302, base + "a.txt", ""},
		{"head", "HEAD", "/media/a.txt", 302, base + "a.txt", ""},
		{"nested unicode", "GET", "/media/d%20ir/%C3%BC.png", 302, base + "d%20ir/%C3%BC.png", ""},
		{"cleaned", "GET", "/media/a//./b.txt", 302, base + "a/b.txt", ""},
		{"encoded percent", "GET", "/media/%252e%252e/x", 302, base + "%252e%252e/x", ""},
		{"outside the prefix", "GET", "/other/a.txt", 200, "", "next"},
		{"prefix without slash", "GET", "/media", 200, "", "next"},
		{"post", "POST", "/media/a.txt", 405, "", "Method Not Allowed\n"},
		{"delete", "DELETE", "/media/a.txt", 405, "", "Method Not Allowed\n"},
		{"root", "GET", "/media/", 404, "", "Not Found\n"},
		{"directory", "GET", "/media/dir/", 404, "", "Not Found\n"},
		{"dot dot", "GET", "/media/../etc/passwd", 400, "", "Bad Request\n"},
		{"encoded dot dot", "GET", "/media/%2e%2e/etc/passwd", 400, "", "Bad Request\n"},
		{"inner dot dot", "GET", "/media/a/../../b", 400, "", "Bad Request\n"},
		{"double slash host", "GET", "/media//evil.com/x", 400, "", "Bad Request\n"},
		{"encoded slashes", "GET", "/media/%2F%2Fevil.com", 400, "", "Bad Request\n"},
		{"backslash", "GET", "/media/%5Cevil.com", 400, "", "Bad Request\n"},
		{"backslash dot dot", "GET", "/media/..%5C..%5Cwin.ini", 400, "", "Bad Request\n"},
		{"nul", "GET", "/media/a%00b", 400, "", "Bad Request\n"},
		{"newline", "GET", "/media/a%0d%0aSet-Cookie:x", 400, "", "Bad Request\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, c, tc.method, ts.URL+tc.path)
			if r.status != tc.status || r.location != tc.location {
				t.Errorf("%s %s = %d Location %q, want %d %q", tc.method, tc.path, r.status, r.location, tc.status, tc.location)
			}
			if tc.method != "HEAD" && r.body != tc.body {
				t.Errorf("%s %s body = %q, want %q", tc.method, tc.path, r.body, tc.body)
			}
			if tc.status == 302 && r.cache != "private, max-age=1800" {
				t.Errorf("%s %s Cache-Control = %q, want %q", tc.method, tc.path, r.cache, "private, max-age=1800")
			}
			if tc.status == 405 && r.allow != "GET, HEAD" {
				t.Errorf("%s %s Allow = %q, want %q", tc.method, tc.path, r.allow, "GET, HEAD")
			}
		})
	}
}

func TestRedirectPresigned(t *testing.T) {
	st := newStorage(t, storage.Options{})
	rd, err := middleware.NewRedirect(st, middleware.RedirectOptions{Prefix: "/files", Status: http.StatusTemporaryRedirect, Expire: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ts, c := serve(t, rd)
	for _, tc := range []struct {
		name, method, path string
		xid, disposition   string
	}{
		{"get", "GET", "/files/a.txt", "GetObject", ""},
		{"head signed for head", "HEAD", "/files/a.txt", "", ""},
		{"download", "GET", "/files/dir/r%C3%A9sum%C3%A9%20%22final%22.pdf?download", "GetObject",
			`attachment; filename="r_sum_ _final_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf`},
		{"download with value", "GET", "/files/a.txt?x=1&download=1", "GetObject", `attachment; filename="a.txt"; filename*=UTF-8''a.txt`},
		{"not download", "GET", "/files/a.txt?downloads", "GetObject", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, c, tc.method, ts.URL+tc.path)
			if r.status != 307 {
				t.Fatalf("%s %s = %d, want 307", tc.method, tc.path, r.status)
			}
			u, err := url.Parse(r.location)
			if err != nil || u.Host != "s3.example.com" {
				t.Fatalf("Location = %q, want a URL on s3.example.com", r.location)
			}
			q := u.Query()
			if q.Get("x-id") != tc.xid || q.Get("X-Amz-Expires") != "600" || q.Get("X-Amz-Signature") == "" {
				t.Errorf("Location = %q, want x-id %q, X-Amz-Expires 600 and a signature", r.location, tc.xid)
			}
			if got := q.Get("response-content-disposition"); got != tc.disposition {
				t.Errorf("response-content-disposition = %q, want %q", got, tc.disposition)
			}
			if r.cache != "private, max-age=300" {
				t.Errorf("Cache-Control = %q, want %q", r.cache, "private, max-age=300")
			}
		})
	}
}

// failing overrides one method of a real storage.
type failingURL struct {
	*storage.Storage
	err error
}

func (f failingURL) URL(context.Context, string, *storage.URLOptions) (string, error) {
	return "", f.err
}

// URLWithExpiry fails too: Redirect calls it instead of URL when the
// storage has it.
func (f failingURL) URLWithExpiry(context.Context, string, *storage.URLOptions) (string, time.Time, error) {
	return "", time.Time{}, f.err
}

type existsFake struct {
	*storage.Storage
	exists bool
	err    error
	asked  []string
}

func (f *existsFake) Exists(_ context.Context, name string) (bool, error) {
	f.asked = append(f.asked, name)
	return f.exists, f.err
}

func TestRedirectErrors(t *testing.T) {
	st := newStorage(t, storage.Options{})
	secret := errors.New("dial tcp 10.0.0.7:443: secret internal detail")
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	for _, tc := range []struct {
		name   string
		target middleware.URLer
		opts   middleware.RedirectOptions
		status int
		logged bool
	}{
		{"url error", failingURL{st, secret}, middleware.RedirectOptions{}, 500, true},
		{"url invalid name", failingURL{st, storage.ErrInvalidName}, middleware.RedirectOptions{}, 400, false},
		{"authorize refuses", st, middleware.RedirectOptions{Authorize: func(*http.Request, string) error { return secret }}, 403, false},
		{"authorize hides", st, middleware.RedirectOptions{Authorize: func(*http.Request, string) error { return fmt.Errorf("hidden: %w", fs.ErrNotExist) }}, 404, false},
		{"missing", &existsFake{Storage: st}, middleware.RedirectOptions{CheckExists: true}, 404, false},
		{"exists error", &existsFake{Storage: st, err: secret}, middleware.RedirectOptions{CheckExists: true}, 500, true},
		{"exists", &existsFake{Storage: st, exists: true}, middleware.RedirectOptions{CheckExists: true}, 302, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			tc.opts.Prefix, tc.opts.Logger = "/media/", logger
			rd, err := middleware.NewRedirect(tc.target, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			ts, c := serve(t, rd)
			r := do(t, c, "GET", ts.URL+"/media/a.txt")
			if r.status != tc.status {
				t.Errorf("GET /media/a.txt = %d, want %d", r.status, tc.status)
			}
			if strings.Contains(r.body, "secret") || strings.Contains(r.location, "secret") {
				t.Errorf("response %+v echoes the internal error", r)
			}
			if tc.status != 302 && r.location != "" {
				t.Errorf("error response has Location %q", r.location)
			}
			if got := strings.Contains(logs.String(), "secret internal detail"); got != tc.logged {
				t.Errorf("logged = %v (%q), want %v", got, logs.String(), tc.logged)
			}
		})
	}
}

func TestRedirectAuthorizeSeesCleanName(t *testing.T) {
	st := newStorage(t, storage.Options{})
	var got []string
	rd, _ := middleware.NewRedirect(st, middleware.RedirectOptions{Prefix: "/m/", Authorize: func(r *http.Request, name string) error {
		got = append(got, name)
		return nil
	}})
	ts, c := serve(t, rd)
	do(t, c, "GET", ts.URL+"/m/a//./b.txt")
	do(t, c, "GET", ts.URL+"/m/../x") // refused before the hook
	if len(got) != 1 || got[0] != "a/b.txt" {
		t.Errorf("Authorize saw %q, want [a/b.txt]", got)
	}
}

// namesURLer records the names it is asked for.
type namesURLer struct {
	mu    sync.Mutex
	names []string
}

func (n *namesURLer) URL(_ context.Context, name string, _ *storage.URLOptions) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.names = append(n.names, name)
	return "https://s3.example.com/" + name, nil
}

// TestRedirectCleansForOtherStorages: a *storage.Storage cleans the names
// it is given, so Redirect leaves that to it when nothing needs the
// clean name first; any other URLer is given clean names only, and never
// a hostile one.
func TestRedirectCleansForOtherStorages(t *testing.T) {
	for _, st := range []middleware.URLer{&namesURLer{}, struct{ middleware.URLer }{newStorage(t, storage.Options{})}} {
		rd, err := middleware.NewRedirect(st, middleware.RedirectOptions{Prefix: "/m/"})
		if err != nil {
			t.Fatal(err)
		}
		ts, c := serve(t, rd)
		for _, tc := range []struct {
			path string
			want int
		}{{"/m/a//./b.txt", 302}, {"/m/../x", 400}, {"/m/a/%2e%2e/x", 400}, {"/m/a/.", 302}, {"/m/a/./", 404}, {"/m/./.", 404}} {
			if r := do(t, c, "GET", ts.URL+tc.path); r.status != tc.want {
				t.Errorf("%T: GET %s = %d, want %d", st, tc.path, r.status, tc.want)
			}
		}
		if n, ok := st.(*namesURLer); ok && !slices.Equal(n.names, []string{"a/b.txt", "a"}) {
			t.Errorf("the URLer was asked for %q, want the clean a/b.txt and a only", n.names)
		}
	}
}

func TestRedirectCacheControl(t *testing.T) {
	st := newStorage(t, storage.Options{QuerystringExpire: 20 * time.Minute})
	fake := struct{ middleware.URLer }{st} // hides DefaultExpiry: lifetime unknown
	for _, tc := range []struct {
		name   string
		target middleware.URLer
		opts   middleware.RedirectOptions
		want   string
	}{
		{"storage expiry", st, middleware.RedirectOptions{}, "private, max-age=600"},
		{"own expiry", st, middleware.RedirectOptions{Expire: time.Minute}, "private, max-age=30"},
		{"max-age", st, middleware.RedirectOptions{MaxAge: 5 * time.Minute}, "private, max-age=300"},
		{"no-store", st, middleware.RedirectOptions{MaxAge: -1}, "no-store"},
		{"lifetime unknown", fake, middleware.RedirectOptions{}, "no-store"},
		{"lifetime unknown max-age", fake, middleware.RedirectOptions{MaxAge: time.Minute}, "private, max-age=60"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Prefix = "/m/"
			rd, err := middleware.NewRedirect(tc.target, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			rd.Handler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/m/a.txt", nil))
			if got := rec.Header().Get("Cache-Control"); rec.Code != 302 || got != tc.want {
				t.Errorf("GET /m/a.txt = %d Cache-Control %q, want 302 %q", rec.Code, got, tc.want)
			}
		})
	}
}

func TestNewRedirectErrors(t *testing.T) {
	st := newStorage(t, storage.Options{})
	for _, tc := range []struct {
		name   string
		target middleware.URLer
		opts   middleware.RedirectOptions
	}{
		{"nil storage", nil, middleware.RedirectOptions{Prefix: "/m/"}},
		{"no prefix", st, middleware.RedirectOptions{}},
		{"relative prefix", st, middleware.RedirectOptions{Prefix: "m/"}},
		{"query in prefix", st, middleware.RedirectOptions{Prefix: "/m/?x"}},
		{"status 301", st, middleware.RedirectOptions{Prefix: "/m/", Status: 301}},
		{"status 200", st, middleware.RedirectOptions{Prefix: "/m/", Status: 200}},
		{"max-age too long", st, middleware.RedirectOptions{Prefix: "/m/", MaxAge: time.Hour}},
		{"max-age over expire", st, middleware.RedirectOptions{Prefix: "/m/", Expire: time.Minute, MaxAge: time.Minute}},
		{"expire over 7 days", st, middleware.RedirectOptions{Prefix: "/m/", Expire: 8 * 24 * time.Hour}},
		{"negative expire", st, middleware.RedirectOptions{Prefix: "/m/", Expire: -time.Second}},
		{"exists without Exister", struct{ middleware.URLer }{st}, middleware.RedirectOptions{Prefix: "/m/", CheckExists: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := middleware.NewRedirect(tc.target, tc.opts); err == nil {
				t.Errorf("NewRedirect(%+v) succeeded, want an error", tc.opts)
			}
		})
	}
}

// TestRedirectStorageErrors: what the storage answers becomes the status,
// on a fake: S3's AccessDenied (fs.ErrPermission) is 403, not 500.
func TestRedirectStorageErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		st     fakeStorage
		check  bool
		status int
		logged bool
	}{
		{"url access denied", fakeStorage{urlErr: fmt.Errorf("storage: url %q: %w", "a.txt", fs.ErrPermission)}, false, 403, false},
		{"exists access denied", fakeStorage{existsErr: fmt.Errorf("storage: stat %q: %w: secret", "a.txt", storage.ErrPermission)}, true, 403, false},
		{"exists not found", fakeStorage{}, true, 404, false},
		{"url not found", fakeStorage{urlErr: fmt.Errorf("x: %w", fs.ErrNotExist)}, false, 404, false},
		{"url invalid name", fakeStorage{urlErr: storage.ErrInvalidName}, false, 400, false},
		{"url fails", fakeStorage{urlErr: errors.New("secret internal detail")}, false, 500, true},
		{"found", fakeStorage{url: "https://s3.example.com/b/a.txt", exists: true}, true, 302, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			rd, err := middleware.NewRedirect(tc.st, middleware.RedirectOptions{Prefix: "/m/", CheckExists: tc.check,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			rd.Handler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/m/a.txt", nil))
			if rec.Code != tc.status {
				t.Errorf("GET /m/a.txt = %d, want %d", rec.Code, tc.status)
			}
			if strings.Contains(rec.Body.String(), "secret") {
				t.Errorf("body %q echoes the storage's error", rec.Body.String())
			}
			if got := strings.Contains(logs.String(), "secret internal detail"); got != tc.logged {
				t.Errorf("logged at Error = %v (%q), want %v", got, logs.String(), tc.logged)
			}
		})
	}
}

// TestRedirectExpirer: the lifetime of the URLs comes from the storage's
// DefaultExpiry, through the Expirer interface alone.
func TestRedirectExpirer(t *testing.T) {
	for _, tc := range []struct {
		expiry time.Duration
		want   string
	}{
		{20 * time.Minute, "private, max-age=600"},
		{3 * time.Second, "private, max-age=1"},
		{time.Second, "no-store"}, // too short to cache for half of it
		{0, "no-store"},           // unknown
	} {
		t.Run(tc.expiry.String(), func(t *testing.T) {
			rd, err := middleware.NewRedirect(fakeStorage{url: "https://s3.example.com/b/a", exists: true, expiry: tc.expiry}, middleware.RedirectOptions{Prefix: "/m/"})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			rd.Handler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/m/a", nil))
			if got := rec.Header().Get("Cache-Control"); rec.Code != 302 || got != tc.want {
				t.Errorf("GET with DefaultExpiry %v = %d Cache-Control %q, want 302 %q", tc.expiry, rec.Code, got, tc.want)
			}
		})
	}
}

// FuzzRedirectPath: whatever the request path, Redirect either refuses,
// passes to next, or redirects to the storage's own host with the key of
// a clean name under the location.
func FuzzRedirectPath(f *testing.F) {
	for _, s := range []string{
		"/media/a.txt", "/media/../x", "/media/%2e%2e/x", "/media/%2E%2E%2Fx", "/media//evil.com/x",
		"/media/%2F%2Fevil.com", "/media/\\evil.com", "/media/%5C%5Cevil.com", "/media/a%00b",
		"//evil.com/media/x", "/media/a/../../b", "/media/.%2e/x", "/media/%C0%AE%C0%AE/x",
		"/media/https://evil.com", "/media/@evil.com", "/media/a?download", "/media/%0d%0aLocation:%20x",
		"/media/%E2%80%AEtxt.exe", "/media/./.", "/media/~/x", "http://evil.com/media/x",
	} {
		f.Add(s)
	}
	stores := []*storage.Storage{
		newStorage(f, storage.Options{Location: "loc"}),
		newStorage(f, storage.Options{Location: "loc", CustomDomain: "cdn.example.com"}),
	}
	hosts := []string{"s3.example.com", "cdn.example.com"}
	prefixes := []string{"/bucket/loc/", "/loc/"}
	var handlers []http.Handler
	for _, st := range stores {
		rd, err := middleware.NewRedirect(st, middleware.RedirectOptions{Prefix: "/media/"})
		if err != nil {
			f.Fatal(err)
		}
		handlers = append(handlers, rd.Handler(nextHandler))
	}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return // the server would not have parsed it either
		}
		for i, h := range handlers {
			req := &http.Request{Method: "GET", URL: u, Header: http.Header{}, Host: "app.example", RequestURI: target}
			req = req.WithContext(context.Background())
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			loc := rec.Header().Get("Location")
			switch rec.Code {
			case 302:
			case 200, 400, 404, 405:
				if loc != "" {
					t.Fatalf("GET %q = %d with Location %q", target, rec.Code, loc)
				}
				continue
			default:
				t.Fatalf("GET %q = %d", target, rec.Code)
			}
			lu, err := url.Parse(loc)
			if err != nil || lu.Scheme != "https" || lu.Host != hosts[i] || lu.User != nil {
				t.Fatalf("GET %q redirected to %q, want https://%s/...", target, loc, hosts[i])
			}
			if !strings.HasPrefix(lu.Path, prefixes[i]) {
				t.Fatalf("GET %q redirected to %q, outside %s", target, loc, prefixes[i])
			}
			name := strings.TrimPrefix(lu.Path, prefixes[i])
			if c, err := storage.CleanName(name); err != nil || c != name || name == "" {
				t.Fatalf("GET %q redirected to the key of %q, not a clean name", target, name)
			}
		}
	})
}

// shortCredentials are temporary credentials that always expire a minute
// after they are handed out (on the real clock: the SDK's cache reads it).
type shortCredentials struct{}

func (shortCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "ASIA", SecretAccessKey: "SECRET", SessionToken: "TOKEN",
		CanExpire: true, Expires: time.Now().Add(time.Minute)}, nil
}

// TestRedirectCredentialsExpiring: with credentials that expire in 60 s,
// the URL lives at most 60 s and the redirect is cached for at most half
// of that, whatever querystring_expire says.
func TestRedirectCredentialsExpiring(t *testing.T) {
	st, err := storage.NewWithClient(context.Background(), offline{}, storage.Options{BucketName: "bucket",
		EndpointURL: "https://s3.example.com", AddressingStyle: "path", Credentials: shortCredentials{}, LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := middleware.NewRedirect(st, middleware.RedirectOptions{Prefix: "/media/"})
	if err != nil {
		t.Fatal(err)
	}
	ts, c := serve(t, rd)
	r := do(t, c, "GET", ts.URL+"/media/a.txt")
	u, err := url.Parse(r.location)
	if r.status != 302 || err != nil {
		t.Fatalf("GET = %d, Location %q (%v)", r.status, r.location, err)
	}
	var life, maxAge int
	fmt.Sscan(u.Query().Get("X-Amz-Expires"), &life)
	if _, err := fmt.Sscanf(r.cache, "private, max-age=%d", &maxAge); err != nil || life < 1 || life > 60 || maxAge < 1 || 2*maxAge > life+1 {
		t.Errorf("X-Amz-Expires %d, Cache-Control %q; want a URL of at most 60 s and a max-age of at most half of it", life, r.cache)
	}
}
