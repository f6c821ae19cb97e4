package storage_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3kit/s3kit/storage"
)

// failingAPI answers every call with one error.
type failingAPI struct {
	storage.API
	err error
}

func (f failingAPI) HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return nil, f.err
}

func (f failingAPI) DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	return nil, f.err
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}
	st, err := storage.NewWithClient(ctx, failingAPI{err: denied}, storage.Options{BucketName: "b", Location: "loc", LookupEnv: env()})
	if err != nil {
		t.Fatal(err)
	}
	// 403 is an error, never a silent false.
	ok, err := st.Exists(ctx, "a.txt")
	if ok || err == nil {
		t.Fatalf("Exists on AccessDenied = %v, %v; want false and an error", ok, err)
	}
	var serr *storage.Error
	var apiErr smithy.APIError
	if !errors.As(err, &serr) || serr.Op != "stat" || serr.Key != "loc/a.txt" {
		t.Errorf("error = %#v, want *storage.Error{Op: stat, Key: loc/a.txt}", err)
	}
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Errorf("the SDK error is not reachable with errors.As: %v", err)
	}
	if errors.Is(err, storage.ErrNotExist) {
		t.Errorf("AccessDenied matched ErrNotExist")
	}
	if !errors.Is(err, storage.ErrPermission) || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("AccessDenied does not match ErrPermission: %v", err)
	}
	if got := err.Error(); !strings.HasPrefix(got, `storage: stat "loc/a.txt": `) || !strings.Contains(got, "AccessDenied") {
		t.Errorf("Error() = %q", got)
	}
	if err := st.Delete(ctx, "a.txt"); err == nil {
		t.Errorf("Delete on AccessDenied = nil, want the error")
	}

	missing, _ := storage.NewWithClient(ctx, failingAPI{err: &smithy.GenericAPIError{Code: "NoSuchKey"}}, storage.Options{BucketName: "b", LookupEnv: env()})
	_, err = missing.Stat(ctx, "x")
	if !errors.Is(err, storage.ErrNotExist) || !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &apiErr) {
		t.Errorf("Stat on NoSuchKey: %v, want ErrNotExist with the SDK error reachable", err)
	}
	if err := missing.Delete(ctx, "x"); err != nil {
		t.Errorf("Delete of a missing key = %v, want nil", err)
	}
	noBucket, _ := storage.NewWithClient(ctx, failingAPI{err: &smithy.GenericAPIError{Code: "NoSuchBucket"}}, storage.Options{BucketName: "b", LookupEnv: env()})
	if ok, err := noBucket.Exists(ctx, "x"); ok || err == nil || errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Exists with a missing bucket = %v, %v; want an error that is not ErrNotExist", ok, err)
	}

	_, err = st.Stat(ctx, "../x")
	if !errors.Is(err, storage.ErrInvalidName) || !errors.As(err, &serr) || serr.Key != "../x" {
		t.Errorf("Stat(../x) = %v, want ErrInvalidName naming the raw name", err)
	}
}

func TestErrorKinds(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		code string
		want error
	}{
		{"AccessDenied", storage.ErrPermission},
		{"InvalidAccessKeyId", storage.ErrPermission},
		{"SignatureDoesNotMatch", storage.ErrPermission},
		{"KeyTooLongError", storage.ErrInvalidName},
		{"NoSuchKey", storage.ErrNotExist},
	} {
		st, err := storage.NewWithClient(ctx, failingAPI{err: &smithy.GenericAPIError{Code: tc.code}}, storage.Options{BucketName: "b", LookupEnv: env()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Stat(ctx, "a.txt")
		if !errors.Is(err, tc.want) {
			t.Errorf("Stat on %s = %v, want an error matching %v", tc.code, err, tc.want)
		}
	}
}

// TestErrorPrefixOnce: an error says "storage: " once, whatever its cause
// (get.go's said "storage: get "a": storage: Range ...", and a presigner
// without credentials "storage: url "a": storage: no credentials ...").
func TestErrorPrefixOnce(t *testing.T) {
	ctx := context.Background()
	st, err := storage.NewWithClient(ctx, failingAPI{}, storage.Options{BucketName: "b", LookupEnv: env()})
	if err != nil {
		t.Fatal(err)
	}
	_, getErr := st.Get(ctx, "a", &storage.GetOptions{Range: "bytes=0-1,4-5"})
	_, urlErr := st.URL(ctx, "a", nil)
	_, nameErr := st.CreateUpload(ctx, "dir/a-long-name.bin", &storage.UploadOptions{MaxLength: 3, Conflict: storage.ConflictOverwrite})
	for _, err := range []error{getErr, urlErr, nameErr} {
		if err == nil || strings.Count(err.Error(), "storage: ") != 1 {
			t.Errorf("error %q, want one \"storage: \"", err)
		}
	}
}
