package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3kit/s3kit/middleware"
	"github.com/s3kit/s3kit/storage"
)

var _ middleware.Getter = (*storage.Storage)(nil)

// fakeGetter answers Get with what it holds and records what it was
// asked.
type fakeGetter struct {
	mu     sync.Mutex
	asked  []storage.GetOptions
	names  []string
	answer func(opts *storage.GetOptions) (*storage.Object, error)
}

func (f *fakeGetter) Get(ctx context.Context, name string, opts *storage.GetOptions) (*storage.Object, error) {
	f.mu.Lock()
	f.asked, f.names = append(f.asked, *opts), append(f.names, name)
	f.mu.Unlock()
	return f.answer(opts)
}

// object answers like S3 for one file: ranges, If-None-Match.
func object(content, contentType string) func(opts *storage.GetOptions) (*storage.Object, error) {
	const etag = `"abc"`
	modified := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	return func(opts *storage.GetOptions) (*storage.Object, error) {
		obj := &storage.Object{Status: 200, ETag: etag, LastModified: modified, ContentType: contentType,
			AcceptRanges: "bytes", ContentLength: int64(len(content))}
		if opts.IfNoneMatch == etag {
			obj.Status, obj.ContentLength = 304, -1
			return obj, nil
		}
		body := content
		if opts.Range != "" {
			var a, b int
			if _, err := fmt.Sscanf(opts.Range, "bytes=%d-%d", &a, &b); err != nil || a >= len(content) {
				return &storage.Object{Status: 416, ContentRange: fmt.Sprintf("bytes */%d", len(content)), ContentLength: -1}, nil
			}
			b = min(b, len(content)-1)
			body = content[a : b+1]
			obj.Status, obj.ContentLength = 206, int64(len(body))
			obj.ContentRange = fmt.Sprintf("bytes %d-%d/%d", a, b, len(content))
		}
		if !opts.Head {
			obj.Body = io.NopCloser(strings.NewReader(body))
		}
		return obj, nil
	}
}

func newProxy(t *testing.T, g middleware.Getter, opts middleware.ProxyOptions) *httptest.Server {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = "/media/"
	}
	p, err := middleware.NewProxy(g, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(p.Handler(nextHandler))
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, ts *httptest.Server, method, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, string(b)
}

func TestProxy(t *testing.T) {
	const content = "0123456789abcdefghij"
	g := &fakeGetter{answer: object(content, "text/plain; charset=utf-8")}
	ts := newProxy(t, g, middleware.ProxyOptions{})
	for _, tc := range []struct {
		name, method, rangeH, inm string
		status                    int
		body                      string
		wantRange                 string // passed to the storage
		contentRange              string
	}{
		{"whole", "GET", "", "", 200, content, "", ""},
		{"range", "GET", "bytes=2-5", "", 206, "2345", "bytes=2-5", "bytes 2-5/20"},
		{"several ranges: the whole file", "GET", "bytes=0-1,4-5", "", 200, content, "", ""},
		{"not a byte range: ignored", "GET", "lines=1-2", "", 200, content, "", ""},
		{"bad range: ignored", "GET", "bytes=x-1", "", 200, content, "", ""},
		{"unsatisfiable", "GET", "bytes=50-60", "", 416, "Requested Range Not Satisfiable\n", "bytes=50-60", "bytes */20"},
		{"not modified", "GET", "", `"abc"`, 304, "", "", ""},
		{"modified", "GET", "", `"old"`, 200, content, "", ""},
		{"head", "HEAD", "", "", 200, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h []string
			if tc.rangeH != "" {
				h = append(h, "Range", tc.rangeH)
			}
			if tc.inm != "" {
				h = append(h, "If-None-Match", tc.inm, "If-Modified-Since", "Thu, 01 May 2025 12:00:00 GMT")
			}
			resp, body := get(t, ts, tc.method, "/media/dir/a.txt", h...)
			if resp.StatusCode != tc.status || body != tc.body {
				t.Errorf("%s = %d %q, want %d %q", tc.method, resp.StatusCode, body, tc.status, tc.body)
			}
			asked := g.asked[len(g.asked)-1]
			if asked.Range != tc.wantRange || asked.Head != (tc.method == "HEAD") || asked.IfNoneMatch != tc.inm ||
				(tc.inm != "" && !asked.IfModifiedSince.IsZero()) || g.names[len(g.names)-1] != "dir/a.txt" {
				t.Errorf("storage asked for %q with %+v, want dir/a.txt, Range %q, If-None-Match %q and no If-Modified-Since beside it",
					g.names[len(g.names)-1], asked, tc.wantRange, tc.inm)
			}
			if got := resp.Header.Get("Content-Range"); got != tc.contentRange {
				t.Errorf("Content-Range = %q, want %q", got, tc.contentRange)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("no nosniff on a %d", resp.StatusCode)
			}
			if tc.status == 200 || tc.status == 206 || tc.status == 304 {
				if resp.Header.Get("ETag") != `"abc"` || resp.Header.Get("Last-Modified") != "Thu, 01 May 2025 12:00:00 GMT" {
					t.Errorf("ETag %q, Last-Modified %q: want S3's", resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"))
				}
			}
			if tc.status == 200 || tc.status == 206 {
				want := fmt.Sprint(len(tc.body))
				if tc.method == "HEAD" {
					want = fmt.Sprint(len(content))
				}
				if resp.Header.Get("Content-Length") != want || resp.Header.Get("Accept-Ranges") != "bytes" ||
					resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || resp.Header.Get("Content-Security-Policy") != "sandbox" {
					t.Errorf("headers %v: want Content-Length %s, Accept-Ranges, S3's Content-Type and the sandbox", resp.Header, want)
				}
			}
		})
	}
}

// TestProxyIfRange: a range whose If-Range no longer matches is answered
// with the whole file (a second GET); a matching one with the range.
func TestProxyIfRange(t *testing.T) {
	const content = "0123456789"
	for _, tc := range []struct {
		ifRange string
		status  int
		gets    int
	}{
		{`"abc"`, 206, 1},
		{`"changed"`, 200, 2},
		{`W/"abc"`, 200, 2},
		{"Thu, 01 May 2025 12:00:00 GMT", 206, 1},
		{"Thu, 01 May 2025 11:00:00 GMT", 200, 2},
	} {
		g := &fakeGetter{answer: object(content, "text/plain")}
		ts := newProxy(t, g, middleware.ProxyOptions{})
		resp, body := get(t, ts, "GET", "/media/a.txt", "Range", "bytes=0-3", "If-Range", tc.ifRange)
		if resp.StatusCode != tc.status || len(g.asked) != tc.gets || (tc.status == 200 && body != content) {
			t.Errorf("If-Range %s: %d %q after %d GETs, want %d after %d", tc.ifRange, resp.StatusCode, body, len(g.asked), tc.status, tc.gets)
		}
	}
}

// TestProxyUserContent: active types are attachments in a sandbox unless
// listed inline; every answer has nosniff.
func TestProxyUserContent(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, stored, query string
		inline                           []string
		attachment                       bool
	}{
		{"html", "text/html; charset=utf-8", "", "", nil, true},
		{"svg", "image/svg+xml", "", "", nil, true},
		{"xml", "application/xml", "", "", nil, true},
		{"js", "text/javascript", "", "", nil, true},
		{"svg inline", "image/svg+xml", "", "", []string{"image/*"}, false},
		{"every type inline", "text/html", "", "", []string{"*/*"}, false},
		{"every type inline, short", "application/xml", "", "", []string{"*"}, false},
		{"html stored inline", "text/html", "inline", "", nil, true},
		{"html stored as attachment", "text/html", `attachment; filename="x.html"`, "", nil, true},
		{"png", "image/png", "", "", nil, false},
		{"png download", "image/png", "", "?download", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer := object("<b>hi</b>", tc.contentType)
			g := &fakeGetter{answer: func(o *storage.GetOptions) (*storage.Object, error) {
				obj, err := answer(o)
				obj.ContentDisposition = tc.stored
				return obj, err
			}}
			ts := newProxy(t, g, middleware.ProxyOptions{InlineTypes: tc.inline})
			resp, _ := get(t, ts, "GET", "/media/page.html"+tc.query)
			cd := resp.Header.Get("Content-Disposition")
			if got := strings.HasPrefix(cd, "attachment"); got != tc.attachment {
				t.Errorf("Content-Disposition = %q, want attachment %v", cd, tc.attachment)
			}
			if resp.Header.Get("Content-Security-Policy") != "sandbox" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("CSP %q, X-Content-Type-Options %q: want sandbox and nosniff",
					resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Content-Type-Options"))
			}
			if resp.Header.Get("Content-Type") != tc.contentType {
				t.Errorf("Content-Type = %q, want S3's %q", resp.Header.Get("Content-Type"), tc.contentType)
			}
		})
	}
	if _, err := middleware.NewProxy(&fakeGetter{}, middleware.ProxyOptions{Prefix: "/m/", InlineTypes: []string{"not a type"}}); err == nil {
		t.Errorf("NewProxy with a bad inline type succeeded")
	}
}

// TestProxyRoute: the names, methods, Authorize and statuses Redirect
// has.
func TestProxyRoute(t *testing.T) {
	secret := errors.New("secret internal detail")
	g := &fakeGetter{answer: func(o *storage.GetOptions) (*storage.Object, error) {
		return nil, fmt.Errorf("storage: get: %w", fs.ErrNotExist)
	}}
	authorize := func(r *http.Request, name string) error {
		switch name {
		case "private.txt":
			return secret
		case "hidden.txt":
			return fmt.Errorf("hidden: %w", fs.ErrNotExist)
		}
		return nil
	}
	ts := newProxy(t, g, middleware.ProxyOptions{Authorize: authorize})
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/media/%2e%2e/etc/passwd", 400},
		{"GET", "/media//evil.com/x", 400},
		{"GET", "/media/%5C..%5Cx", 400},
		{"GET", "/media/private.txt", 403},
		{"GET", "/media/hidden.txt", 404},
		{"GET", "/media/missing.txt", 404},
		{"GET", "/media/dir/", 404},
		{"POST", "/media/a.txt", 405},
		{"GET", "/other", 200}, // the next handler
	} {
		resp, body := get(t, ts, tc.method, tc.path)
		if resp.StatusCode != tc.status || strings.Contains(body, "secret") {
			t.Errorf("%s %s = %d %q, want %d without the error's text", tc.method, tc.path, resp.StatusCode, body, tc.status)
		}
	}
	if len(g.names) != 1 || g.names[0] != "missing.txt" {
		t.Errorf("storage asked for %q, want only missing.txt", g.names)
	}
	// Authorized answers are private to the browser.
	ok := &fakeGetter{answer: func(o *storage.GetOptions) (*storage.Object, error) {
		obj, err := object("x", "image/png")(o)
		obj.CacheControl = "public, max-age=600, s-maxage=3600"
		return obj, err
	}}
	for _, tc := range []struct {
		authorize func(*http.Request, string) error
		want      string
	}{{authorize, "private, max-age=600"}, {nil, "public, max-age=600, s-maxage=3600"}} {
		resp, _ := get(t, newProxy(t, ok, middleware.ProxyOptions{Authorize: tc.authorize}), "GET", "/media/a.png")
		if got := resp.Header.Get("Cache-Control"); got != tc.want {
			t.Errorf("Cache-Control = %q, want %q", got, tc.want)
		}
	}
}

// TestProxyCutBody: a body S3 cuts short is not passed off as whole.
func TestProxyCutBody(t *testing.T) {
	g := &fakeGetter{answer: func(o *storage.GetOptions) (*storage.Object, error) {
		// Length unknown: only the abort tells the client (a short
		// Content-Length would too).
		return &storage.Object{Status: 200, ContentLength: -1, ContentType: "text/plain",
			Body: io.NopCloser(io.MultiReader(strings.NewReader("partial"), errReader{})),
		}, nil
	}}
	ts := newProxy(t, g, middleware.ProxyOptions{})
	resp, err := ts.Client().Get(ts.URL + "/media/a.txt")
	if err != nil {
		return // the connection dropped before the header: not whole either
	}
	defer resp.Body.Close()
	if b, err := io.ReadAll(resp.Body); err == nil {
		t.Errorf("read a cut body as whole: %d %q", resp.StatusCode, b)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// blockingBody sends a first chunk (larger than the server's write
// buffer, so that it reaches the client), then blocks until the GET's
// context ends, and records that it did.
type blockingBody struct {
	ctx   context.Context
	sent  bool
	ended chan struct{}
}

func (b *blockingBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, make([]byte, 64<<10)), nil
	}
	<-b.ctx.Done()
	close(b.ended)
	return 0, b.ctx.Err()
}

func (b *blockingBody) Close() error { return nil }

// TestProxyClientGone: a client that goes away cancels the storage's
// request.
func TestProxyClientGone(t *testing.T) {
	ended := make(chan struct{})
	p, err := middleware.NewProxy(getterFunc(func(ctx context.Context, name string, o *storage.GetOptions) (*storage.Object, error) {
		return &storage.Object{Status: 200, ContentLength: 1 << 30, ContentType: "application/octet-stream",
			Body: &blockingBody{ctx: ctx, ended: ended}}, nil
	}), middleware.ProxyOptions{Prefix: "/media/"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(p.Handler(nil))
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/media/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 1024))
	resp.Body.Close() // the client goes away mid-body
	select {
	case <-ended:
	case <-time.After(time.Minute): // a hang, not a timing
		t.Fatal("the storage's request was not cancelled after the client went away")
	}
}

type getterFunc func(ctx context.Context, name string, o *storage.GetOptions) (*storage.Object, error)

func (f getterFunc) Get(ctx context.Context, name string, o *storage.GetOptions) (*storage.Object, error) {
	return f(ctx, name, o)
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// zeros is an endless body of zeros, up to n bytes.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.n))
	clear(p[:n])
	z.n -= int64(n)
	return n, nil
}

func (z *zeros) Close() error { return nil }

// TestProxyMemory: streaming 256 MiB allocates a small, fixed amount:
// the copy buffer is pooled, the body never held.
func TestProxyMemory(t *testing.T) {
	const size = 256 << 20
	p, err := middleware.NewProxy(getterFunc(func(ctx context.Context, name string, o *storage.GetOptions) (*storage.Object, error) {
		return &storage.Object{Status: 200, ContentLength: size, ContentType: "application/octet-stream", Body: &zeros{size}}, nil
	}), middleware.ProxyOptions{Prefix: "/media/"})
	if err != nil {
		t.Fatal(err)
	}
	h := p.Handler(nil)
	req := httptest.NewRequest("GET", "/media/big.bin", nil)
	h.ServeHTTP(&discardWriter{h: http.Header{}}, req) // warm the pool
	// A garbage collection during a run (other tests run beside this one)
	// empties the pool, and under -race sync.Pool drops a quarter of what
	// is put back on purpose: the copy buffer is then allocated again. The
	// least of ten runs is the proxy's own share (all ten missing the pool
	// under -race: about one in a million).
	least := uint64(math.MaxUint64)
	for range 10 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		h.ServeHTTP(&discardWriter{h: http.Header{}}, req)
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	if least > 64<<10 {
		t.Errorf("streaming %d MiB allocated %d bytes at the least, want a fixed few KiB", size>>20, least)
	} else {
		t.Logf("streaming %d MiB allocated %d bytes", size>>20, least)
	}
}
