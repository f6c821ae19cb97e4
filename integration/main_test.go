package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// bucket is created once per run; every storage gets a location of its own.
var bucket = fmt.Sprintf("s3kit-it-%d-%04d", time.Now().Unix(), rand.IntN(10000))

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("AWS_S3_ENDPOINT_URL") == "" {
		stop, err := startLocal()
		if err != nil {
			fmt.Fprintf(os.Stderr, "integration: starting the in-process s3local server: %v\n", err)
			return 1
		}
		defer stop()
		fmt.Fprintln(os.Stderr, "integration: no AWS_S3_ENDPOINT_URL; running against the in-process s3local server (disk store)")
	}
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if os.Getenv(v) == "" {
			fmt.Fprintf(os.Stderr, "integration: AWS_S3_ENDPOINT_URL is set but %s is not\n", v)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	st, err := storage.New(ctx, storage.Options{BucketName: bucket})
	if err == nil {
		_, err = st.Client().(*s3.Client).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	}
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: creating bucket %s at %s: %v\n", bucket, os.Getenv("AWS_S3_ENDPOINT_URL"), err)
		return 1
	}
	code := m.Run()
	if err := removeBucket(st.Client().(*s3.Client), bucket); err != nil {
		fmt.Fprintf(os.Stderr, "integration: removing bucket %s: %v\n", bucket, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// startLocal starts the in-process S3 server on loopback, on a disk store
// in a temporary directory (so that the whole suite runs on the disk
// store), and exports its endpoint and keys as the real server's script
// does. stop stops it and removes the directory.
func startLocal() (stop func(), err error) {
	dir, err := os.MkdirTemp("", "s3kit-integration-")
	if err != nil {
		return nil, err
	}
	disk, err := s3local.NewDiskStore(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	key, secret := fmt.Sprintf("AKIDLOCAL%04d", rand.IntN(10000)), fmt.Sprintf("secret-%d", rand.Int64())
	srv, err := s3local.Start(s3local.Options{Store: disk, Region: "us-east-1",
		Credentials: []s3local.Credential{{AccessKeyID: key, SecretAccessKey: secret}}})
	if err != nil {
		disk.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	for k, v := range map[string]string{"AWS_S3_ENDPOINT_URL": srv.URL(), "AWS_ACCESS_KEY_ID": key,
		"AWS_SECRET_ACCESS_KEY": secret, "AWS_S3_REGION_NAME": "us-east-1"} {
		os.Setenv(k, v)
	}
	return func() {
		srv.Close()
		disk.Close()
		os.RemoveAll(dir)
	}, nil
}

// removeBucket empties and deletes a bucket, so that repeated runs do not
// fill the server's disk (SeaweedFS frees space per bucket).
func removeBucket(c *s3.Client, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ups := s3.NewListMultipartUploadsPaginator(c, &s3.ListMultipartUploadsInput{Bucket: aws.String(name)})
	for ups.HasMorePages() {
		page, err := ups.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, u := range page.Uploads {
			c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(name), Key: u.Key, UploadId: u.UploadId})
		}
	}
	objs := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(name)})
	for objs.HasMorePages() {
		page, err := objs.NextPage(ctx)
		if err != nil {
			return err
		}
		if len(page.Contents) == 0 {
			continue
		}
		del := &types.Delete{Quiet: aws.Bool(true)}
		for _, o := range page.Contents {
			del.Objects = append(del.Objects, types.ObjectIdentifier{Key: o.Key})
		}
		if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(name), Delete: del}); err != nil {
			return err
		}
	}
	_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
	return err
}

var seq atomic.Int64

// newStorage is the storagetest harness for the real server: the
// connection comes from the environment, as it would in production.
func newStorage(t *testing.T, opts storage.Options) *storage.Storage {
	t.Helper()
	loc := fmt.Sprintf("t%d", seq.Add(1))
	if opts.Location != "" {
		loc += "/" + opts.Location
	}
	opts.Location = loc
	opts.BucketName = bucket
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := storage.New(ctx, opts)
	if err != nil {
		t.Fatalf("storage.New: %v", err)
	}
	return st
}

// workerT is the testing.TB that a goroutine of a test passes to the
// helpers: Fatal, Fatalf and FailNow must not be called outside the
// test's own goroutine, so these report the failure with Error and end
// the goroutine alone (its deferred calls, such as a WaitGroup's Done,
// still run); the test goes on to its own checks.
type workerT struct{ testing.TB }

func (w workerT) Fatal(args ...any) {
	w.Helper()
	w.Error(args...)
	runtime.Goexit()
}

func (w workerT) Fatalf(format string, args ...any) {
	w.Helper()
	w.Errorf(format, args...)
	runtime.Goexit()
}

func (w workerT) FailNow() {
	w.Fail()
	runtime.Goexit()
}
