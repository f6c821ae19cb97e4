package s3local_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/s3local"
)

func TestCORS(t *testing.T) {
	preflight := func(origin, method string) map[string]string {
		h := map[string]string{"Access-Control-Request-Method": method, "Access-Control-Request-Headers": "content-type,x-amz-date"}
		if origin != "" {
			h["Origin"] = origin
		}
		return h
	}
	tests := []struct {
		name    string
		origins []string
		origin  string
		method  string
		status  int
	}{
		{"default: localhost", nil, "http://localhost:8000", "PUT", 200},
		{"default: 127.0.0.1", nil, "http://127.0.0.1:3000", "POST", 200},
		{"default: [::1]", nil, "https://[::1]:8443", "GET", 200},
		{"default: a .localhost name", nil, "http://app.localhost:8000", "DELETE", 200},
		{"default: another site", nil, "https://evil.example", "PUT", 403},
		{"default: a site named like localhost", nil, "http://localhost.example.com", "PUT", 403},
		{"default: a method S3 does not have", nil, "http://localhost:8000", "PATCH", 403},
		{"no Origin", nil, "", "PUT", 400},
		{"exact list", []string{"https://app.example.com"}, "https://app.example.com", "PUT", 200},
		{"exact list, other port", []string{"https://app.example.com"}, "https://app.example.com:444", "PUT", 403},
		{"exact list, loopback not implied", []string{"https://app.example.com"}, "http://localhost:8000", "PUT", 403},
		{"any port", []string{"http://dev.test:*"}, "http://dev.test:5173", "PUT", 200},
		{"any origin", []string{"*"}, "https://anything.example", "POST", 200},
		{"none", []string{}, "http://localhost:8000", "PUT", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, s3local.Options{AllowedOrigins: tt.origins, Credentials: []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}})
			resp, body := do(t, http.MethodOptions, f.objectURL("k"), nil, preflight(tt.origin, tt.method))
			if resp.StatusCode != tt.status {
				t.Fatalf("OPTIONS from %q for %s = %d %s, want %d", tt.origin, tt.method, resp.StatusCode, body, tt.status)
			}
			h := resp.Header
			if tt.status == 200 && (h.Get("Access-Control-Allow-Origin") != tt.origin || !strings.Contains(h.Get("Access-Control-Allow-Methods"), tt.method) ||
				h.Get("Access-Control-Allow-Headers") != "content-type,x-amz-date" || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "ETag")) {
				t.Errorf("preflight headers = %v", h)
			}
			if tt.status != 200 && h.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("a refused preflight allows origin %q", h.Get("Access-Control-Allow-Origin"))
			}
		})
	}
	t.Run("actual request", func(t *testing.T) {
		f := start(t, s3local.Options{})
		put(t, f.client(t), "k", []byte("v"))
		for origin, allowed := range map[string]bool{"http://localhost:8000": true, "https://evil.example": false} {
			resp, _ := do(t, http.MethodGet, f.objectURL("k"), nil, map[string]string{"Origin": origin})
			if got := resp.Header.Get("Access-Control-Allow-Origin"); (got == origin) != allowed || resp.StatusCode != 200 {
				t.Errorf("GET from %s: %d, Access-Control-Allow-Origin %q, want allowed %v", origin, resp.StatusCode, got, allowed)
			}
		}
	})
}

// TestAnonymousAccess: with credentials configured, unsigned requests may
// do what the canned ACLs allow, and nothing else.
func TestAnonymousAccess(t *testing.T) {
	ctx := context.Background()
	f := start(t, s3local.Options{Credentials: []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}})
	c := f.client(t)
	for _, b := range []struct {
		name string
		acl  types.BucketCannedACL
	}{{"readable", types.BucketCannedACLPublicRead}, {"writable", types.BucketCannedACLPublicReadWrite}} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b.name), ACL: b.acl}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("public.txt"), Body: strings.NewReader("p"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "private.txt", []byte("x"))
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/bucket/public.txt", 200},
		{"HEAD", "/bucket/public.txt", 200},
		{"GET", "/bucket/public.txt?tagging", 403}, // READ is GetObject, not GetObjectTagging
		{"GET", "/bucket/private.txt", 403},
		{"GET", "/bucket/missing.txt", 403}, // a private bucket does not tell
		{"GET", "/bucket?list-type=2", 403},
		{"PUT", "/bucket/new.txt", 403},
		{"DELETE", "/bucket/public.txt", 403},
		{"GET", "/readable?list-type=2", 200},
		{"GET", "/readable/missing.txt", 404}, // a listable bucket does
		{"PUT", "/readable/new.txt", 403},
		{"PUT", "/writable/new.txt", 200},
		{"PUT", "/writable/new.txt?tagging", 403}, // WRITE is PutObject and DeleteObject, not their tags
		{"DELETE", "/writable/new.txt?tagging", 403},
		{"DELETE", "/writable/new.txt", 204},
		{"PUT", "/other-bucket", 403},
		{"DELETE", "/bucket", 403},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var body []byte
			if tt.method == "PUT" {
				body = []byte("anon")
			}
			if resp, b := do(t, tt.method, f.ts.URL+tt.path, body, nil); resp.StatusCode != tt.status {
				t.Errorf("anonymous %s %s = %d %s, want %d", tt.method, tt.path, resp.StatusCode, b, tt.status)
			}
		})
	}
	if o, ok := f.srv.Object(testBucket, "public.txt"); !ok || o.ACL != "public-read" {
		t.Errorf("public.txt = %+v, %v; want it kept, ACL public-read", o.ObjectInfo, ok)
	}
}

func TestListen(t *testing.T) {
	srv, err := s3local.Start(s3local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q, want http://127.0.0.1:PORT", srv.URL())
	}
	srv.CreateBucket(testBucket)
	put(t, newClient(srv.URL()), "k", []byte("v"))
	if err := srv.Listen("127.0.0.1:0"); err == nil {
		t.Errorf("Listen on a listening server = nil error")
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if _, err := http.Get(srv.URL() + "/" + testBucket + "/k"); err == nil {
		t.Errorf("GET after Close succeeded")
	}
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0", "[::]:0", "nonsense"} {
		if err := s3local.New(s3local.Options{}).Listen(addr); err == nil {
			t.Errorf("Listen(%q) = nil, want a refusal", addr)
		}
	}
	s := s3local.New(s3local.Options{})
	if err := s.Listen("localhost:0"); err != nil {
		t.Errorf("Listen(localhost:0) = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

func TestErrorIs(t *testing.T) {
	srv := s3local.New(s3local.Options{})
	if err := srv.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"bucket exists", srv.CreateBucket(testBucket), s3local.ErrBucketExists},
		{"no such bucket", func() error { _, err := srv.Objects("nope"); return err }(), s3local.ErrNoSuchBucket},
	} {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: errors.Is(%v, %v) = false", tt.name, tt.err, tt.want)
		}
	}
	if errors.Is(srv.CreateBucket(testBucket), s3local.ErrNoSuchKey) {
		t.Errorf("errors.Is(BucketAlreadyOwnedByYou, ErrNoSuchKey) = true")
	}
}
