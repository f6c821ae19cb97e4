package s3local_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/s3local"
)

// copySource is the x-amz-copy-source of key in testBucket: URL-encoded.
func copySource(key string) string {
	return testBucket + "/" + (&url.URL{Path: key}).EscapedPath()
}

// TestCopyObject copies with the metadata directives, onto itself, with
// conditions on the source and the destination, as S3 does.
func TestCopyObject(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	f := start(t, s3local.Options{Now: clk.Now, MinPartSize: 1})
	c := f.client(t)
	ctx := context.Background()
	const src = "dir/a b+c?é.txt" // a key that must be URL-encoded
	body := []byte("the source's bytes")
	srcOut, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(src), Body: bytes.NewReader(body),
		ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=60"), Metadata: map[string]string{"origin": "src"},
		Tagging: aws.String("k=v"), ACL: types.ObjectCannedACLPublicRead})
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(clk.Now().Add(time.Hour))
	copyTo := func(dst string, in s3.CopyObjectInput) (*s3.CopyObjectOutput, error) {
		in.Bucket, in.Key = aws.String(testBucket), aws.String(dst)
		if in.CopySource == nil {
			in.CopySource = aws.String(copySource(src))
		}
		return c.CopyObject(ctx, &in)
	}

	// COPY, the default: the bytes, type, headers, metadata and tags of
	// the source; the ACL of the request (private).
	out, err := copyTo("copied", s3.CopyObjectInput{})
	if err != nil {
		t.Fatalf("CopyObject = %v", err)
	}
	o, _ := f.srv.Object(testBucket, "copied")
	if !bytes.Equal(o.Body, body) || o.ETag != aws.ToString(srcOut.ETag) || aws.ToString(out.CopyObjectResult.ETag) != o.ETag ||
		o.Header.Get("Content-Type") != "text/plain" || o.Header.Get("Cache-Control") != "max-age=60" || o.UserMetadata()["origin"] != "src" ||
		o.Tagging != "k=v" || o.ACL != "" || !o.LastModified.Equal(clk.Now()) || !aws.ToTime(out.CopyObjectResult.LastModified).Equal(clk.Now()) {
		t.Errorf("the copy = %q %+v; result %+v", o.Body, o.ObjectInfo, out.CopyObjectResult)
	}
	if r := out.CopyObjectResult; aws.ToString(r.ChecksumCRC32) == "" || aws.ToString(r.ChecksumCRC32) != aws.ToString(srcOut.ChecksumCRC32) || r.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("CopyObjectResult checksum %q %q, want the CRC32 of the source", aws.ToString(r.ChecksumCRC32), r.ChecksumType)
	}

	// REPLACE: the request's headers and metadata; tags replaced too.
	if _, err := copyTo("replaced", s3.CopyObjectInput{MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/csv"),
		Metadata: map[string]string{"new": "1"}, TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("t=2"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256, StorageClass: types.StorageClassStandardIa}); err != nil {
		t.Fatalf("CopyObject(REPLACE) = %v", err)
	}
	o, _ = f.srv.Object(testBucket, "replaced")
	sum := sha256.Sum256(body)
	if o.Header.Get("Content-Type") != "text/csv" || o.Header.Get("Cache-Control") != "" || o.UserMetadata()["new"] != "1" || o.UserMetadata()["origin"] != "" ||
		o.Tagging != "t=2" || o.StorageClass != "STANDARD_IA" || o.Checksum.Algorithm != "SHA256" || o.Checksum.Value != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("the REPLACE copy = %+v", o.ObjectInfo)
	}

	// A multipart source becomes a single-part copy.
	mp := uploadParts(t, c, "mp", []byte("part one, "), []byte("part two"))
	if _, err := copyTo("from-mp", s3.CopyObjectInput{CopySource: aws.String(copySource("mp"))}); err != nil {
		t.Fatal(err)
	}
	whole := md5.Sum(mp)
	if o, _ := f.srv.Object(testBucket, "from-mp"); o.ETag != fmt.Sprintf(`"%x"`, whole) || o.Parts != nil || !bytes.Equal(o.Body, mp) {
		t.Errorf("the copy of a multipart object: ETag %s, parts %v", o.ETag, o.Parts)
	}

	tests := []struct {
		name   string
		dst    string
		in     s3.CopyObjectInput
		code   string
		status int
	}{
		{"onto itself", src, s3.CopyObjectInput{}, "InvalidRequest", 400},
		{"onto itself, REPLACE", src, s3.CopyObjectInput{MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/x-same")}, "", 0},
		{"onto itself, new storage class", src, s3.CopyObjectInput{StorageClass: types.StorageClassStandardIa}, "", 0},
		{"versionId=null", "v", s3.CopyObjectInput{CopySource: aws.String(copySource(src) + "?versionId=null")}, "", 0},
		{"another version", "v", s3.CopyObjectInput{CopySource: aws.String(copySource(src) + "?versionId=3HL4kqtJ")}, "InvalidArgument", 400},
		{"no key", "x", s3.CopyObjectInput{CopySource: aws.String(testBucket)}, "InvalidArgument", 400},
		{"missing key", "x", s3.CopyObjectInput{CopySource: aws.String(testBucket + "/nope")}, "NoSuchKey", 404},
		{"missing bucket", "x", s3.CopyObjectInput{CopySource: aws.String("no-bucket/k")}, "NoSuchBucket", 404},
		{"bad directive", "x", s3.CopyObjectInput{MetadataDirective: "MOVE"}, "InvalidArgument", 400},
		{"source If-Match", "x", s3.CopyObjectInput{CopySourceIfMatch: srcOut.ETag}, "", 0},
		{"source If-Match, other", "x", s3.CopyObjectInput{CopySourceIfMatch: aws.String(`"0123"`)}, "PreconditionFailed", 412},
		{"source If-None-Match", "x", s3.CopyObjectInput{CopySourceIfNoneMatch: srcOut.ETag}, "PreconditionFailed", 412},
		{"source If-Modified-Since, later", "x", s3.CopyObjectInput{CopySourceIfModifiedSince: aws.Time(clk.Now())}, "PreconditionFailed", 412},
		{"source If-Unmodified-Since, earlier", "x", s3.CopyObjectInput{CopySourceIfUnmodifiedSince: aws.Time(clk.Now().Add(-2 * time.Hour))}, "PreconditionFailed", 412},
		{"source If-Match wins over If-Unmodified-Since", "x", s3.CopyObjectInput{CopySourceIfMatch: srcOut.ETag,
			CopySourceIfUnmodifiedSince: aws.Time(clk.Now().Add(-2 * time.Hour))}, "", 0},
		{"destination If-None-Match: *, taken", "copied", s3.CopyObjectInput{IfNoneMatch: aws.String("*")}, "PreconditionFailed", 412},
		{"destination If-None-Match: *, free", "free", s3.CopyObjectInput{IfNoneMatch: aws.String("*")}, "", 0},
		{"destination If-Match, other", "copied", s3.CopyObjectInput{IfMatch: aws.String(`"0123"`)}, "PreconditionFailed", 412},
		{"destination If-Match", "copied", s3.CopyObjectInput{IfMatch: srcOut.ETag}, "", 0},
	}
	for _, tt := range tests {
		_, err := copyTo(tt.dst, tt.in)
		wantError(t, tt.name, err, tt.code, tt.status)
	}
	o, _ = f.srv.Object(testBucket, src)
	if !bytes.Equal(o.Body, body) || o.StorageClass != "STANDARD_IA" || o.Header.Get("Content-Type") != "text/x-same" {
		t.Errorf("the source after copies onto itself: %q %+v", o.Body, o.ObjectInfo)
	}
	resp, b := do(t, http.MethodPut, f.objectURL("v2"), nil, map[string]string{"X-Amz-Copy-Source": copySource(src) + "?versionId=null"})
	if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Copy-Source-Version-Id") != "null" || !strings.Contains(string(b), "<CopyObjectResult") {
		t.Errorf("CopyObject of versionId=null = %d %s, x-amz-copy-source-version-id %q", resp.StatusCode, b, resp.Header.Get("X-Amz-Copy-Source-Version-Id"))
	}
	resp, b = do(t, http.MethodPut, f.objectURL(src), nil, map[string]string{"X-Amz-Copy-Source": copySource(src)})
	if !strings.Contains(string(b), "<Message>This copy request is illegal because it is trying to copy an object to itself without changing the object&#39;s metadata, storage class, website redirect location or encryption attributes.</Message>") {
		t.Errorf("CopyObject onto itself = %d %s", resp.StatusCode, b)
	}
}

// uploadParts stores key by a multipart upload of parts and returns its
// bytes.
func uploadParts(t *testing.T, c *s3.Client, key string, parts ...[]byte) []byte {
	t.Helper()
	ctx := context.Background()
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	var done []types.CompletedPart
	var all []byte
	for i, p := range parts {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String(key), UploadId: cu.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
		all = append(all, p...)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String(key),
		UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatal(err)
	}
	return all
}

// TestUploadPartCopy assembles an object from ranges of others, as
// server-side multipart copies do.
func TestUploadPartCopy(t *testing.T) {
	f := start(t, s3local.Options{MinPartSize: 1})
	c := f.client(t)
	ctx := context.Background()
	src := []byte("0123456789abcdefghij")
	put(t, c, "src", src)
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("dst"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	ranges := []struct {
		rng  string
		want []byte
	}{{"bytes=0-4", src[:5]}, {"", src}, {"bytes=19-19", src[19:]}}
	var parts []types.CompletedPart
	var want []byte
	for i, r := range ranges {
		in := &s3.UploadPartCopyInput{Bucket: aws.String(testBucket), Key: aws.String("dst"), UploadId: cu.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String(copySource("src"))}
		if r.rng != "" {
			in.CopySourceRange = aws.String(r.rng)
		}
		out, err := c.UploadPartCopy(ctx, in)
		if err != nil {
			t.Fatalf("UploadPartCopy(%q) = %v", r.rng, err)
		}
		sum := md5.Sum(r.want)
		if res := out.CopyPartResult; aws.ToString(res.ETag) != fmt.Sprintf(`"%x"`, sum) || aws.ToString(res.ChecksumCRC32) == "" || res.LastModified == nil {
			t.Errorf("UploadPartCopy(%q) = %+v, want the ETag of %q and a CRC32", r.rng, res, r.want)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag, ChecksumCRC32: out.CopyPartResult.ChecksumCRC32})
		want = append(want, r.want...)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("dst"),
		UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, "dst"); !bytes.Equal(got, want) {
		t.Errorf("the assembled object = %q, want %q", got, want)
	}

	cu, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("dst")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, rng, upload, ifNoneMatch string
		code                           string
		status                         int
		message                        string
	}{
		{"open range", "bytes=1-", "", "", "InvalidArgument", 400, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"},
		{"reversed range", "bytes=5-2", "", "", "InvalidArgument", 400, ""},
		{"range past the end", "bytes=0-20", "", "", "InvalidArgument", 400, "Range specified is not valid for source object of size: 20"},
		{"unknown upload", "", "nope", "", "NoSuchUpload", 404, ""},
		{"source If-None-Match", "", "", "*", "PreconditionFailed", 412, ""},
	}
	for _, tt := range tests {
		h := map[string]string{"X-Amz-Copy-Source": copySource("src")}
		if tt.rng != "" {
			h["X-Amz-Copy-Source-Range"] = tt.rng
		}
		if tt.ifNoneMatch != "" {
			h["X-Amz-Copy-Source-If-None-Match"] = tt.ifNoneMatch
		}
		id := aws.ToString(cu.UploadId)
		if tt.upload != "" {
			id = tt.upload
		}
		resp, b := do(t, http.MethodPut, f.objectURL("dst")+"?partNumber=1&uploadId="+id, nil, h)
		if resp.StatusCode != tt.status || !hasCode(b, tt.code) || !strings.Contains(string(b), tt.message) {
			t.Errorf("%s: UploadPartCopy = %d %s, want %d %s %s", tt.name, resp.StatusCode, b, tt.status, tt.code, tt.message)
		}
	}
	if us, _ := f.srv.Uploads(testBucket); len(us) != 1 || len(us[0].Parts) != 0 {
		t.Errorf("refused part copies left parts: %+v", us)
	}
}

// TestCopyAccess: with credentials, an anonymous copy needs a source
// anyone may read, and a destination bucket anyone may write.
func TestCopyAccess(t *testing.T) {
	f := signedStart(t)
	c := f.client(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("open"), ACL: types.BucketCannedACLPublicReadWrite}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "private", []byte("secret"))
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("public"), Body: strings.NewReader("open"),
		ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		src    string
		status int
	}{{"private", 403}, {"public", 200}} {
		resp, b := do(t, http.MethodPut, f.ts.URL+"/open/"+tt.src, nil, map[string]string{"X-Amz-Copy-Source": copySource(tt.src)})
		if resp.StatusCode != tt.status {
			t.Errorf("anonymous copy of %s = %d %s, want %d", tt.src, resp.StatusCode, b, tt.status)
		}
	}
	resp, _ := do(t, http.MethodPut, f.objectURL("x"), nil, map[string]string{"X-Amz-Copy-Source": copySource("public")})
	if resp.StatusCode != 403 {
		t.Errorf("anonymous copy into a private bucket = %d, want 403", resp.StatusCode)
	}
}
