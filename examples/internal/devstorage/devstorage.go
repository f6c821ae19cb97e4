// Package devstorage gives the examples their storage: the one the AWS_*
// environment configures (AWS_STORAGE_BUCKET_NAME and friends, as
// django-storages reads them), or, when no bucket is configured, one on an
// embedded S3-compatible server (s3local, in memory, on loopback) that it
// starts and says so, so that every example runs with no account.
package devstorage

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// Open returns the storage of the environment with opts on top, or one on
// a new embedded server (opts.BucketName, default "media", created), and
// a function that stops what it started. It writes one line to w when it
// starts the embedded server.
func Open(ctx context.Context, w io.Writer, opts storage.Options) (*storage.Storage, func(), error) {
	if b, ok := os.LookupEnv("AWS_STORAGE_BUCKET_NAME"); (ok && strings.TrimSpace(b) != "") || opts.BucketName != "" && opts.EndpointURL != "" {
		st, err := storage.New(ctx, opts)
		return st, func() {}, err
	}
	srv, err := s3local.Start(s3local.Options{Credentials: []s3local.Credential{{AccessKeyID: "example", SecretAccessKey: "example-secret"}}})
	if err != nil {
		return nil, nil, err
	}
	if opts.BucketName == "" {
		opts.BucketName = "media"
	}
	if err := srv.CreateBucket(opts.BucketName); err != nil {
		srv.Close()
		return nil, nil, err
	}
	fmt.Fprintf(w, "no AWS_STORAGE_BUCKET_NAME: using an embedded S3 server at %s (in memory, for development)\n", srv.URL())
	opts.EndpointURL, opts.AddressingStyle, opts.RegionName = srv.URL(), "path", "us-east-1"
	opts.AccessKey, opts.SecretKey = "example", "example-secret"
	opts.LookupEnv = func(string) (string, bool) { return "", false }
	st, err := storage.New(ctx, opts)
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	return st, func() { srv.Close() }, nil
}
