package handler

import (
	"bytes"
	"net/http"
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
