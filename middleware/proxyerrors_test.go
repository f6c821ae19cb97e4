package middleware_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/s3kit/s3kit/middleware"
	"github.com/s3kit/s3kit/storage"
)

// TestProxyErrorHeaders: the proxy's error answers (400, 403, 404, 405,
// 412, 416, 500) carry nosniff and the sandbox like its files, as the
// package documentation says of every answer. (The old code sent
// nosniff alone on them.)
func TestProxyErrorHeaders(t *testing.T) {
	for _, tc := range []struct {
		name, method, path string
		status             int
		err                error
		objStatus          int
	}{
		{"bad name", "GET", "/media/a/../../b", 400, nil, 200},
		{"forbidden", "GET", "/media/a.txt", 403, fs.ErrPermission, 0},
		{"missing", "GET", "/media/a.txt", 404, fs.ErrNotExist, 0},
		{"method", "POST", "/media/a.txt", 405, nil, 200},
		{"precondition", "GET", "/media/a.txt", 412, nil, 412},
		{"range", "GET", "/media/a.txt", 416, nil, 416},
		{"internal", "GET", "/media/a.txt", 500, errors.New("S3 is down"), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &fakeGetter{answer: func(*storage.GetOptions) (*storage.Object, error) {
				if tc.err != nil {
					return nil, tc.err
				}
				return &storage.Object{Status: tc.objStatus, ContentLength: -1}, nil
			}}
			ts := newProxy(t, g, middleware.ProxyOptions{})
			resp, _ := get(t, ts, tc.method, tc.path)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s = %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
			}
			if resp.Header.Get("Content-Security-Policy") != "sandbox" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%d: CSP %q, X-Content-Type-Options %q; want sandbox and nosniff", resp.StatusCode,
					resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Content-Type-Options"))
			}
		})
	}
}
