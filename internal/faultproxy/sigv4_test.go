package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3kit/s3kit/s3local"
)

// s3Target is a server that checks SigV4 signatures.
type s3Target struct {
	name, endpoint, key, secret, region string
}

// targets returns the in-process s3mem server with credentials, and the
// real server when its endpoint is exported (as for integration/).
func targets(t *testing.T) []s3Target {
	t.Helper()
	mem := s3local.New(s3local.Options{Credentials: []s3local.Credential{{AccessKeyID: "AKIDFAULT", SecretAccessKey: "fault-secret"}}, MinPartSize: 5 << 20})
	ts := httptest.NewServer(mem)
	t.Cleanup(ts.Close)
	out := []s3Target{{"s3mem", ts.URL, "AKIDFAULT", "fault-secret", "us-east-1"}}
	if ep := os.Getenv("AWS_S3_ENDPOINT_URL"); ep != "" {
		region := os.Getenv("AWS_S3_REGION_NAME")
		if region == "" {
			region = "us-east-1"
		}
		out = append(out, s3Target{"real server", ep, os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), region})
	}
	return out
}

func sdkClient(endpoint, key, secret, region string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		UsePathStyle: true,
		// Checksums on every body, as the SDK sends them by default.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

// TestSigV4PassesThrough makes signed aws-sdk-go-v2 calls through the
// proxy, with awkward keys, metadata and single and multipart bodies,
// and checks that the server accepted each signature and that the bytes
// came back intact; a call signed with a wrong secret is refused, which
// shows the server did check.
func TestSigV4PassesThrough(t *testing.T) {
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			p := startProxy(t, tg.endpoint, Options{})
			c := sdkClient(p.URL(), tg.key, tg.secret, tg.region)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			bucket := fmt.Sprintf("faultproxy-%d", time.Now().UnixNano()%1e9)
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
				t.Fatalf("CreateBucket through the proxy: %v", err)
			}
			defer dropBucket(t, c, bucket)

			body := make([]byte, 11<<20+5)
			io.ReadFull(seeded("sigv4"), body)
			keys := []string{"plain.txt", "dir/sp ace+plus%pct~tilde.bin", "ünï/€.dat", "a=b&c;d,e(f)!'*"}
			for _, key := range keys {
				_, err := c.PutObject(ctx, &s3.PutObjectInput{
					Bucket: &bucket, Key: aws.String(key), Body: bytes.NewReader(body[:1<<20]),
					Metadata: map[string]string{"note": "a  b"}, ContentType: aws.String("application/x-test"),
				})
				if err != nil {
					t.Fatalf("PutObject(%q) through the proxy: %v", key, err)
				}
				out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(key)})
				if err != nil {
					t.Fatalf("GetObject(%q): %v", key, err)
				}
				got, err := io.ReadAll(out.Body)
				out.Body.Close()
				if err != nil || !bytes.Equal(got, body[:1<<20]) {
					t.Errorf("GetObject(%q) = %d bytes (%v), want the 1 MiB put", key, len(got), err)
				}
			}
			multipart(t, ctx, c, bucket, "multi/part.bin", body)

			list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
			if err != nil || len(list.Contents) != len(keys)+1 {
				t.Errorf("ListObjectsV2 = %d objects (%v), want %d", len(list.Contents), err, len(keys)+1)
			}
			for op, want := range map[Op]int64{OpCreateBucket: 1, OpPutObject: int64(len(keys)), OpGetObject: int64(len(keys)) + 1,
				OpCreateMultipartUpload: 1, OpUploadPart: 3, OpCompleteMultipartUpload: 1, OpListObjectsV2: 1} {
				if got := p.Requests(op); got != want {
					t.Errorf("Requests(%s) = %d, want %d", op, got, want)
				}
			}
			if n := p.Status("", 403); n != 0 {
				t.Errorf("the server refused %d signatures through the proxy: %s", n, p.Summary())
			}

			bad := sdkClient(p.URL(), tg.key, tg.secret+"x", tg.region)
			_, err = bad.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("bad"), Body: strings.NewReader("x")})
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != "SignatureDoesNotMatch" {
				t.Errorf("PutObject with a wrong secret = %v, want SignatureDoesNotMatch", err)
			}
		})
	}
}

func multipart(t *testing.T, ctx context.Context, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	var parts []types.CompletedPart
	for i, off := int32(1), 0; off < len(body); i, off = i+1, off+5<<20 {
		end := min(off+5<<20, len(body))
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(i), Body: bytes.NewReader(body[off:end])})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObject(%q): %v", key, err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("GetObject(%q) = %d bytes (%v), want the %d uploaded in parts", key, len(got), err, len(body))
	}
}

func dropBucket(t *testing.T, c *s3.Client, bucket string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err == nil {
		for _, o := range list.Contents {
			c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: o.Key})
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
		t.Logf("DeleteBucket(%s): %v", bucket, err)
	}
}

// TestLostAnswerRetried shows what the proxy is for: the SDK retries a
// conditional PutObject whose answer was lost after the server stored
// it, and the retry gets 412 although the write succeeded.
func TestLostAnswerRetried(t *testing.T) {
	tg := targets(t)[0]
	p := startProxy(t, tg.endpoint, Options{Rules: []Rule{{Op: OpPutObject, Key: "lost", Nth: 1, Fault: LoseResponse}}})
	c := sdkClient(p.URL(), tg.key, tg.secret, tg.region)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bucket := "lost-answer"
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("lost"), Body: strings.NewReader("body"), IfNoneMatch: aws.String("*")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "PreconditionFailed" {
		t.Errorf("PutObject(If-None-Match: *) with its answer lost = %v, want the retry's PreconditionFailed", err)
	}
	if n := p.Requests(OpPutObject); n != 2 {
		t.Errorf("Requests(PutObject) = %d, want 2 (the SDK retried)", n)
	}
	if a, b := p.Status(OpPutObject, 200), p.Status(OpPutObject, 412); a != 1 || b != 1 {
		t.Errorf("server answers: %d × 200, %d × 412; want 1 and 1", a, b)
	}
	if n := p.Injected(OpPutObject, LoseResponse); n != 1 {
		t.Errorf("Injected(PutObject, LoseResponse) = %d, want 1", n)
	}
}
