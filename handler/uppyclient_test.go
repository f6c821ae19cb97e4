package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/handler"
)

// testSecret keys the uploadIds of the tests.
var testSecret = bytes.Repeat([]byte("k"), 32)

// cookiePrincipal is the principal hook of the tests: the "user" cookie.
func cookiePrincipal(r *http.Request) (string, error) {
	c, err := r.Cookie("user")
	if err != nil {
		return "", handler.ErrUnauthorized
	}
	return c.Value, nil
}

func newUppy(t *testing.T, f handler.DirectStore, opts handler.UppyOptions) http.Handler {
	t.Helper()
	if opts.Principal == nil {
		opts.Principal = cookiePrincipal
	}
	if opts.Secret == nil {
		opts.Secret = testSecret
	}
	h, err := handler.NewUppyHandler(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/s3/", http.StripPrefix("/s3", h))
	return mux
}

// browser replays what @uppy/aws-s3 6.1.0 sends in Companion mode
// (s3-client/CompanionS3.ts), from a page of site.example with the
// user's cookie: fetch() of same-origin URLs, JSON bodies with
// content-type application/json, no other header.
type browser struct {
	t    *testing.T
	h    http.Handler
	user string
	hdr  map[string]string // replaces the browser's Origin and Sec-Fetch-Site
	ctx  context.Context   // the requests' context, when set
}

// call makes one request and returns its status and JSON answer.
func (b *browser) call(method, target string, body any) (int, json.RawMessage) {
	b.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	} else {
		rd = bytes.NewReader(nil)
	}
	r := httptest.NewRequest(method, "http://site.example"+target, rd)
	if b.ctx != nil {
		r = r.WithContext(b.ctx)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if method != http.MethodGet {
		r.Header.Set("Origin", "http://site.example")
	}
	for k, v := range b.hdr {
		r.Header.Set(k, v)
	}
	if b.user != "" {
		r.AddCookie(&http.Cookie{Name: "user", Value: b.user})
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		b.t.Errorf("%s %s: Cache-Control %q, want no-store", method, target, cc)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		b.t.Errorf("%s %s: Content-Type %q, want JSON", method, target, ct)
	}
	return w.Code, json.RawMessage(w.Body.Bytes())
}

// must decodes a 200 answer into v.
func (b *browser) must(status int, raw json.RawMessage, v any) {
	b.t.Helper()
	if status != http.StatusOK {
		b.t.Fatalf("answer %d %s, want 200", status, raw)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		b.t.Fatalf("answer %s: %v", raw, err)
	}
}

type created struct {
	Key      string `json:"key"`
	UploadID string `json:"uploadId"`
	Bucket   string `json:"bucket"`
}

// create is createMultipartUpload: JSON.stringify({filename, metadata,
// type}), metadata values not all strings.
func (b *browser) create(filename, ctype string) (int, json.RawMessage) {
	return b.call("POST", "/s3/multipart", map[string]any{
		"filename": filename,
		"metadata": map[string]any{"name": filename, "type": ctype, "relativePath": nil, "size": 3},
		"type":     ctype,
	})
}

// partPath is uploadPart's path: the uploadId through
// encodeURIComponent, the key through URLSearchParams.
func partPath(uploadID, key string, n int) string {
	return "/s3/multipart/" + encodeURIComponent(uploadID) + "/" + strconv.Itoa(n) + "?" + url.Values{"key": {key}}.Encode()
}

func uploadPath(uploadID, key, suffix string) string {
	return "/s3/multipart/" + encodeURIComponent(uploadID) + suffix + "?" + url.Values{"key": {key}}.Encode()
}

// signPart asks for part n's URL.
func (b *browser) signPart(c created, n int) string {
	var a struct {
		URL     string `json:"url"`
		Expires int    `json:"expires"`
	}
	status, raw := b.call("GET", partPath(c.UploadID, c.Key, n), nil)
	b.must(status, raw, &a)
	if a.URL == "" || a.Expires <= 0 {
		b.t.Fatalf("signPart = %s", raw)
	}
	return a.URL
}

// upart is a part as Uppy names it for completion.
type upart struct {
	PartNumber int    `json:"PartNumber"`
	ETag       string `json:"ETag"`
}

// complete is completeMultipartUpload.
func (b *browser) complete(c created, parts []upart) (int, json.RawMessage) {
	return b.call("POST", uploadPath(c.UploadID, c.Key, "/complete"), map[string]any{"parts": parts})
}

func (b *browser) listParts(c created) (int, json.RawMessage) {
	return b.call("GET", uploadPath(c.UploadID, c.Key, ""), nil)
}

func (b *browser) abort(c created) (int, json.RawMessage) {
	return b.call("DELETE", uploadPath(c.UploadID, c.Key, ""), nil)
}

// encodeURIComponent is JavaScript's: all but A-Z a-z 0-9 - _ . ! ~ * ' ( ).
func encodeURIComponent(s string) string {
	var sb strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			sb.WriteByte(c)
		} else {
			sb.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
		}
	}
	return sb.String()
}

// errorOf returns the code of an error answer, checking its shape:
// Companion's {"error": "message"} and a "code".
func errorOf(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	if err := json.Unmarshal(raw, &e); err != nil || e.Error == "" || e.Code == "" {
		t.Errorf("error answer %s is not {\"error\": \"...\", \"code\": \"...\"}", raw)
	}
	return e.Code
}
