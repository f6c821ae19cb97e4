package faultproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// received is what the upstream saw of one request.
type received struct {
	Method, RequestURI, Host string
	Header                   http.Header
	ContentLength            int64
	TransferEncoding         []string
	BodySum                  string
	BodyLen                  int64
	BodyErr                  error
}

// upstream is an httptest server that records the requests it gets and
// answers with a body of the size the "size" query parameter asks for
// (pseudo-random bytes of the seed in "seed").
type upstream struct {
	srv   *httptest.Server
	mu    sync.Mutex
	got   []received
	conns atomic.Int64
	done  chan received // a value per finished request
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{done: make(chan received, 100)}
	u.srv = httptest.NewUnstartedServer(http.HandlerFunc(u.serve))
	u.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			u.conns.Add(1)
		}
	}
	u.srv.Start()
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	rec := received{
		Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone(),
		ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding,
		BodySum: hex.EncodeToString(h.Sum(nil)), BodyLen: n, BodyErr: err,
	}
	u.mu.Lock()
	u.got = append(u.got, rec)
	u.mu.Unlock()
	defer func() { u.done <- rec }()
	if err != nil {
		return
	}
	w.Header().Set("ETag", `"abc"`)
	w.Header().Set("X-Amz-Meta-Echo", r.Header.Get("X-Amz-Meta-Echo"))
	if r.URL.Query().Get("notype") != "" {
		w.Header()["Content-Type"] = nil // no type, and none sniffed here
		io.WriteString(w, "<!DOCTYPE html><html></html>")
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	var size int64
	fmt.Sscan(r.URL.Query().Get("size"), &size)
	if size > 0 {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		io.Copy(w, io.LimitReader(seeded(r.URL.Query().Get("seed")), size))
	}
}

func (u *upstream) requests() []received {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]received(nil), u.got...)
}

func seeded(s string) io.Reader {
	var seed [32]byte
	copy(seed[:], s)
	return rand.NewChaCha8(seed)
}

func sum(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

func startProxy(t *testing.T, up string, opts Options) *Proxy {
	t.Helper()
	p, err := Start(up, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// client is a fresh client per test, with keep-alive, that does not
// retry anything by itself beyond what net/http does.
func client(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func TestForwardUntouched(t *testing.T) {
	up := newUpstream(t)
	p := startProxy(t, up.srv.URL, Options{})
	c := client(t)
	body := make([]byte, 3<<20+17)
	io.ReadFull(seeded("body"), body)
	want := sha256.Sum256(body)
	tests := []struct {
		name, method, target string
		body                 io.Reader
		length               int64
	}{
		{"escaped key and query", "PUT", "/b/a%2Fb%20c+d~%25%3F?x-id=PutObject&a=1&b=%2F", bytes.NewReader(body), int64(len(body))},
		{"double slash and dots", "PUT", "/b//x/./y/../z", bytes.NewReader(body), int64(len(body))},
		{"unicode raw", "PUT", "/b/%C3%A9t%C3%A9/%E2%82%AC", bytes.NewReader(body), int64(len(body))},
		{"chunked", "PUT", "/b/chunked", struct{ io.Reader }{bytes.NewReader(body)}, -1},
		{"empty query value", "POST", "/b/k?uploads=", nil, 0},
		{"get", "GET", "/b/k?x-id=GetObject", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, p.URL()+tt.target, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = tt.length
			req.Header.Set("X-Amz-Meta-Echo", "spaced  value")
			req.Header["x-amz-lower"] = []string{"v1", "v2"}
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			got := <-up.done
			if got.RequestURI != tt.target {
				t.Errorf("upstream RequestURI = %q, want %q", got.RequestURI, tt.target)
			}
			if host := strings.TrimPrefix(p.URL(), "http://"); got.Host != host {
				t.Errorf("upstream Host = %q, want the client's %q", got.Host, host)
			}
			for _, k := range []string{"X-Amz-Meta-Echo", "Authorization", "User-Agent"} {
				if g, w := got.Header.Values(k), req.Header.Values(k); strings.Join(g, "|") != strings.Join(w, "|") && k != "User-Agent" {
					t.Errorf("upstream header %s = %q, want %q", k, g, w)
				}
			}
			if g := got.Header["X-Amz-Lower"]; strings.Join(g, "|") != "v1|v2" {
				t.Errorf("upstream header x-amz-lower = %q, want [v1 v2]", g)
			}
			if tt.body != nil {
				if got.BodySum != hex.EncodeToString(want[:]) || got.BodyLen != int64(len(body)) {
					t.Errorf("upstream body = %d bytes %s, want %d bytes %x", got.BodyLen, got.BodySum, len(body), want)
				}
				if tt.length < 0 && (len(got.TransferEncoding) != 1 || got.TransferEncoding[0] != "chunked") {
					t.Errorf("upstream TransferEncoding = %q, want [chunked]", got.TransferEncoding)
				}
				if tt.length > 0 && got.ContentLength != tt.length {
					t.Errorf("upstream ContentLength = %d, want %d", got.ContentLength, tt.length)
				}
			}
			if g := resp.Header.Get("X-Amz-Meta-Echo"); g != strings.TrimSpace(req.Header.Get("X-Amz-Meta-Echo")) {
				t.Errorf("answer header X-Amz-Meta-Echo = %q, want %q", g, req.Header.Get("X-Amz-Meta-Echo"))
			}
		})
	}
	if n := p.Requests(""); n != int64(len(tests)) {
		t.Errorf("Requests(\"\") = %d, want %d", n, len(tests))
	}
	if n := p.Requests(OpPutObject); n != 4 {
		t.Errorf("Requests(PutObject) = %d, want 4", n)
	}
	if n := p.Status(OpPutObject, 200); n != 4 {
		t.Errorf("Status(PutObject, 200) = %d, want 4", n)
	}
}

func TestAnswerUntouched(t *testing.T) {
	up := newUpstream(t)
	p := startProxy(t, up.srv.URL, Options{})
	c := client(t)
	const size = 5<<20 + 3
	wantSum, _, _ := sum(io.LimitReader(seeded("s"), size))
	t.Run("body and headers", func(t *testing.T) {
		resp, err := c.Get(p.URL() + "/b/k?seed=s&size=" + fmt.Sprint(size))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, n, err := sum(resp.Body)
		if err != nil || got != wantSum || n != size {
			t.Errorf("answer body = %d bytes %s (%v), want %d bytes %s", n, got, err, size, wantSum)
		}
		if resp.ContentLength != size {
			t.Errorf("answer ContentLength = %d, want %d", resp.ContentLength, size)
		}
		if g := resp.Header.Get("Content-Type"); g != "application/xml" {
			t.Errorf("answer Content-Type = %q, want %q", g, "application/xml")
		}
		if g := resp.Header.Get("ETag"); g != `"abc"` {
			t.Errorf("answer ETag = %q, want %q", g, `"abc"`)
		}
	})
	t.Run("untyped: not sniffed", func(t *testing.T) {
		resp, err := c.Get(p.URL() + "/b/k?notype=1")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if g, ok := resp.Header["Content-Type"]; ok {
			t.Errorf("answer Content-Type = %q, want none (as the server sent)", g)
		}
	})
	t.Run("head keeps Content-Length", func(t *testing.T) {
		resp, err := c.Head(p.URL() + "/b/k?size=0")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("HEAD status = %d, want 200", resp.StatusCode)
		}
	})
}

func TestKeepAlive(t *testing.T) {
	up := newUpstream(t)
	p := startProxy(t, up.srv.URL, Options{})
	c := client(t)
	var reused atomic.Int64
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if i.Reused {
			reused.Add(1)
		}
	}}
	const n = 10
	for i := range n {
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "PUT", p.URL()+"/b/k", strings.NewReader("x"))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if got := reused.Load(); got != n-1 {
		t.Errorf("client connections reused = %d, want %d", got, n-1)
	}
	if got := up.conns.Load(); got != 1 {
		t.Errorf("upstream connections = %d, want 1", got)
	}
}

// do sends a PUT with a body of size bytes (or a GET when size < 0) and
// returns the answer's status and body, or the error.
func do(c *http.Client, url string, size int) (int, []byte, error) {
	method, body := "GET", io.Reader(nil)
	if size >= 0 {
		method, body = "PUT", bytes.NewReader(make([]byte, size))
	}
	req, _ := http.NewRequest(method, url, body)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func TestLoseResponse(t *testing.T) {
	up := newUpstream(t)
	p := startProxy(t, up.srv.URL, Options{Rules: []Rule{{Op: OpPutObject, Nth: 2, Fault: LoseResponse}}})
	c := client(t)
	var errs []error
	for i := range 3 {
		_, _, err := do(c, p.URL()+"/b/k", 1<<20)
		errs = append(errs, err)
		if got := <-up.done; got.BodyLen != 1<<20 || got.BodyErr != nil {
			t.Errorf("request %d: upstream body = %d bytes (%v), want the whole 1 MiB", i, got.BodyLen, got.BodyErr)
		}
	}
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("requests 1 and 3: errors %v, %v; want none", errs[0], errs[2])
	}
	if errs[1] == nil {
		t.Errorf("request 2 (lost answer): no error, want one")
	}
	if n := p.Injected(OpPutObject, LoseResponse); n != 1 {
		t.Errorf("Injected(PutObject, LoseResponse) = %d, want 1", n)
	}
	if n := p.Status(OpPutObject, 200); n != 3 {
		t.Errorf("Status(PutObject, 200) = %d, want 3 (the lost answer counts)", n)
	}
	ev := p.Events()
	if len(ev) != 1 || ev[0].Seq != 2 || ev[0].Status != 200 || ev[0].Key != "k" {
		t.Errorf("Events() = %+v, want one lost answer to request 2, status 200, key k", ev)
	}
}

func TestResetRequest(t *testing.T) {
	tests := []struct {
		name  string
		after int64
		size  int
	}{
		{"half", 0, 4 << 20},
		{"first 1000 bytes", 1000, 4 << 20},
		{"none", -1, 4 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t)
			p := startProxy(t, up.srv.URL, Options{Rules: []Rule{{Op: OpPutObject, Fault: Reset, After: tt.after}}})
			_, _, err := do(client(t), p.URL()+"/b/k", tt.size)
			if err == nil {
				t.Fatalf("PUT through a reset: no error")
			}
			select {
			case got := <-up.done:
				if got.BodyErr == nil || got.BodyLen >= int64(tt.size) {
					t.Errorf("upstream body = %d bytes, err %v; want fewer than %d and an error", got.BodyLen, got.BodyErr, tt.size)
				}
				if tt.after > 0 && got.BodyLen > tt.after {
					t.Errorf("upstream body = %d bytes, want at most %d", got.BodyLen, tt.after)
				}
			case <-time.After(10 * time.Second):
				if tt.after >= 0 {
					t.Errorf("upstream saw no request")
				}
			}
			if n := p.Injected(OpPutObject, ResetRequest); n != 1 {
				t.Errorf("Injected(PutObject, ResetRequest) = %d, want 1", n)
			}
		})
	}
}

func TestResetResponse(t *testing.T) {
	tests := []struct {
		name  string
		after int64
		want  int64
	}{
		{"half", 0, 1 << 19},
		{"first 1000 bytes", 1000, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t)
			p := startProxy(t, up.srv.URL, Options{Rules: []Rule{{Op: OpGetObject, Fault: Reset, After: tt.after}}})
			resp, err := client(t).Get(p.URL() + "/b/k?size=" + fmt.Sprint(1<<20))
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil || n != tt.want {
				t.Errorf("GET through a reset: read %d bytes, err %v; want %d and an error", n, err, tt.want)
			}
			if c := p.Injected(OpGetObject, ResetResponse); c != 1 {
				t.Errorf("Injected(GetObject, ResetResponse) = %d, want 1", c)
			}
		})
	}
	for _, method := range []string{"DELETE", "HEAD"} {
		t.Run(method+": no body, nothing", func(t *testing.T) {
			up := newUpstream(t)
			p := startProxy(t, up.srv.URL, Options{Rules: []Rule{{Fault: Reset}}})
			target := "/b/k"
			if method == "HEAD" {
				target += "?size=100" // a Content-Length, and no body
			}
			req, _ := http.NewRequest(method, p.URL()+target, nil)
			resp, err := client(t).Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("%s through a reset: status %d, want an error", method, resp.StatusCode)
			}
			if got := <-up.done; got.Method != method {
				t.Errorf("upstream got %s, want the %s forwarded", got.Method, method)
			}
			if n := p.Injected("", ResetResponse); n != 1 {
				t.Errorf("Injected(\"\", ResetResponse) = %d, want 1", n)
			}
		})
	}
}

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		fault  Fault
		status int
		code   string
	}{
		{SlowDown, 503, "<Code>SlowDown</Code>"},
		{InternalError, 500, "<Code>InternalError</Code>"},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			up := newUpstream(t)
			p := startProxy(t, up.srv.URL, Options{Rules: []Rule{{Fault: tt.fault, First: 2}}})
			c := client(t)
			for i := range 3 {
				status, body, err := do(c, p.URL()+"/b/a<b>", 3<<20)
				want := tt.status
				if i == 2 {
					want = 200
				}
				if err != nil || status != want {
					t.Fatalf("request %d: status %d (%v), want %d", i, status, err, want)
				}
				if i < 2 && (!bytes.Contains(body, []byte(tt.code)) || !bytes.Contains(body, []byte("<Resource>/b/a&lt;b&gt;</Resource>"))) {
					t.Errorf("request %d: body %q, want an S3 error with %s", i, body, tt.code)
				}
			}
			if got := up.requests(); len(got) != 1 {
				t.Errorf("upstream requests = %d, want 1 (the faults are not forwarded)", len(got))
			}
			if n := p.Injected("", tt.fault); n != 2 {
				t.Errorf("Injected(\"\", %v) = %d, want 2", tt.fault, n)
			}
		})
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	up := newUpstream(t)
	p := startProxy(t, up.srv.URL, Options{Rules: []Rule{{Op: OpGetObject, Fault: Latency, Delay: time.Hour}}})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", p.URL()+"/b/k", nil)
	errc := make(chan error, 1)
	c := client(t) // t's methods that end the test are for the test's goroutine
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for p.Injected(OpGetObject, Latency) == 0 {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("GET cancelled during a delay: %v, want context.Canceled", err)
	}
	resp, err := client(t).Head(p.URL() + "/b/k")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("HEAD (no delay rule): %v", err)
	}
	resp.Body.Close()
	if got := up.requests(); len(got) != 1 || got[0].Method != "HEAD" {
		t.Errorf("upstream requests = %+v, want the HEAD only", got)
	}
}

func TestLatencyThenFault(t *testing.T) {
	up := newUpstream(t)
	p := startProxy(t, up.srv.URL, Options{Rules: []Rule{
		{Fault: Latency, Delay: time.Millisecond},
		{Op: OpPutObject, Fault: SlowDown},
	}})
	status, _, err := do(client(t), p.URL()+"/b/k", 10)
	if err != nil || status != 503 {
		t.Fatalf("PUT: %d, %v; want 503", status, err)
	}
	if n := p.Injected(OpPutObject, Latency); n != 1 {
		t.Errorf("Injected(PutObject, Latency) = %d, want 1", n)
	}
	if n := p.Injected(OpPutObject, SlowDown); n != 1 {
		t.Errorf("Injected(PutObject, SlowDown) = %d, want 1", n)
	}
	if s := p.Summary(); s != "requests PutObject=1; faults 503-slowdown=1 latency=1; server" {
		t.Errorf("Summary() = %q", s)
	}
}

func TestRuleSelection(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		keys []string
		want []bool // fired, per request
	}{
		{"nth", Rule{Nth: 3}, []string{"a", "a", "a", "a"}, []bool{false, false, true, false}},
		{"first", Rule{First: 2}, []string{"a", "a", "a"}, []bool{true, true, false}},
		{"every, max 2", Rule{Max: 2}, []string{"a", "a", "a"}, []bool{true, true, false}},
		{"key pattern", Rule{Key: "up/*.bin"}, []string{"up/x.bin", "up/x.txt", "down/x.bin", "up/y.bin"}, []bool{true, false, false, true}},
		{"key pattern nth counts matches only", Rule{Key: "x*", Nth: 2}, []string{"x1", "y", "x2", "x3"}, []bool{false, false, true, false}},
		{"match func", Rule{Match: func(req Request, _ *http.Request) bool { return strings.HasSuffix(req.Key, "!") }}, []string{"a!", "b"}, []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rl := &rule{Rule: tt.rule}
			for i, k := range tt.keys {
				got := rl.matches(Request{Op: OpPutObject, Key: k}, nil) && rl.fires(1)
				if got != tt.want[i] {
					t.Errorf("request %d (key %q): fired = %v, want %v", i+1, k, got, tt.want[i])
				}
			}
		})
	}
}

func TestRateReproducible(t *testing.T) {
	run := func(seed uint64) []bool {
		rl := &rule{Rule: Rule{Rate: 0.25}, index: 1}
		out := make([]bool, 2000)
		for i := range out {
			out[i] = rl.fires(seed)
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	fired, same := 0, 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 7, request %d: %v then %v; want the same decision", i+1, a[i], b[i])
		}
		if a[i] {
			fired++
		}
		if a[i] == c[i] {
			same++
		}
	}
	if fired < 400 || fired > 600 {
		t.Errorf("rate 0.25 over 2000 requests fired %d times, want about 500", fired)
	}
	if same == len(a) {
		t.Errorf("seeds 7 and 8 gave the same decisions")
	}
}

func TestInvalidRules(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		want string
	}{
		{"no fault", Rule{}, "is not one of the faults"},
		{"rate", Rule{Fault: SlowDown, Rate: 1.5}, "not within [0, 1]"},
		{"latency", Rule{Fault: Latency}, "positive Delay"},
		{"negative", Rule{Fault: SlowDown, Nth: -1}, "must not be negative"},
		{"pattern", Rule{Fault: SlowDown, Key: "["}, "Key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New("http://127.0.0.1:1", Options{Rules: []Rule{tt.rule}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(rule %+v) = %v, want an error containing %q", tt.rule, err, tt.want)
			}
		})
	}
	if _, err := New("127.0.0.1:80", Options{}); err == nil {
		t.Errorf("New(%q) = nil error, want one", "127.0.0.1:80")
	}
}

// TestBoundedMemory streams 256 MiB up and 256 MiB down through the proxy
// and checks that the proxy allocated a small fraction of it.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 512 MiB")
	}
	up := newUpstream(t)
	p := startProxy(t, up.srv.URL, Options{})
	c := client(t)
	const size = 256 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	req, _ := http.NewRequest("PUT", p.URL()+"/b/k?size="+fmt.Sprint(size), io.LimitReader(seeded("u"), size))
	req.ContentLength = size
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, n, err := sum(resp.Body)
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n != size {
		t.Fatalf("answer: %d bytes, %v", n, err)
	}
	if got := <-up.done; got.BodyLen != size {
		t.Fatalf("upstream body = %d bytes, want %d", got.BodyLen, size)
	}
	// Client, proxy and upstream share the process: the whole lot must
	// stay far below one body.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("allocated %d MiB moving 2 × %d MiB through the proxy, want under 16 MiB", alloc>>20, size>>20)
	}
}
