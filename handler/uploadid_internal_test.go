package handler

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestUploadIDAge: an uploadId older than MaxUploadAge is refused, except
// to abort; a recent one opens to S3's id, dots and all.
func TestUploadIDAge(t *testing.T) {
	opts := UppyOptions{Secret: bytes.Repeat([]byte("s"), 32), Principal: func(*http.Request) (string, error) { return "p", nil }, MaxUploadAge: time.Hour}
	if err := opts.validate(); err != nil {
		t.Fatal(err)
	}
	h := &UppyHandler{opts: opts}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	id := h.uploadID("p", "k", "s3.id.with.dots", start)
	for _, tc := range []struct {
		now     time.Time
		expired bool
		err     error
	}{
		{start.Add(59 * time.Minute), false, nil},
		{start.Add(61 * time.Minute), false, errUploadExpired},
		{start.Add(61 * time.Minute), true, nil},
		{start.Add(-time.Hour), false, nil}, // a clock behind: not expired
	} {
		got, err := h.openUploadID("p", "k", id, tc.now, tc.expired)
		if err != tc.err || err == nil && got != "s3.id.with.dots" {
			t.Errorf("openUploadID at %v (expired ok: %v) = %q, %v; want %v", tc.now.Sub(start), tc.expired, got, err, tc.err)
		}
	}
	for _, bad := range []string{"", "s3k1.", "s3k1." + strings.Repeat("A", 22) + "..x", id[:len(id)-1], strings.Replace(id, "s3k1.", "s3k2.", 1)} {
		if _, err := h.openUploadID("p", "k", bad, start, false); err != errForeignUpload {
			t.Errorf("openUploadID(%q) = %v, want errForeignUpload", bad, err)
		}
	}
}

// TestPolicyTokenAge: a confirmation token outlives its policy by Expire,
// no more.
func TestPolicyTokenAge(t *testing.T) {
	opts := PolicyOptions{Expire: 10 * time.Minute}
	if err := opts.validate(); err != nil {
		t.Fatal(err)
	}
	h := &PolicyHandler{opts: opts}
	expires := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := h.token("a/b.png", expires)
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{{-time.Hour, true}, {9 * time.Minute, true}, {11 * time.Minute, false}} {
		if got := h.validToken("a/b.png", tok, expires.Add(tc.at)); got != tc.want {
			t.Errorf("validToken %v after the policy expired = %v, want %v", tc.at, got, tc.want)
		}
	}
	if h.validToken("a/c.png", tok, expires) {
		t.Error("a token is valid for another name")
	}
}

// TestTokenFormats: the uploadIds and confirmation tokens keep their
// wire format across the shared stamper (tokens in flight during a
// deploy stay valid): each is recomputed here from its documented
// formula, HMAC-SHA256 of NUL-terminated fields.
func TestTokenFormats(t *testing.T) {
	secret := bytes.Repeat([]byte("k"), 32)
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	ts := strconv.FormatInt(at.Unix(), 36)
	formula := func(fields ...string) string {
		m := hmac.New(sha256.New, secret)
		for _, f := range fields {
			m.Write([]byte(f + "\x00"))
		}
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
	}
	u := &UppyHandler{opts: UppyOptions{Secret: secret}}
	want := "s3k1." + formula("s3kit uppy upload v1", "p", "k", "id.1", ts) + "." + ts + ".id.1"
	if got := u.uploadID("p", "k", "id.1", at); got != want {
		t.Errorf("uploadID = %q, want %q", got, want)
	}
	p := &PolicyHandler{opts: PolicyOptions{Secret: secret}}
	want = formula("s3kit policy confirm v1", "a/b.png", ts) + "." + ts
	if got := p.token("a/b.png", at); got != want {
		t.Errorf("token = %q, want %q", got, want)
	}
}
