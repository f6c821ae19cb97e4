package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// TestUppyPresignSignsTypeAndSize: in signRequest mode the type and size
// a request declares are signed, the type exactly as sent (Uppy sends
// file.type as it is), the size for a PutObject only, and the headers
// the client must send are answered; with neither, none.
func TestUppyPresignSignsTypeAndSize(t *testing.T) {
	f := newFakeDirect("")
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{AllowedTypes: []string{"image/*", "application/octet-stream"}}), user: "alice"}
	for _, tc := range []struct {
		req  map[string]any
		want map[string]string
	}{
		{map[string]any{"method": "PUT", "key": "a.png", "type": "image/png", "size": 4}, map[string]string{"Content-Type": "image/png", "Content-Length": "4"}},
		{map[string]any{"method": "PUT", "key": "a.png", "type": "image/PNG"}, map[string]string{"Content-Type": "image/PNG"}},
		{map[string]any{"method": "PUT", "key": "a.png", "size": 0}, map[string]string{"Content-Length": "0"}},
		{map[string]any{"method": "PUT", "key": "a.png"}, nil},
		{map[string]any{"method": "POST", "key": "a.bin", "type": "application/octet-stream", "size": 6 << 20}, map[string]string{"Content-Type": "application/octet-stream"}},
		{map[string]any{"method": "POST", "key": "a.bin"}, nil},
	} {
		var s struct {
			URL     string            `json:"url"`
			Headers map[string]string `json:"headers"`
		}
		status, raw := b.call("POST", "/s3/presign", tc.req)
		b.must(status, raw, &s)
		if !maps.Equal(s.Headers, tc.want) {
			t.Errorf("presign %v: headers %v, want %v", tc.req, s.Headers, tc.want)
		}
	}
	if status, raw := b.call("POST", "/s3/presign", map[string]any{"method": "PUT", "key": "a.png", "type": "image/png\u00e9"}); status != 400 {
		t.Errorf("presign of a type not in ASCII = %d %s, want 400", status, raw)
	}
}

// TestUppyPresignEnforcedByS3: through the handler, on an S3 server that
// checks signatures, a PutObject URL for a declared type and size refuses
// another type and another size, and takes the file as declared, which
// confirm then accepts.
func TestUppyPresignEnforcedByS3(t *testing.T) {
	srv := s3local.New(s3local.Options{Credentials: []s3local.Credential{{AccessKeyID: "AKID", SecretAccessKey: "secret"}}})
	srv.CreateBucket("media")
	ts := httptest.NewServer(srv)
	defer ts.Close()
	st, err := storage.New(context.Background(), storage.Options{BucketName: "media", EndpointURL: ts.URL, AddressingStyle: "path",
		AccessKey: "AKID", SecretKey: "secret", RegionName: "us-east-1", LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, h: newUppy(t, st, handler.UppyOptions{AllowedTypes: []string{"image/*"}}), user: "alice"}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 24)...)
	var s struct {
		URL     string            `json:"url"`
		Key     string            `json:"key"`
		Headers map[string]string `json:"headers"`
	}
	status, raw := b.call("POST", "/s3/presign", map[string]any{"method": "PUT", "key": "a.png", "type": "image/png", "size": len(png)})
	b.must(status, raw, &s)
	put := func(body []byte, ctype string) int {
		req, _ := http.NewRequest(http.MethodPut, s.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := put([]byte("<html><script>alert(1)</script>"), "text/html"); got != 403 {
		t.Errorf("PUT of a page as text/html with a URL signed for image/png = %d, want 403", got)
	}
	if got := put(append(png, make([]byte, 1<<20)...), "image/png"); got != 403 {
		t.Errorf("PUT of 1 MiB more than declared = %d, want 403", got)
	}
	if got := put(png, s.Headers["Content-Type"]); got != 200 {
		t.Fatalf("PUT as signed = %d, want 200", got)
	}
	status, raw = b.call("POST", "/s3/confirm", map[string]any{"key": s.Key})
	var file struct {
		Key string `json:"key"`
	}
	if json.Unmarshal(raw, &file); status != 200 || file.Key != s.Key {
		t.Errorf("confirm = %d %s, want the file accepted", status, raw)
	}
}
