package storage_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// realStorage returns a Storage on a bucket of its own on the S3 server
// of AWS_S3_ENDPOINT_URL (scripts/s3server.sh: SeaweedFS), emptied and
// removed after the test; it skips the test without that server.
func realStorage(t *testing.T) *storage.Storage {
	t.Helper()
	endpoint := os.Getenv("AWS_S3_ENDPOINT_URL")
	if endpoint == "" {
		t.Skip("AWS_S3_ENDPOINT_URL is not set: no real S3 server")
	}
	ctx := context.Background()
	bucket := fmt.Sprintf("storage-direct-%d", time.Now().UnixNano())
	st, err := storage.New(ctx, storage.Options{BucketName: bucket, EndpointURL: endpoint, AddressingStyle: "path",
		AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		RegionName: cmpOr(os.Getenv("AWS_S3_REGION_NAME"), "us-east-1"), LookupEnv: env()})
	if err != nil {
		t.Fatal(err)
	}
	c := st.Client().(*s3.Client)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket on %s: %v", endpoint, err)
	}
	t.Cleanup(func() {
		ups, _ := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if ups != nil {
			for _, u := range ups.Uploads {
				c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId})
			}
		}
		objs, _ := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if objs != nil {
			for _, o := range objs.Contents {
				c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			}
		}
		if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Errorf("DeleteBucket %s: %v", bucket, err)
		}
	})
	return st
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestPresignDirectEnforced: a PutObject URL that signs a type and a
// length is refused with another type, no type, another length; an empty
// body signed with ZeroLength refuses a byte; a CreateMultipartUpload
// URL that signs a type refuses another. The requests as signed are
// accepted, and the object has the signed type. On s3local, and on the
// real server when there is one.
func TestPresignDirectEnforced(t *testing.T) {
	for _, backend := range []string{"s3local", "real"} {
		t.Run(backend, func(t *testing.T) {
			var st *storage.Storage
			if backend == "real" {
				st = realStorage(t)
			} else {
				st, _ = memStorage(t, s3local.Options{}, storage.Options{})
			}
			ctx := context.Background()
			put := presign(t, st, storage.DirectPutObject, "a.png", &storage.DirectOptions{ContentType: "image/png", ContentLength: 10})
			if put.Header["Content-Type"] != "image/png" || put.Header["Content-Length"] != "10" {
				t.Errorf("Header = %v, want the signed type and length", put.Header)
			}
			for _, tc := range []struct {
				what, ctype string
				body        string
			}{
				{"another type", "text/html", "0123456789"},
				{"no type", "", "0123456789"},
				{"another case", "image/PNG", "0123456789"},
				{"another length", "image/png", "0123456789a"},
				{"a shorter body", "image/png", "012345678"},
			} {
				resp := do(t, put, []byte(tc.body), tc.ctype)
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 403 {
					t.Errorf("PUT with %s = %d %s, want 403", tc.what, resp.StatusCode, b)
				}
			}
			if ok, err := st.Exists(ctx, "a.png"); ok || err != nil {
				t.Fatalf("Exists after refused PUTs = %v, %v: a refused PUT stored the file", ok, err)
			}
			if resp := do(t, put, []byte("0123456789"), "image/png"); resp.StatusCode != 200 {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("PUT as signed = %d %s, want 200", resp.StatusCode, b)
			}
			if info, err := st.Stat(ctx, "a.png"); err != nil || info.ContentType != "image/png" || info.Size != 10 {
				t.Errorf("Stat = %+v, %v, want image/png of 10 bytes", info, err)
			}

			empty := presign(t, st, storage.DirectPutObject, "empty.txt", &storage.DirectOptions{ContentLength: storage.ZeroLength})
			if resp := do(t, empty, []byte("x"), ""); resp.StatusCode != 403 {
				t.Errorf("PUT of a byte with ZeroLength = %d, want 403", resp.StatusCode)
			}
			if resp := do(t, empty, nil, ""); resp.StatusCode != 200 {
				t.Errorf("empty PUT with ZeroLength = %d, want 200", resp.StatusCode)
			}

			create := presign(t, st, storage.DirectCreateUpload, "big.bin", &storage.DirectOptions{ContentType: "application/octet-stream"})
			if resp := do(t, create, nil, "text/html"); resp.StatusCode != 403 {
				t.Errorf("CreateMultipartUpload with another type = %d, want 403", resp.StatusCode)
			}
			resp := do(t, create, nil, "application/octet-stream")
			var created struct{ UploadId string }
			if err := xml.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != 200 || created.UploadId == "" {
				t.Fatalf("CreateMultipartUpload as signed = %d, %+v, %v", resp.StatusCode, created, err)
			}
			if err := st.AbortUpload(ctx, "big.bin", created.UploadId); err != nil {
				t.Errorf("AbortUpload = %v", err)
			}
		})
	}
}

// TestPresignDirectRefusesHeaders: a type, a length or a checksum only
// where it describes the request, and only well formed.
func TestPresignDirectRefusesHeaders(t *testing.T) {
	st, _ := memStorage(t, s3local.Options{}, storage.Options{})
	part := storage.DirectOptions{UploadID: "u", PartNumber: 1}
	for _, tc := range []struct {
		op   storage.DirectOp
		opts storage.DirectOptions
	}{
		{storage.DirectUploadPart, storage.DirectOptions{UploadID: "u", PartNumber: 1, ContentType: "image/png"}},
		{storage.DirectUploadPart, storage.DirectOptions{UploadID: "u", PartNumber: 1, ContentLength: 5}},
		{storage.DirectCreateUpload, storage.DirectOptions{ContentLength: 5}},
		{storage.DirectCompleteUpload, storage.DirectOptions{UploadID: "u", ContentType: "application/xml"}},
		{storage.DirectPutObject, storage.DirectOptions{ContentLength: -2}},
		{storage.DirectPutObject, storage.DirectOptions{ContentLength: storage.MaxPartSize + 1}},
		{storage.DirectPutObject, storage.DirectOptions{ContentType: "image/png\r\nX-Amz-Acl: public-read"}},
		{storage.DirectPutObject, storage.DirectOptions{ContentType: "not a type"}},
		{storage.DirectPutObject, storage.DirectOptions{ContentType: "image/pngé"}},
	} {
		if pr, err := st.PresignDirect(context.Background(), tc.op, "a.png", &tc.opts); err == nil {
			t.Errorf("PresignDirect(%v, %+v) = %s, want an error", tc.op, tc.opts, pr.URL)
		}
	}
	if pr := presign(t, st, storage.DirectUploadPart, "a.png", &part); pr.Header != nil || !strings.Contains(pr.URL, "X-Amz-SignedHeaders=host&") {
		t.Errorf("a part URL = %s %v, want the host alone signed", pr.URL, pr.Header)
	}
}
