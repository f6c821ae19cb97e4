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
// and Save share the cleaner) and points the others at the same key.
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
