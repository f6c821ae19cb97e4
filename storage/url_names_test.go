package storage_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/storage/storagetest"
)

// TestURLNameLikeSave: URL rejects exactly the names Save rejects (Key
// and Save share the cleaner), except directories and the empty name,
// which have URLs, and points the others at the same key.
func TestURLNameLikeSave(t *testing.T) {
	names := append(append([]string{}, storagetest.HostileNames...), storagetest.SafeNames...)
	for _, p := range storagetest.EquivalentNames {
		names = append(names, p[0])
	}
	names = append(names, strings.Repeat("x", storage.MaxKeyLen-len("loc/")), strings.Repeat("x", storage.MaxKeyLen-len("loc/")+1),
		"%2e%2e/x", "a/%2F/b", "//evil.com/x", "/\\evil.com")
	for _, loc := range []string{"", "loc"} {
		st := mustOffline(t, storage.Options{BucketName: "bucket", Location: loc, QuerystringAuth: storage.Bool(false), AddressingStyle: "path"})
		for _, name := range names {
			key, kerr := st.Key(name)
			if clean, err := storage.CleanName(name); kerr != nil && err == nil && (clean == "" || strings.HasSuffix(clean, "/")) && len(clean) < storage.MaxKeyLen-4 {
				key, kerr = strings.TrimPrefix(loc+"/", "/")+clean, nil // a directory
			}
			u, uerr := st.URL(context.Background(), name, nil)
			if (kerr == nil) != (uerr == nil) {
				t.Errorf("location %q: Key(%q) error %v but URL(%q) error %v", loc, name, kerr, name, uerr)
				continue
			}
			if uerr != nil {
				if !errors.Is(uerr, storage.ErrInvalidName) {
					t.Errorf("URL(%q) error = %v, want ErrInvalidName", name, uerr)
				}
				continue
			}
			p, err := url.Parse(u)
			if err != nil || p.Host != "127.0.0.1:1" || p.Path != "/bucket/"+key || p.RawQuery != "" {
				t.Errorf("URL(%q) = %q, want the object URL of key %q", name, u, key)
			}
		}
	}
}

// TestURLSlashes is the reference's test_storage_url_slashes: the empty
// name is the base URL, and trailing slashes are kept, for custom-domain,
// public and presigned URLs.
func TestURLSlashes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		opts storage.Options
		base string
	}{
		{storage.Options{CustomDomain: "example.com"}, "https://example.com/"},
		{storage.Options{CustomDomain: "example.com", Location: "media"}, "https://example.com/media/"},
		{storage.Options{QuerystringAuth: storage.Bool(false), AddressingStyle: "path"}, "http://127.0.0.1:1/bucket/"},
		{storage.Options{QuerystringAuth: storage.Bool(false), AddressingStyle: "path", Location: "media"}, "http://127.0.0.1:1/bucket/media/"},
	} {
		tc.opts.BucketName = "bucket"
		st := mustOffline(t, tc.opts)
		for name, want := range map[string]string{"": "", "path": "path", "path/": "path/", "path/1": "path/1", "path/1/": "path/1/"} {
			if got, err := st.URL(ctx, name, nil); err != nil || got != tc.base+want {
				t.Errorf("%+v: URL(%q) = %q, %v; want %q", tc.opts, name, got, err, tc.base+want)
			}
		}
	}
	// Presigned: the key "media/" is signed, as boto3 signs it; a storage
	// without location has no key for "": boto3 refuses it too.
	st := mustOffline(t, storage.Options{BucketName: "bucket", AddressingStyle: "path", Location: "media", AccessKey: "AKID", SecretKey: "SECRET"})
	for name, path := range map[string]string{"": "/bucket/media/", "dir/": "/bucket/media/dir/"} {
		u, err := st.URL(ctx, name, nil)
		p, perr := url.Parse(u)
		if err != nil || perr != nil || p.Path != path || p.Query().Get("X-Amz-Signature") == "" {
			t.Errorf("presigned URL(%q) = %q, %v; want a signed URL of %s", name, u, err, path)
		}
	}
	st = mustOffline(t, storage.Options{BucketName: "bucket", AddressingStyle: "path", AccessKey: "AKID", SecretKey: "SECRET"})
	if u, err := st.URL(ctx, "", nil); !errors.Is(err, storage.ErrInvalidName) {
		t.Errorf("presigned URL(\"\") without location = %q, %v; want ErrInvalidName", u, err)
	}
	if _, err := st.Save(ctx, "dir/", strings.NewReader("x"), nil); !errors.Is(err, storage.ErrInvalidName) {
		t.Errorf("Save(dir/) = %v, want ErrInvalidName: only URLs take directories", err)
	}
}
