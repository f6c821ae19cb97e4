package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/internal/faultproxy"
	"github.com/s3kit/s3kit/middleware"
	"github.com/s3kit/s3kit/storage"
)

// proxyRig is the Proxy middleware in front of a storage that reaches the
// server through a fault proxy, so that the tests see every S3 request
// the middleware makes: its operation, its Range, how many bytes of the
// answer went back and when the server side saw the request end.
type proxyRig struct {
	direct *storage.Storage // the same location, no proxy: to set up
	fp     *faultproxy.Proxy
	app    *httptest.Server // the middleware

	mu   sync.Mutex
	gets []s3Get
	done chan s3Get // each GetObject, when its handler at the proxy ends
}

// s3Get is one GetObject the fault proxy forwarded.
type s3Get struct {
	Range string
	Sent  int64     // bytes of the answer's body sent back to the storage
	Ended time.Time // when the proxy's handler returned
}

func newProxyRig(t *testing.T, opts middleware.ProxyOptions) *proxyRig {
	t.Helper()
	r := &proxyRig{direct: newStorage(t, storage.Options{}), done: make(chan s3Get, 16)}
	fp, err := faultproxy.New(os.Getenv("AWS_S3_ENDPOINT_URL"), faultproxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.fp = fp
	t.Cleanup(func() { fp.Close() }) // its connections to the server
	observed := httptest.NewServer(http.HandlerFunc(r.observe))
	t.Cleanup(observed.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := storage.New(ctx, storage.Options{BucketName: r.direct.Bucket(), Location: r.direct.Location(),
		EndpointURL: observed.URL, AddressingStyle: "path"})
	if err != nil {
		t.Fatal(err)
	}
	opts.Prefix = "/media/"
	px, err := middleware.NewProxy(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	r.app = httptest.NewServer(px.Handler(nil))
	t.Cleanup(r.app.Close)
	return r
}

// observe passes a request to the fault proxy, recording GetObjects.
func (r *proxyRig) observe(w http.ResponseWriter, req *http.Request) {
	if faultproxy.Classify(req).Op != faultproxy.OpGetObject {
		r.fp.ServeHTTP(w, req)
		return
	}
	cw := &countingWriter{ResponseWriter: w}
	defer func() { // also when the proxy aborts (panic): the storage went away
		g := s3Get{Range: req.Header.Get("Range"), Sent: cw.n.Load(), Ended: time.Now()}
		r.mu.Lock()
		r.gets = append(r.gets, g)
		r.mu.Unlock()
		select {
		case r.done <- g:
		default:
		}
	}()
	r.fp.ServeHTTP(cw, req)
}

type countingWriter struct {
	http.ResponseWriter
	n atomic.Int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (r *proxyRig) do(t *testing.T, method, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, r.app.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, path, err)
	}
	return resp, b
}

// counts returns how many GetObject, HeadObject and requests in all went
// through since the last call, and starts counting again.
func (r *proxyRig) counts() (get, head, all int64) {
	get, head, all = r.fp.Requests(faultproxy.OpGetObject), r.fp.Requests(faultproxy.OpHeadObject), r.fp.Requests("")
	r.fp.ResetCounters()
	return get, head, all
}

// TestProxyOnServer: the proxy mode on the real server, counted at the
// server side: one S3 request per client request.
func TestProxyOnServer(t *testing.T) {
	rig := newProxyRig(t, middleware.ProxyOptions{})
	ctx := context.Background()
	data := make([]byte, 3<<20)
	rng := rand.New(rand.NewPCG(15, 15))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	if _, err := rig.direct.Save(ctx, "files/data.bin", bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	// Stored by another client, as HTML with no Content-Disposition:
	// the proxy must not serve it inline.
	key, _ := rig.direct.Key("files/page.html")
	if _, err := directClient(t, rig.direct).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(rig.direct.Bucket()), Key: aws.String(key),
		ContentType: aws.String("text/html"), Body: strings.NewReader("<!doctype html><script>alert(document.cookie)</script>")}); err != nil {
		t.Fatal(err)
	}
	rig.counts()

	t.Run("range", func(t *testing.T) {
		resp, body := rig.do(t, "GET", "/media/files/data.bin", "Range", "bytes=1000000-1999999")
		if resp.StatusCode != 206 || !bytes.Equal(body, data[1000000:2000000]) {
			t.Errorf("GET with Range = %d, %d bytes; want 206 and bytes 1000000-1999999", resp.StatusCode, len(body))
		}
		if got, want := resp.Header.Get("Content-Range"), fmt.Sprintf("bytes 1000000-1999999/%d", len(data)); got != want {
			t.Errorf("Content-Range = %q, want %q", got, want)
		}
		if got := resp.Header.Get("Content-Length"); got != "1000000" {
			t.Errorf("Content-Length = %q, want 1000000", got)
		}
		rig.mu.Lock()
		last := rig.gets[len(rig.gets)-1]
		rig.mu.Unlock()
		if get, _, all := rig.counts(); get != 1 || all != 1 || last.Range != "bytes=1000000-1999999" {
			t.Errorf("S3 saw %d GetObject (last Range %q), %d requests in all; want exactly one ranged GET", get, last.Range, all)
		}
	})
	t.Run("if-none-match", func(t *testing.T) {
		resp, _ := rig.do(t, "GET", "/media/files/data.bin")
		etag := resp.Header.Get("ETag")
		rig.counts()
		resp, body := rig.do(t, "GET", "/media/files/data.bin", "If-None-Match", etag)
		if resp.StatusCode != 304 || len(body) != 0 || etag == "" || resp.Header.Get("ETag") != etag {
			t.Errorf("GET with If-None-Match %s = %d, %d bytes, ETag %q; want 304, no body, the same ETag", etag, resp.StatusCode, len(body), resp.Header.Get("ETag"))
		}
		if get, _, all := rig.counts(); get != 1 || all != 1 {
			t.Errorf("S3 saw %d GetObject, %d requests in all; want 1", get, all)
		}
	})
	t.Run("head", func(t *testing.T) {
		resp, body := rig.do(t, "HEAD", "/media/files/data.bin")
		if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != fmt.Sprint(len(data)) {
			t.Errorf("HEAD = %d, Content-Length %q; want 200, %d", resp.StatusCode, resp.Header.Get("Content-Length"), len(data))
		}
		if get, head, all := rig.counts(); head != 1 || get != 0 || all != 1 {
			t.Errorf("S3 saw %d HeadObject, %d GetObject, %d in all; want one HeadObject", head, get, all)
		}
	})
	t.Run("html", func(t *testing.T) {
		resp, body := rig.do(t, "GET", "/media/files/page.html")
		h := resp.Header
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte("<script>")) {
			t.Fatalf("GET page.html = %d %q", resp.StatusCode, body)
		}
		if h.Get("Content-Security-Policy") != "sandbox" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Content-Disposition") != storage.Attachment("page.html") {
			t.Errorf("HTML served with CSP %q, X-Content-Type-Options %q, Content-Disposition %q; want sandbox, nosniff, attachment",
				h.Get("Content-Security-Policy"), h.Get("X-Content-Type-Options"), h.Get("Content-Disposition"))
		}
		rig.counts()
	})
	t.Run("hostile path", func(t *testing.T) {
		for _, p := range []string{"/media/%2e%2e/x", "/media//evil.com/x", "/media/%5C..%5Cx", "/media/a%00b"} {
			if resp, _ := rig.do(t, "GET", p); resp.StatusCode != 400 {
				t.Errorf("GET %s = %d, want 400", p, resp.StatusCode)
			}
		}
		if _, _, all := rig.counts(); all != 0 {
			t.Errorf("hostile paths made %d S3 requests, want none", all)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if resp, _ := rig.do(t, "GET", "/media/files/nope.bin"); resp.StatusCode != 404 {
			t.Errorf("GET a missing file = %d, want 404", resp.StatusCode)
		}
	})
}

// pattern is a reader of n bytes that need no memory.
type pattern struct{ n, off int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		b[i] = byte((p.off + int64(i)) * 7)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// TestProxyClientGoneOnServer: a client that goes away after 1 MiB of a
// 1 GiB file ends the S3 request: the server side sees it end long before
// the whole file.
func TestProxyClientGoneOnServer(t *testing.T) {
	if testing.Short() {
		t.Skip("stores a 1 GiB object")
	}
	const size = 1 << 30
	rig := newProxyRig(t, middleware.ProxyOptions{})
	ctx := context.Background()
	if _, err := rig.direct.Save(ctx, "big.bin", &pattern{n: size}, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rig.direct.Delete(context.Background(), "big.bin") })

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(rig.app.URL + "/media/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ContentLength != size {
		t.Fatalf("GET = %d, Content-Length %d", resp.StatusCode, resp.ContentLength)
	}
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(head, mustRead(&pattern{n: 1 << 20})) {
		t.Errorf("the first MiB differs from the stored bytes")
	}
	left := time.Now()
	resp.Body.Close() // the client goes away: its connection closes
	select {
	case g := <-rig.done:
		t.Logf("the S3 request ended %v after the client left, %d MiB of %d sent", g.Ended.Sub(left).Round(time.Millisecond), g.Sent>>20, size>>20)
		if g.Sent >= size/2 {
			t.Errorf("the S3 answer ran to %d bytes of %d: not cancelled", g.Sent, size)
		}
	case <-time.After(2 * time.Minute): // a hang, not a timing
		t.Fatal("the S3 request was not cancelled after the client left")
	}
}

func mustRead(r io.Reader) []byte {
	b, err := io.ReadAll(r)
	if err != nil {
		panic(err)
	}
	return b
}
