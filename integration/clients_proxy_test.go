package integration

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/s3kit/s3kit/internal/faultproxy"
)

// opLog is a reverse proxy in front of an S3 server that names the S3
// operation of every request it forwards and keeps the list, so that a
// test can tell what a client asked for (a sync that wrote nothing, a copy
// made on the server) and log which operations each client uses. The
// request goes on untouched, Host included, so that SigV4 signatures made
// for the proxy's address hold at the server.
type opLog struct {
	srv *httptest.Server
	mu  sync.Mutex
	ops []op
}

// op is one forwarded request: its operation, its name in the logs (see
// s3Op) and the server's status.
type op struct {
	Op     faultproxy.Op
	Name   string
	Status int
}

// startOpLog starts an opLog on loopback in front of target, stopped when
// the test ends.
func startOpLog(t *testing.T, target string) *opLog {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("opLog: target %q: %v", target, err)
	}
	l := &opLog{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.URL.Path, r.Out.URL.RawPath = r.In.URL.Path, r.In.URL.RawPath // no joining: the path is signed
			r.Out.Host = r.In.Host                                              // so is the Host
		},
		ModifyResponse: func(resp *http.Response) error {
			o, name := s3Op(resp.Request)
			l.add(op{o, name, resp.StatusCode})
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			o, name := s3Op(r)
			l.add(op{o, name, http.StatusBadGateway})
			http.Error(w, "opLog: "+err.Error(), http.StatusBadGateway)
		},
	}
	l.srv = httptest.NewServer(rp)
	t.Cleanup(l.srv.Close)
	return l
}

// URL is the proxy's endpoint, http://127.0.0.1:PORT.
func (l *opLog) URL() string { return l.srv.URL }

func (l *opLog) add(o op) {
	l.mu.Lock()
	l.ops = append(l.ops, o)
	l.mu.Unlock()
}

// mark returns a position in the log, for since.
func (l *opLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ops)
}

// since returns the operations logged after mark m.
func (l *opLog) since(m int) []op {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ops[m:])
}

// summary counts the operations after mark m by name and status, in the
// order first seen: "ListObjectsV2 200×2, PutObject 200×3".
func (l *opLog) summary(m int) string { return summarize(l.since(m)) }

func summarize(ops []op) string {
	var keys []string
	n := map[string]int{}
	for _, o := range ops {
		k := fmt.Sprintf("%s %d", o.Name, o.Status)
		if n[k] == 0 {
			keys = append(keys, k)
		}
		n[k]++
	}
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s×%d", k, n[k])
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// named returns the operations in ops whose operation is in set; with a
// nil set, those that change what a bucket holds (faultproxy's Writes).
func named(ops []op, set map[faultproxy.Op]bool) []op {
	var out []op
	for _, o := range ops {
		if set[o.Op] || set == nil && o.Op.Writes() {
			out = append(out, o)
		}
	}
	return out
}

// s3Op names the S3 operation of a path-style request as faultproxy's
// Classify does (the operation names of the S3 API reference), adding
// "(presigned)" to query-signed requests, and "(v2)" when the signature is
// AWS's version 2. A request Classify does not know is named by its
// method, resource and sub-resources ("GET object?acl"), so that it shows
// in the logs.
func s3Op(r *http.Request) (faultproxy.Op, string) {
	c := faultproxy.Classify(r)
	q := r.URL.Query()
	name := string(c.Op)
	if c.Op == faultproxy.OpUnknown {
		name = r.Method + " " + resourceKind(c)
		if len(q) > 0 {
			name += "?" + strings.Join(slices.Sorted(maps.Keys(q)), "&")
		}
	}
	switch {
	case q.Has("X-Amz-Signature"):
		name += " (presigned)"
	case q.Has("Signature"):
		name += " (presigned v2)"
	case strings.HasPrefix(r.Header.Get("Authorization"), "AWS "):
		name += " (v2)"
	}
	return c.Op, name
}

// resourceKind says what a request names: the service, a bucket or an
// object.
func resourceKind(c faultproxy.Request) string {
	switch {
	case c.Bucket == "":
		return "service"
	case c.Key == "":
		return "bucket"
	}
	return "object"
}

func TestS3Op(t *testing.T) {
	for _, tt := range []struct {
		method, target string
		header         http.Header
		want           string
	}{
		{"GET", "/", nil, "ListBuckets"},
		{"GET", "/b", nil, "ListObjects"},
		{"GET", "/b/?prefix=a%2F&delimiter=%2F", nil, "ListObjects"},
		{"GET", "/b?list-type=2&prefix=a", nil, "ListObjectsV2"},
		{"GET", "/b?location", nil, "GetBucketLocation"},
		{"GET", "/b?versioning", nil, "GetBucketVersioning"},
		{"GET", "/b?uploads", nil, "ListMultipartUploads"},
		{"HEAD", "/b", nil, "HeadBucket"},
		{"PUT", "/b", nil, "CreateBucket"},
		{"POST", "/b?delete", nil, "DeleteObjects"},
		{"PUT", "/b/k", nil, "PutObject"},
		{"PUT", "/b/a/b%20c", nil, "PutObject"},
		{"PUT", "/b/k", http.Header{"X-Amz-Copy-Source": {"/b/j"}}, "CopyObject"},
		{"PUT", "/b/k?partNumber=2&uploadId=u", nil, "UploadPart"},
		{"PUT", "/b/k?partNumber=2&uploadId=u", http.Header{"X-Amz-Copy-Source": {"/b/j"}}, "UploadPartCopy"},
		{"POST", "/b/k?uploads", nil, "CreateMultipartUpload"},
		{"POST", "/b/k?uploadId=u", nil, "CompleteMultipartUpload"},
		{"DELETE", "/b/k?uploadId=u", nil, "AbortMultipartUpload"},
		{"GET", "/b/k?uploadId=u", nil, "ListParts"},
		{"GET", "/b/k?acl", nil, "GET object?acl"},
		{"PUT", "/b?policy", nil, "PUT bucket?policy"},
		{"PUT", "/b/k?tagging", nil, "PutObjectTagging"},
		{"GET", "/b/k", nil, "GetObject"},
		{"HEAD", "/b/k", nil, "HeadObject"},
		{"DELETE", "/b/k", nil, "DeleteObject"},
		{"GET", "/b/k?X-Amz-Signature=00&X-Amz-Credential=x", nil, "GetObject (presigned)"},
		{"GET", "/b/k?Signature=00&AWSAccessKeyId=x&Expires=1", nil, "GetObject (presigned v2)"},
		{"GET", "/b/k", http.Header{"Authorization": {"AWS key:sig"}}, "GetObject (v2)"},
		{"PATCH", "/b/k", nil, "PATCH object"},
		{"DELETE", "/", nil, "DELETE service"},
	} {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		maps.Copy(r.Header, tt.header)
		if _, got := s3Op(r); got != tt.want {
			t.Errorf("s3Op(%s %s %v) = %q, want %q", tt.method, tt.target, tt.header, got, tt.want)
		}
	}
}
