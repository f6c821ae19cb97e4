package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// DefaultLocalBucket is the bucket Local creates when opts.BucketName is
// empty.
const DefaultLocalBucket = "test"

// Local returns a Storage on a new in-process S3 server (s3local, memory
// store) listening on 127.0.0.1, which checks signatures: a one-call
// fixture for tests of code that uses a Storage. The server has one
// bucket, opts.BucketName (default DefaultLocalBucket). The connection
// fields of opts are filled in when empty: EndpointURL, AccessKey and
// SecretKey (a random key of the server), RegionName (us-east-1),
// AddressingStyle (path) and LookupEnv (an empty environment, so that the
// process's AWS_* variables do not leak in); every other field is kept.
// The server stops when the test ends (tb.Cleanup).
func Local(tb testing.TB, opts storage.Options) *storage.Storage {
	tb.Helper()
	st, _ := LocalServer(tb, s3local.Options{}, opts)
	return st
}

// LocalServer is Local on a server configured by sopts (a DiskStore,
// Intercept, conditional-write modes, ...), returned too, to inspect and
// seed it. When sopts.Credentials is empty, a random key is added; the
// Storage signs with the first key unless opts names one.
func LocalServer(tb testing.TB, sopts s3local.Options, opts storage.Options) (*storage.Storage, *s3local.Server) {
	tb.Helper()
	if len(sopts.Credentials) == 0 {
		sopts.Credentials = []s3local.Credential{{AccessKeyID: "AKIDS3LOCAL" + randomHex(4), SecretAccessKey: randomHex(20)}}
	}
	srv, err := s3local.Start(sopts)
	if err != nil {
		tb.Fatalf("storagetest: starting s3local: %v", err)
	}
	tb.Cleanup(func() { srv.Close() })
	if opts.BucketName == "" {
		opts.BucketName = DefaultLocalBucket
	}
	if err := srv.CreateBucket(opts.BucketName); err != nil {
		tb.Fatalf("storagetest: creating bucket %q: %v", opts.BucketName, err)
	}
	if opts.EndpointURL == "" {
		opts.EndpointURL = srv.URL()
	}
	if opts.AccessKey == "" && opts.SecretKey == "" && opts.Credentials == nil && opts.SessionProfile == "" {
		c := sopts.Credentials[0]
		opts.AccessKey, opts.SecretKey, opts.SecurityToken = c.AccessKeyID, c.SecretAccessKey, c.SessionToken
	}
	if opts.RegionName == "" {
		opts.RegionName = "us-east-1"
	}
	if opts.AddressingStyle == "" {
		opts.AddressingStyle = "path"
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := storage.New(ctx, opts)
	if err != nil {
		tb.Fatalf("storagetest: storage.New on s3local: %v", err)
	}
	return st, srv
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
