package s3local_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3kit/s3kit/s3local"
)

const (
	testKey    = "AKIDTEST"
	testSecret = "test-secret"
	testBucket = "bucket"
)

// fixture is a running server with a bucket.
type fixture struct {
	srv *s3local.Server
	ts  *httptest.Server
}

// start runs a server with opts and creates testBucket. Without
// opts.Store, the server keeps its data in memory, or, under
// TestOnDiskStore, in a DiskStore of its own.
func start(t *testing.T, opts s3local.Options) *fixture {
	t.Helper()
	if opts.Store == nil && strings.HasPrefix(t.Name(), onDiskStore+"/") {
		opts.Store = newDiskStore(t, t.TempDir())
	}
	srv := s3local.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	if err := srv.CreateBucket(testBucket); err != nil {
		t.Fatalf("CreateBucket(%q) = %v", testBucket, err)
	}
	return &fixture{srv: srv, ts: ts}
}

// client returns a path-style SDK client of the fixture, without retries.
func (f *fixture) client(t *testing.T, optFns ...func(*s3.Options)) *s3.Client {
	t.Helper()
	return newClient(f.ts.URL, optFns...)
}

func newClient(endpoint string, optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Retryer:      aws.NopRetryer{},
		// The defaults of config.LoadDefaultConfig, which s3.New alone
		// leaves unset (and then sends no checksum by default).
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, optFns...)
}

// vhostClient returns a virtual-hosted-style client: requests go to
// "<bucket>.localhost:PORT", which its transport dials to the fixture.
func (f *fixture) vhostClient(t *testing.T) *s3.Client {
	t.Helper()
	addr := f.ts.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return newClient("http://localhost:"+port, func(o *s3.Options) {
		o.UsePathStyle = false
		o.HTTPClient = &http.Client{Transport: tr}
	})
}

// errorCode returns the S3 error code and HTTP status of an SDK error.
// hasCode reports whether body, an S3 error document, carries code; any
// body does when code is empty.
func hasCode(body []byte, code string) bool {
	return code == "" || strings.Contains(string(body), "<Code>"+code+"</Code>")
}

func errorCode(err error) (string, int) {
	if err == nil {
		return "", 0
	}
	code, status := "", 0
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// wantError fails the test unless err has the S3 code and status.
func wantError(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	gotCode, gotStatus := errorCode(err)
	if gotCode != code || gotStatus != status {
		t.Errorf("%s: error = %v (code %q, status %d), want code %q, status %d", what, err, gotCode, gotStatus, code, status)
	}
}

// do sends a raw request and returns the response with its body read.
func do(t *testing.T, method, rawURL string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, rawURL, err)
	}
	return resp, b
}

// put stores an object through the SDK.
func put(t *testing.T, c *s3.Client, key string, body []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(testBucket),
		Key:    aws.String(key),
		Body:   bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("PutObject(%q) = %v", key, err)
	}
	return out
}

// get reads an object through the SDK.
func get(t *testing.T, c *s3.Client, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject(%q) = %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject(%q): reading body: %v", key, err)
	}
	return b
}

// objectURL returns the path-style URL of key in testBucket.
func (f *fixture) objectURL(key string) string {
	return f.ts.URL + "/" + testBucket + "/" + (&url.URL{Path: key}).EscapedPath()
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// recorder records the request headers of each operation.
type recorder struct {
	mu   sync.Mutex
	seen map[string][]http.Header
}

func (r *recorder) intercept(op string, req *http.Request) *s3local.Error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string][]http.Header{}
	}
	r.seen[op] = append(r.seen[op], req.Header.Clone())
	return nil
}

func (r *recorder) headers(op string) []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[op]
}

// newTestServer runs h on a loopback listener.
func newTestServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// newDiskStore opens a DiskStore in dir, closed when the test ends.
func newDiskStore(t *testing.T, dir string) *s3local.DiskStore {
	t.Helper()
	d, err := s3local.NewDiskStore(dir)
	if err != nil {
		t.Fatalf("NewDiskStore(%q) = %v", dir, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
