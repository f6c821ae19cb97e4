package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

// postForm sends a browser-style POST upload: the fields, then the file.
func postForm(t *testing.T, url string, fields map[string]string, data []byte) (int, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "upload.bin")
	fw.Write(data)
	mw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func exists(t *testing.T, st *storage.Storage, name string) bool {
	t.Helper()
	ok, err := st.Exists(context.Background(), name)
	if err != nil {
		t.Fatalf("Exists(%q): %v", name, err)
	}
	return ok
}

// TestPostPolicy proves that the real server enforces a presigned POST
// policy: within the limits it stores the file (204); beyond the size
// range it answers 400 EntityTooLarge; a key outside the prefix or another
// content type is 403.
func TestPostPolicy(t *testing.T) {
	st := newStorage(t, storage.Options{})
	ctx := context.Background()
	pol, err := st.PresignPost(ctx, "up/abc/a.txt", &storage.PostOptions{
		KeyPrefix: "up/abc/", MaxSize: 1024, Expire: time.Minute,
		Params: storage.ObjectParameters{ContentType: "text/plain", Metadata: map[string]string{"owner": "42"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	with := func(k, v string) map[string]string {
		f := make(map[string]string, len(pol.Fields))
		for fk, fv := range pol.Fields {
			f[fk] = fv
		}
		f[k] = v
		return f
	}
	small := bytes.Repeat([]byte("s"), 1000)
	tests := []struct {
		name   string
		fields map[string]string
		data   []byte
		status int
		errTxt string
		stored string // the name that must (or, on failure, must not) exist
	}{
		{"within limits", pol.Fields, small, 204, "", "up/abc/a.txt"},
		{"another name in the prefix", with("key", pol.Fields["key"][:len(pol.Fields["key"])-5]+"b.txt"), small, 204, "", "up/abc/b.txt"},
		{"too large", with("key", strings.Replace(pol.Fields["key"], "a.txt", "big.txt", 1)), make([]byte, 1025), 400, "EntityTooLarge", "up/abc/big.txt"},
		{"key outside the prefix", with("key", strings.Replace(pol.Fields["key"], "up/abc/", "up/other/", 1)), small, 403, "AccessDenied", "up/other/a.txt"},
		{"other content type", with("Content-Type", "text/html"), small, 403, "", ""},
		{"tampered policy signature", with("X-Amz-Signature", strings.Repeat("0", 64)), small, 403, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postForm(t, pol.URL, tt.fields, tt.data)
			if status != tt.status || !strings.Contains(body, tt.errTxt) {
				t.Errorf("POST = %d %q, want %d %s", status, body, tt.status, tt.errTxt)
			}
			if tt.stored != "" && exists(t, st, tt.stored) != (tt.status == 204) {
				t.Errorf("Exists(%q) = %v after %d", tt.stored, !(tt.status == 204), status)
			}
		})
	}
	info, err := st.Stat(ctx, "up/abc/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	if info.ContentType != "text/plain" || info.Size != 1000 || info.Metadata["owner"] != "42" {
		t.Errorf("Stat = %q %d %v, want text/plain 1000 owner=42", info.ContentType, info.Size, info.Metadata)
	}
}

// TestPostPresignPut: a presigned PUT with a signed length and type is
// accepted as signed and refused otherwise; If-None-Match refuses a
// second PUT to the same name.
func TestPostPresignPut(t *testing.T) {
	st := newStorage(t, storage.Options{})
	ctx := context.Background()
	put, err := st.PresignPut(ctx, "put/a.txt", &storage.PutURLOptions{ContentType: "text/plain", ContentLength: 10, IfNoneMatch: true})
	if err != nil {
		t.Fatal(err)
	}
	send := func(data []byte, header map[string]string) int {
		req, _ := http.NewRequestWithContext(ctx, put.Method, put.URL, bytes.NewReader(data))
		for k, v := range header {
			if k != "Content-Length" {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	other := map[string]string{}
	for k, v := range put.Header {
		other[k] = v
	}
	other["Content-Type"] = "text/html"
	if got := send(make([]byte, 11), put.Header); got != 403 {
		t.Errorf("PUT of 11 bytes = %d, want 403", got)
	}
	if got := send(make([]byte, 10), other); got != 403 {
		t.Errorf("PUT with another type = %d, want 403", got)
	}
	if exists(t, st, "put/a.txt") {
		t.Error("a refused PUT stored the file")
	}
	if got := send([]byte("0123456789"), put.Header); got != 200 {
		t.Errorf("PUT as signed = %d, want 200", got)
	}
	if got := send([]byte("9876543210"), put.Header); got != 412 {
		t.Errorf("second PUT = %d, want 412", got)
	}
}

// TestPostPolicyHandler goes through the handler: ask for a policy, post
// the file to S3 with it, and find it stored with the pinned type.
func TestPostPolicyHandler(t *testing.T) {
	st := newStorage(t, storage.Options{})
	h, err := handler.NewPolicyHandler(st, handler.PolicyOptions{MaxFileSize: 4096, AllowedTypes: []string{"image/*", "text/html"}, PUT: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ask := func(body string) (int, map[string]any) {
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	status, ans := ask(`{"filename": "My Cat.png", "content_type": "image/png", "size": 100}`)
	if status != 200 {
		t.Fatalf("policy = %d %v", status, ans)
	}
	fields := map[string]string{}
	for k, v := range ans["fields"].(map[string]any) {
		fields[k] = v.(string)
	}
	name := ans["name"].(string)
	if !strings.HasSuffix(name, "/My_Cat.png") || ans["put"] == nil {
		t.Errorf("policy answer %v: want a name ending in /My_Cat.png and a put", ans)
	}
	if code, body := postForm(t, ans["url"].(string), fields, make([]byte, 100)); code != 204 {
		t.Fatalf("POST to S3 = %d %s", code, body)
	}
	info, err := st.Stat(context.Background(), name)
	if err != nil || info.ContentType != "image/png" {
		t.Errorf("Stat(%q) = %q, %v; want image/png", name, info.ContentType, err)
	}
	if code, body := postForm(t, ans["url"].(string), fields, make([]byte, 4097)); code != 400 || !strings.Contains(body, "EntityTooLarge") {
		t.Errorf("POST beyond MaxFileSize = %d %s, want 400 EntityTooLarge", code, body)
	}
	// The key is exact: another name in the same directory is refused.
	sibling := map[string]string{}
	for k, v := range fields {
		sibling[k] = v
	}
	for _, other := range []string{"other.png", "../x.png"} {
		sibling["key"] = strings.TrimSuffix(fields["key"], "My_Cat.png") + other
		if code, body := postForm(t, ans["url"].(string), sibling, make([]byte, 100)); code/100 == 2 {
			t.Errorf("POST to the key %s = %d %s, want a refusal", sibling["key"], code, body)
		}
	}

	// An active type is pinned as an attachment.
	status, ans = ask(`{"filename": "page.html", "content_type": "text/html"}`)
	if status != 200 {
		t.Fatalf("policy = %d %v", status, ans)
	}
	fields = map[string]string{}
	for k, v := range ans["fields"].(map[string]any) {
		fields[k] = v.(string)
	}
	if fields["Content-Disposition"] != storage.Attachment("page.html") {
		t.Errorf("fields = %v, want an attachment disposition", fields)
	}
	if code, body := postForm(t, ans["url"].(string), fields, []byte("<html></html>")); code != 204 {
		t.Fatalf("POST to S3 = %d %s", code, body)
	}
	delete(fields, "Content-Disposition")
	if code, _ := postForm(t, ans["url"].(string), fields, []byte("<html></html>")); code != 403 {
		t.Errorf("POST without the disposition = %d, want 403", code)
	}

	for _, tt := range []struct {
		body   string
		status int
	}{
		{`{"filename": "a.exe", "content_type": "application/x-msdownload"}`, 415},
		{`{"filename": "a.png", "size": 5000}`, 413},
		{`{"filename": "///"}`, 400},
		{`{"nope": 1}`, 400},
	} {
		if status, ans := ask(tt.body); status != tt.status {
			t.Errorf("policy(%s) = %d %v, want %d", tt.body, status, ans, tt.status)
		}
	}
}

// TestPostPolicyConfirm: once the browser has posted a file with a policy,
// the Confirm endpoint checks it on the real server: a page posted as
// image/png is deleted (415); a PNG is kept and answered.
func TestPostPolicyConfirm(t *testing.T) {
	st := newStorage(t, storage.Options{})
	h, err := handler.NewPolicyHandler(st, handler.PolicyOptions{MaxFileSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/policy", h)
	mux.Handle("/confirm", h.Confirm())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	post := func(path string, body any) (int, map[string]any) {
		b, _ := json.Marshal(body)
		resp, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 50)...)
	for _, tc := range []struct {
		data   []byte
		status int
	}{{[]byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), 415}, {png, 200}} {
		status, ans := post("/policy", map[string]string{"filename": "cat.png", "content_type": "image/png"})
		if status != 200 {
			t.Fatalf("policy = %d %v", status, ans)
		}
		fields := map[string]string{}
		for k, v := range ans["fields"].(map[string]any) {
			fields[k] = v.(string)
		}
		if code, body := postForm(t, ans["url"].(string), fields, tc.data); code != 204 {
			t.Fatalf("POST to S3 = %d %s", code, body)
		}
		name := ans["name"].(string)
		status, got := post("/confirm", map[string]any{"name": name, "token": ans["token"]})
		if status != tc.status {
			t.Errorf("confirm = %d %v, want %d", status, got, tc.status)
		}
		if exists(t, st, name) != (tc.status == 200) {
			t.Errorf("after confirm %d, %s exists: %v", status, name, !(tc.status == 200))
		}
	}
}
