package s3local_test

import (
	"testing"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/storage/storagetest"
)

// TestConformance runs the storage conformance suite, which the real
// server passes too, on both stores: every storage gets a server of its
// own, and, for the disk store, a directory of its own.
func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) s3local.Store
	}{
		{"memory", func(*testing.T) s3local.Store { return s3local.NewMemoryStore() }},
		{"disk", func(t *testing.T) s3local.Store { return newDiskStore(t, t.TempDir()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.Run(t, func(t *testing.T, opts storage.Options) *storage.Storage {
				st, _ := storagetest.LocalServer(t, s3local.Options{Store: tc.store(t)}, opts)
				return st
			})
		})
	}
}
