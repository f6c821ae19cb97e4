package handler_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

// fakePresigner records the options of each policy.
type fakePresigner struct {
	name string
	opts *storage.PostOptions
	put  *storage.PutURLOptions
	err  error
}

func (f *fakePresigner) PresignPost(_ context.Context, name string, opts *storage.PostOptions) (*storage.PostPolicy, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.name, f.opts = name, opts
	return &storage.PostPolicy{URL: "https://s3.example/bucket", Fields: map[string]string{"key": name}, Name: name}, nil
}

func (f *fakePresigner) PresignPut(_ context.Context, name string, opts *storage.PutURLOptions) (*storage.PresignedPut, error) {
	f.put = opts
	return &storage.PresignedPut{URL: "https://s3.example/bucket/" + name, Method: "PUT"}, nil
}

func TestPolicyHandler(t *testing.T) {
	fixed := func(_ *http.Request, name string) (string, error) { return "d/x/" + name, nil }
	tests := []struct {
		name        string
		opts        handler.PolicyOptions
		method      string
		ctype       string
		body        string
		err         error
		status      int
		code        string
		contentType string
		disposition string
		put         bool
	}{
		{name: "png", body: `{"filename": "My Cat.png", "content_type": "image/png", "size": 10}`, status: 200, contentType: "image/png"},
		{name: "type from extension", body: `{"filename": "a.pdf"}`, status: 200, contentType: "application/pdf"},
		{name: "unknown extension", body: `{"filename": "a.weird"}`, status: 200, contentType: "application/octet-stream"},
		{name: "html as attachment", body: `{"filename": "a.html", "content_type": "text/html"}`, status: 200, contentType: "text/html", disposition: storage.Attachment("a.html")},
		{name: "svg inline", opts: handler.PolicyOptions{InlineTypes: []string{"image/svg+xml"}}, body: `{"filename": "a.svg", "content_type": "image/svg+xml"}`, status: 200, contentType: "image/svg+xml"},
		{name: "put", opts: handler.PolicyOptions{PUT: true}, body: `{"filename": "a.png", "content_type": "image/png", "size": 10}`, status: 200, contentType: "image/png", put: true},
		{name: "put needs a size", opts: handler.PolicyOptions{PUT: true}, body: `{"filename": "a.png", "content_type": "image/png"}`, status: 200, contentType: "image/png"},
		{name: "GET", method: "GET", status: 405, code: handler.CodeMethodNotAllowed},
		{name: "form body", ctype: "application/x-www-form-urlencoded", body: "filename=a", status: 415, code: handler.CodeUnsupportedMediaType},
		{name: "bad JSON", body: `{"filename": `, status: 400, code: handler.CodeMalformed},
		{name: "unknown field", body: `{"filename": "a.png", "key": "../x"}`, status: 400, code: handler.CodeMalformed},
		{name: "two objects", body: `{"filename": "a.png"} {}`, status: 400, code: handler.CodeMalformed},
		{name: "huge body", body: `{"filename": "` + strings.Repeat("a", 20000) + `"}`, status: 413, code: handler.CodeRequestTooLarge},
		{name: "no filename", body: `{"size": 3}`, status: 400, code: handler.CodeNoFile},
		{name: "bad filename", body: `{"filename": "\\\\"}`, status: 400, code: handler.CodeInvalidFilename},
		{name: "bad content type", body: `{"filename": "a", "content_type": "///"}`, status: 400, code: handler.CodeMalformed},
		{name: "too large", opts: handler.PolicyOptions{MaxFileSize: 100}, body: `{"filename": "a.png", "size": 101}`, status: 413, code: handler.CodeFileTooLarge},
		{name: "too small", opts: handler.PolicyOptions{MinFileSize: 100, MaxFileSize: 200}, body: `{"filename": "a.png", "size": 99}`, status: 400, code: handler.CodeFileTooSmall},
		{name: "negative size", body: `{"filename": "a.png", "size": -1}`, status: 400, code: handler.CodeMalformed},
		{name: "type not allowed", opts: handler.PolicyOptions{AllowedTypes: []string{"image/*"}}, body: `{"filename": "a.pdf"}`, status: 415, code: handler.CodeTypeNotAllowed},
		{name: "forbidden", opts: handler.PolicyOptions{Authorize: func(*http.Request) error { return handler.ErrForbidden }}, body: `{"filename": "a.png"}`, status: 403, code: handler.CodeForbidden},
		{name: "presigner fails", body: `{"filename": "a.png"}`, err: errors.New("no credentials: secret"), status: 500, code: handler.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakePresigner{err: tt.err}
			tt.opts.Key = fixed
			h, err := handler.NewPolicyHandler(p, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			method, ctype := http.MethodPost, "application/json"
			if tt.method != "" {
				method = tt.method
			}
			if tt.ctype != "" {
				ctype = tt.ctype
			}
			r := httptest.NewRequest(method, "/policy", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", ctype)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var a struct {
				URL   string          `json:"url"`
				Put   json.RawMessage `json:"put"`
				Error struct{ Code string }
			}
			json.Unmarshal(w.Body.Bytes(), &a)
			if w.Code != tt.status || a.Error.Code != tt.code {
				t.Fatalf("ServeHTTP = %d %s, want %d %q", w.Code, w.Body, tt.status, tt.code)
			}
			if strings.Contains(w.Body.String(), "secret") {
				t.Errorf("answer %s leaks the internal error", w.Body)
			}
			if w.Code != 200 {
				return
			}
			o := p.opts
			wantMax := tt.opts.MaxFileSize
			if wantMax == 0 {
				wantMax = handler.DefaultMaxFileSize
			}
			if o.Params.ContentType != tt.contentType || o.Params.ContentDisposition != tt.disposition || o.KeyPrefix != "" ||
				o.MaxSize != wantMax || o.MinSize != tt.opts.MinFileSize {
				t.Errorf("PresignPost(%q) options = %+v, want type %q disposition %q, the exact key, size [%d, %d]",
					p.name, *o, tt.contentType, tt.disposition, tt.opts.MinFileSize, wantMax)
			}
			if o.Expire != handler.DefaultPolicyExpire {
				t.Errorf("Expire = %v, want %v", o.Expire, handler.DefaultPolicyExpire)
			}
			if (len(a.Put) > 0) != tt.put {
				t.Errorf("answer put = %s, want put %v", a.Put, tt.put)
			}
			if tt.put && (p.put.ContentLength != 10 || !p.put.IfNoneMatch || p.put.ContentType != tt.contentType) {
				t.Errorf("PresignPut options = %+v", *p.put)
			}
		})
	}
}

func TestRandomDatedKey(t *testing.T) {
	a, _ := handler.RandomDatedKey(nil, "a.png")
	b, _ := handler.RandomDatedKey(nil, "a.png")
	prefix := time.Now().UTC().Format("2006/01/02/")
	if a == b || !strings.HasPrefix(a, prefix) || !strings.HasSuffix(a, "/a.png") || len(a) != len(prefix)+16+len("/a.png") {
		t.Errorf("RandomDatedKey = %q, %q; want distinct %s<16 chars>/a.png", a, b, prefix)
	}
}

func TestNewPolicyHandlerErrors(t *testing.T) {
	for _, opts := range []handler.PolicyOptions{
		{MaxFileSize: -1}, {MinFileSize: 10, MaxFileSize: 5}, {Expire: time.Millisecond}, {Expire: 8 * 24 * time.Hour},
		{AllowedTypes: []string{"nope"}},
	} {
		if _, err := handler.NewPolicyHandler(&fakePresigner{}, opts); err == nil {
			t.Errorf("NewPolicyHandler(%+v) = nil error", opts)
		}
	}
	if _, err := handler.NewPolicyHandler(nil, handler.PolicyOptions{}); err == nil {
		t.Error("NewPolicyHandler(nil) = nil error")
	}
}

// TestPolicySHA256: a client's sha256 (RFC 9530 or hex) is pinned in the
// POST policy and the PUT; a malformed one is 400 invalid_digest.
func TestPolicySHA256(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	for _, c := range []struct {
		value  string
		status int
	}{
		{"sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":", 200},
		{hex.EncodeToString(sum[:]), 200},
		{"sha-512=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":", 400},
		{"abc", 400},
	} {
		p := &fakePresigner{}
		h, err := handler.NewPolicyHandler(p, handler.PolicyOptions{PUT: true})
		if err != nil {
			t.Fatal(err)
		}
		body := `{"filename": "a.png", "content_type": "image/png", "size": 1, "sha256": "` + c.value + `"}`
		r := httptest.NewRequest(http.MethodPost, "/policy", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.status {
			t.Fatalf("sha256 %q: %d %s, want %d", c.value, w.Code, w.Body, c.status)
		}
		if c.status != 200 {
			if !strings.Contains(w.Body.String(), handler.CodeInvalidDigest) {
				t.Errorf("sha256 %q: %s, want invalid_digest", c.value, w.Body)
			}
			continue
		}
		if !bytes.Equal(p.opts.ChecksumSHA256, sum[:]) || p.put == nil || !bytes.Equal(p.put.ChecksumSHA256, sum[:]) {
			t.Errorf("sha256 %q: POST pinned %x, PUT %+v; want %x in both", c.value, p.opts.ChecksumSHA256, p.put, sum)
		}
	}
}
