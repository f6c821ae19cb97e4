package handler_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/handler"
)

// TestNotDeletedUpload: when the files of a refused upload (a Content-Digest
// that does not match, an OnSaved refusal) cannot be deleted, the answer
// is a 500 not_deleted that says the file may remain, not the refusal as
// if nothing stayed. (The old code answered 400 digest_mismatch and 403.)
func TestNotDeletedUpload(t *testing.T) {
	two, ctype := form(filepart("f", "a.bin", "one"), filepart("g", "b.bin", "two"))
	wrong := sha256.Sum256(nil)
	for _, tc := range []struct {
		name    string
		opts    handler.Options
		request func() *http.Request
	}{
		{"digest mismatch", handler.Options{}, func() *http.Request {
			r := newRequest(two, ctype)
			r.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(wrong[:])+":")
			return r
		}},
		{"OnSaved refuses", handler.Options{OnSaved: func(*http.Request, *handler.Result) error { return handler.ErrForbidden }},
			func() *http.Request { return newRequest(two, ctype) }},
	} {
		for _, mode := range modes {
			t.Run(mode.String()+"/"+tc.name, func(t *testing.T) {
				m := newMemSaver()
				m.del = errors.New("S3 is down")
				tc.opts.Mode = mode
				h, err := handler.NewUploadHandler(m, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				w, a := serve(t, h, tc.request())
				if len(m.names()) == 0 {
					t.Fatal("nothing was stored: the test does not test the rollback")
				}
				if w.Code != 500 || a.Error.Code != handler.CodeNotDeleted || !strings.Contains(a.Error.Message, "may remain") {
					t.Errorf("answer %d %+v, want 500 %s saying the file may remain", w.Code, a.Error, handler.CodeNotDeleted)
				}
			})
		}
	}
}

// TestNotDeletedConfirm: a confirmation that refuses a file and cannot
// delete it answers 500 not_deleted, not the refusal. (The old code
// answered 415.)
func TestNotDeletedConfirm(t *testing.T) {
	f := &faultyDirect{fakeDirect: newFakeDirect(""), deleteErr: errors.New("S3 is down")}
	h, err := handler.NewPolicyHandler(f, handler.PolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	name, token, fields := policyFor(t, h, `{"filename": "a.png", "content_type": "image/png"}`)
	posted(f.fakeDirect, name, fields, htmlBytes)
	w, a := serve(t, h.Confirm(), confirmReq(name, token))
	if w.Code != 500 || a.Error.Code != handler.CodeNotDeleted || !strings.Contains(a.Error.Message, "may remain") {
		t.Errorf("confirm = %d %+v, want 500 %s", w.Code, a.Error, handler.CodeNotDeleted)
	}

	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{}), user: "alice"}
	c, parts := startUpload(t, b, f.fakeDirect, "cat.png", "image/png", htmlBytes)
	status, raw := b.complete(c, parts)
	if status != 500 || errorOf(t, raw) != handler.CodeNotDeleted {
		t.Errorf("complete = %d %s, want 500 %s", status, raw, handler.CodeNotDeleted)
	}
}
