package storage_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// TestGet: a range and the conditions go to S3 in one request, and S3's
// 206, 304, 412 and 416 come back as answers.
func TestGet(t *testing.T) {
	st, _ := memStorage(t, s3local.Options{}, storage.Options{})
	ctx := context.Background()
	const content = "0123456789abcdefghij"
	if _, err := st.Save(ctx, "a.txt", strings.NewReader(content), nil); err != nil {
		t.Fatal(err)
	}
	whole, err := st.Get(ctx, "a.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	whole.Body.Close()
	etag, modified := whole.ETag, whole.LastModified
	if whole.Status != 200 || whole.ContentLength != int64(len(content)) || etag == "" || modified.IsZero() || !strings.HasPrefix(whole.ContentType, "text/plain") {
		t.Fatalf("Get = %+v, want 200 with the length, an ETag, Last-Modified and the type", whole)
	}
	for _, tc := range []struct {
		name   string
		opts   storage.GetOptions
		status int
		body   string
		cr     string
	}{
		{"range", storage.GetOptions{Range: "bytes=2-5"}, 206, "2345", "bytes 2-5/20"},
		{"suffix range", storage.GetOptions{Range: "bytes=-3"}, 206, "hij", "bytes 17-19/20"},
		{"unsatisfiable", storage.GetOptions{Range: "bytes=50-"}, 416, "", ""},
		{"not modified", storage.GetOptions{IfNoneMatch: etag}, 304, "", ""},
		{"modified since", storage.GetOptions{IfModifiedSince: modified.Add(-time.Hour)}, 200, content, ""},
		{"not modified since", storage.GetOptions{IfModifiedSince: modified.Add(time.Hour)}, 304, "", ""},
		{"if-match fails", storage.GetOptions{IfMatch: `"other"`}, 412, "", ""},
		{"head", storage.GetOptions{Head: true}, 200, "", ""},
		{"head, not modified", storage.GetOptions{Head: true, IfNoneMatch: etag}, 304, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj, err := st.Get(ctx, "a.txt", &tc.opts)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			var body string
			if obj.Body != nil {
				b, err := io.ReadAll(obj.Body)
				obj.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			}
			if obj.Status != tc.status || body != tc.body || (tc.cr != "" && obj.ContentRange != tc.cr) {
				t.Errorf("Get = %d %q (Content-Range %q), want %d %q (%q)", obj.Status, body, obj.ContentRange, tc.status, tc.body, tc.cr)
			}
			if obj.Status == 304 && obj.ETag != etag {
				t.Errorf("304 with ETag %q, want %q", obj.ETag, etag)
			}
			if (obj.Body != nil) != (tc.status/100 == 2 && !tc.opts.Head) {
				t.Errorf("Body set = %v for a %d to %+v", obj.Body != nil, obj.Status, tc.opts)
			}
		})
	}
	if _, err := st.Get(ctx, "missing.txt", nil); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Get(missing) error = %v, want ErrNotExist", err)
	}
	if _, err := st.Get(ctx, "../x", nil); !errors.Is(err, storage.ErrInvalidName) {
		t.Errorf("Get(../x) error = %v, want ErrInvalidName", err)
	}
	if _, err := st.Get(ctx, "a.txt", &storage.GetOptions{Range: "bytes=0-1,4-5"}); err == nil {
		t.Errorf("Get with two ranges succeeded")
	}
}
