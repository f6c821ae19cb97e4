package s3local_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/s3local"
)

func TestPutGetRoundTrip(t *testing.T) {
	f := start(t, s3local.Options{})
	c := f.client(t)
	ctx := context.Background()
	body := []byte("hello, world")
	sum := md5.Sum(body)
	wantETag := `"` + hex.EncodeToString(sum[:]) + `"`

	out, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(testBucket),
		Key:                  aws.String("dir/hello.txt"),
		Body:                 bytes.NewReader(body),
		ContentType:          aws.String("text/plain"),
		ContentEncoding:      aws.String("identity"),
		ContentDisposition:   aws.String(`attachment; filename="a.txt"`),
		ContentLanguage:      aws.String("en"),
		CacheControl:         aws.String("max-age=60"),
		Metadata:             map[string]string{"Color": "Blue", "x": "1"},
		StorageClass:         types.StorageClassStandardIa,
		Tagging:              aws.String("a=1&b=2"),
		ServerSideEncryption: types.ServerSideEncryptionAes256,
	})
	if err != nil {
		t.Fatalf("PutObject = %v", err)
	}
	if got := aws.ToString(out.ETag); got != wantETag {
		t.Errorf("PutObject ETag = %q, want %q", got, wantETag)
	}
	if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("PutObject ServerSideEncryption = %q, want AES256", out.ServerSideEncryption)
	}

	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("dir/hello.txt")})
	if err != nil {
		t.Fatalf("GetObject = %v", err)
	}
	got, _ := io.ReadAll(g.Body)
	g.Body.Close()
	if !bytes.Equal(got, body) {
		t.Errorf("GetObject body = %q, want %q", got, body)
	}
	checks := []struct{ name, got, want string }{
		{"ETag", aws.ToString(g.ETag), wantETag},
		{"ContentType", aws.ToString(g.ContentType), "text/plain"},
		{"ContentEncoding", aws.ToString(g.ContentEncoding), "identity"},
		{"ContentDisposition", aws.ToString(g.ContentDisposition), `attachment; filename="a.txt"`},
		{"ContentLanguage", aws.ToString(g.ContentLanguage), "en"},
		{"CacheControl", aws.ToString(g.CacheControl), "max-age=60"},
		{"Metadata[color]", g.Metadata["color"], "Blue"},
		{"Metadata[x]", g.Metadata["x"], "1"},
		{"StorageClass", string(g.StorageClass), "STANDARD_IA"},
		{"TagCount", itoa(aws.ToInt32(g.TagCount)), "2"},
		{"ServerSideEncryption", string(g.ServerSideEncryption), "AES256"},
		{"AcceptRanges", aws.ToString(g.AcceptRanges), "bytes"},
		{"ContentLength", itoa(int32(aws.ToInt64(g.ContentLength))), itoa(int32(len(body)))},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("GetObject %s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if g.LastModified == nil || g.LastModified.Nanosecond() != 0 {
		t.Errorf("GetObject LastModified = %v, want second precision", g.LastModified)
	}

	// The raw response carries metadata with lower-case names.
	resp, _ := do(t, http.MethodGet, f.objectURL("dir/hello.txt"), nil, nil)
	if _, ok := resp.Header["X-Amz-Meta-Color"]; !ok {
		t.Errorf("raw GET headers = %v, want X-Amz-Meta-Color", resp.Header)
	}

	// Introspection sees the same object.
	o, ok := f.srv.Object(testBucket, "dir/hello.txt")
	if !ok {
		t.Fatalf("Object(%q) missing", "dir/hello.txt")
	}
	if o.ETag != wantETag || string(o.Body) != string(body) || o.UserMetadata()["color"] != "Blue" || o.Tagging != "a=1&b=2" || o.StorageClass != "STANDARD_IA" {
		t.Errorf("Object(%q) = %+v", "dir/hello.txt", o)
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func TestDefaultContentType(t *testing.T) {
	f := start(t, s3local.Options{})
	resp, _ := do(t, http.MethodPut, f.objectURL("k"), []byte("x"), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("PUT status = %d", resp.StatusCode)
	}
	resp, _ = do(t, http.MethodHead, f.objectURL("k"), nil, nil)
	if got := resp.Header.Get("Content-Type"); got != "binary/octet-stream" {
		t.Errorf("HEAD Content-Type = %q, want %q", got, "binary/octet-stream")
	}
}
