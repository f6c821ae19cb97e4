package s3local_test

import (
	"context"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3kit/s3kit/s3local"
)

// featureCall is a request that needs one feature; it returns the S3
// error code, status and message of the answer ("", 200, "" on success).
type featureCall func(t *testing.T, f *fixture) (code string, status int, msg string)

// sdkAnswer turns the result of an SDK call into a featureCall's answer.
func sdkAnswer(err error) (string, int, string) {
	if err == nil {
		return "", 200, ""
	}
	code, status := errorCode(err)
	var ae smithy.APIError
	msg := ""
	if errors.As(err, &ae) {
		msg = ae.ErrorMessage()
	}
	return code, status, msg
}

// rawAnswer reads the code and message of a raw answer.
func rawAnswer(resp *http.Response, body []byte) (string, int, string) {
	if resp.StatusCode/100 == 2 {
		return "", 200, ""
	}
	code, msg := between(string(body), "<Code>", "</Code>"), between(string(body), "<Message>", "</Message>")
	return code, resp.StatusCode, strings.ReplaceAll(msg, "&#39;", "'")
}

func between(s, open, close string) string {
	_, rest, ok := strings.Cut(s, open)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, close)
	return v
}

// putWithChecksum is a PutObject whose SDK computes the checksum alg.
func putWithChecksum(alg types.ChecksumAlgorithm) featureCall {
	return func(t *testing.T, f *fixture) (string, int, string) {
		_, err := f.client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket),
			Key: aws.String("sum"), Body: strings.NewReader("data"), ChecksumAlgorithm: alg})
		return sdkAnswer(err)
	}
}

// fullObjectUpload opens a multipart upload with a FULL_OBJECT checksum.
func fullObjectUpload(alg types.ChecksumAlgorithm) featureCall {
	return func(t *testing.T, f *fixture) (string, int, string) {
		_, err := f.client(t).CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket),
			Key: aws.String("full"), ChecksumAlgorithm: alg, ChecksumType: types.ChecksumTypeFullObject})
		return sdkAnswer(err)
	}
}

func presignedGet(t *testing.T, f *fixture) (string, int, string) {
	put(t, f.client(t), "p", []byte("data"))
	req, err := s3.NewPresignClient(f.client(t)).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	return rawAnswer(do(t, http.MethodGet, req.URL, nil, nil))
}

func postUpload(t *testing.T, f *fixture) (string, int, string) {
	fields := append(signPolicy(time.Now(), time.Hour, []any{"starts-with", "$key", ""}), [2]string{"key", "posted"})
	resp, body := postForm(t, f.ts.URL+"/"+testBucket, fields, []byte("data"))
	return rawAnswer(resp, []byte(body))
}

func getWithChecksumMode(t *testing.T, f *fixture) (string, int, string) {
	put(t, f.client(t), "m", []byte("data"))
	_, err := f.client(t).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("m"), ChecksumMode: types.ChecksumModeEnabled})
	return sdkAnswer(err)
}

func listV1(t *testing.T, f *fixture) (string, int, string) {
	_, err := f.client(t).ListObjects(context.Background(), &s3.ListObjectsInput{Bucket: aws.String(testBucket)})
	return sdkAnswer(err)
}

func listParts(t *testing.T, f *fixture) (string, int, string) {
	c := f.client(t)
	up, err := c.CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("lp")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListParts(context.Background(), &s3.ListPartsInput{Bucket: aws.String(testBucket), Key: aws.String("lp"), UploadId: up.UploadId})
	return sdkAnswer(err)
}

func copyObject(t *testing.T, f *fixture) (string, int, string) {
	put(t, f.client(t), "src", []byte("data"))
	_, err := f.client(t).CopyObject(context.Background(), &s3.CopyObjectInput{Bucket: aws.String(testBucket), Key: aws.String("dst"), CopySource: aws.String(testBucket + "/src")})
	return sdkAnswer(err)
}

func putPublicRead(t *testing.T, f *fixture) (string, int, string) {
	_, err := f.client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("pub"),
		Body: strings.NewReader("data"), ACL: types.ObjectCannedACLPublicRead})
	return sdkAnswer(err)
}

func preflight(t *testing.T, f *fixture) (string, int, string) {
	return rawAnswer(do(t, http.MethodOptions, f.objectURL("x"), nil, map[string]string{
		"Origin": "http://localhost:8000", "Access-Control-Request-Method": "PUT"}))
}

// virtualHostGet reads an object in virtual-hosted style. (A PUT would
// create the bucket its key names, on a server that takes the request as
// path-style: the doctor reads.)
func virtualHostGet(t *testing.T, f *fixture) (string, int, string) {
	put(t, f.client(t), "dir/v", []byte("data"))
	_, err := f.vhostClient(t).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("dir/v")})
	return sdkAnswer(err)
}

// TestLacks: each feature of Options.Lacks is refused with the answer of
// the services without it, and the same request succeeds on a server
// that has it. Signatures are checked, so that presigned requests are
// told apart.
func TestLacks(t *testing.T) {
	tests := []struct {
		feature s3local.Feature
		call    featureCall
		code    string
		status  int
		msg     string
	}{
		{s3local.FeaturePostObject, postUpload, "NotImplemented", 501, "Presigned post requests are not yet implemented"},
		{s3local.FeaturePresignedURLs, presignedGet, "NotImplemented", 501, "Presigned URLs are not implemented"},
		{s3local.FeatureChecksumCRC32, putWithChecksum(types.ChecksumAlgorithmCrc32), "InvalidArgument", 400, "Unsupported header 'x-amz-checksum-crc32' received for this API call."},
		{s3local.FeatureChecksumCRC32C, putWithChecksum(types.ChecksumAlgorithmCrc32c), "InvalidArgument", 400, "Unsupported header 'x-amz-checksum-crc32c' received for this API call."},
		{s3local.FeatureChecksumCRC64NVME, putWithChecksum(types.ChecksumAlgorithmCrc64nvme), "InvalidArgument", 400, "Unsupported header 'x-amz-checksum-crc64nvme' received for this API call."},
		{s3local.FeatureChecksumSHA1, putWithChecksum(types.ChecksumAlgorithmSha1), "InvalidArgument", 400, "Unsupported header 'x-amz-checksum-sha1' received for this API call."},
		{s3local.FeatureChecksumSHA256, putWithChecksum(types.ChecksumAlgorithmSha256), "InvalidArgument", 400, "Unsupported header 'x-amz-checksum-sha256' received for this API call."},
		{s3local.FeatureChecksumMode, getWithChecksumMode, "InvalidArgument", 400, "Unsupported header 'x-amz-checksum-mode' received for this API call."},
		{s3local.FeatureFullObjectCRC32, fullObjectUpload(types.ChecksumAlgorithmCrc32), "InvalidRequest", 400, "The FULL_OBJECT checksum type cannot be used with the crc32 checksum algorithm."},
		{s3local.FeatureFullObjectCRC32C, fullObjectUpload(types.ChecksumAlgorithmCrc32c), "InvalidRequest", 400, "The FULL_OBJECT checksum type cannot be used with the crc32c checksum algorithm."},
		{s3local.FeatureFullObjectCRC64NVME, fullObjectUpload(types.ChecksumAlgorithmCrc64nvme), "InvalidRequest", 400, "The FULL_OBJECT checksum type cannot be used with the crc64nvme checksum algorithm."},
		{s3local.FeatureListObjectsV1, listV1, "NotImplemented", 501, "ListObjects is not implemented by s3local"},
		{s3local.FeatureListParts, listParts, "NotImplemented", 501, "ListParts is not implemented by s3local"},
		{s3local.FeatureCopyObject, copyObject, "NotImplemented", 501, "CopyObject is not implemented by s3local"},
		{s3local.FeatureACL, putPublicRead, "NotImplemented", 501, "Header 'x-amz-acl' with value 'public-read' not implemented"},
		{s3local.FeatureCORS, preflight, "AccessDenied", 403, "CORSResponse: CORS is not enabled for this bucket."},
		{s3local.FeatureVirtualHost, virtualHostGet, "NoSuchBucket", 404, "The specified bucket does not exist"},
	}
	creds := []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}
	for _, tt := range tests {
		t.Run(string(tt.feature), func(t *testing.T) {
			full := start(t, s3local.Options{Credentials: creds})
			if code, status, msg := tt.call(t, full); status != 200 {
				t.Fatalf("on a server with %s: %s %d %q, want success", tt.feature, code, status, msg)
			}
			lacking := start(t, s3local.Options{Credentials: creds, Lacks: []s3local.Feature{tt.feature}})
			code, status, msg := tt.call(t, lacking)
			if code != tt.code || status != tt.status || msg != tt.msg {
				t.Errorf("without %s: %s %d %q, want %s %d %q", tt.feature, code, status, msg, tt.code, tt.status, tt.msg)
			}
		})
	}
}

// TestLacksPresignedWithoutCredentials: a server that checks no
// signature still refuses the URLs presigned with either version when it
// lacks presigned URLs, and answers the same requests unsigned.
func TestLacksPresignedWithoutCredentials(t *testing.T) {
	f := start(t, s3local.Options{Lacks: []s3local.Feature{s3local.FeaturePresignedURLs}})
	put(t, f.client(t), "p", []byte("data"))
	for _, tc := range []struct{ name, query, code string }{
		{"SigV4 presigned", "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00", "NotImplemented"},
		{"SigV2 presigned", "?AWSAccessKeyId=AKID&Expires=4102444800&Signature=x", "NotImplemented"},
		{"unsigned", "", ""},
	} {
		code, status, _ := rawAnswer(do(t, http.MethodGet, f.objectURL("p")+tc.query, nil, nil))
		if code != tc.code || tc.code == "" && status != 200 {
			t.Errorf("%s GET = %s %d, want %q", tc.name, code, status, tc.code)
		}
	}
}

// TestLacksOneChecksum: a server lacking one checksum algorithm takes the
// others, and unsigned bodies without any.
func TestLacksOneChecksum(t *testing.T) {
	f := start(t, s3local.Options{Lacks: []s3local.Feature{s3local.FeatureChecksumCRC64NVME, s3local.FeatureFullObjectCRC32}})
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmSha256} {
		if code, status, msg := putWithChecksum(alg)(t, f); status != 200 {
			t.Errorf("PutObject with %s: %s %d %s, want success", alg, code, status, msg)
		}
	}
	// A composite CRC32 upload is not a full-object one.
	_, err := f.client(t).CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket),
		Key: aws.String("c"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Errorf("a COMPOSITE CRC32 upload: %v", err)
	}
	put(t, f.client(t, func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired }), "plain", []byte("x"))
}

// TestIgnores: what Options.Ignores accepts is not honoured, and the
// client is not told.
func TestIgnores(t *testing.T) {
	creds := []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}
	t.Run("checksums", func(t *testing.T) {
		for _, ignore := range []bool{false, true} {
			opts := s3local.Options{}
			if ignore {
				opts.Ignores = []s3local.Feature{s3local.FeatureChecksums}
			}
			f := start(t, opts)
			wrong := crc32.ChecksumIEEE([]byte("other"))
			_, err := f.client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("k"),
				Body: strings.NewReader("data"), ChecksumCRC32: aws.String(base64.StdEncoding.EncodeToString([]byte{byte(wrong >> 24), byte(wrong >> 16), byte(wrong >> 8), byte(wrong)}))})
			_, stored := f.srv.Object(testBucket, "k")
			if ignore && (err != nil || !stored) || !ignore && (stored || err == nil) {
				t.Errorf("ignoring checksums %v: a wrong CRC32 gave %v, stored %v", ignore, err, stored)
			}
		}
	})
	t.Run("acl", func(t *testing.T) {
		f := start(t, s3local.Options{Credentials: creds, Ignores: []s3local.Feature{s3local.FeatureACL}})
		if _, status, _ := putPublicRead(t, f); status != 200 {
			t.Fatalf("a public-read PUT: %d", status)
		}
		if resp, _ := do(t, http.MethodGet, f.objectURL("pub"), nil, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an anonymous GET of the public-read object = %d, want 403 (the ACL was ignored)", resp.StatusCode)
		}
	})
	t.Run("encoding-type", func(t *testing.T) {
		f := start(t, s3local.Options{Ignores: []s3local.Feature{s3local.FeatureEncodingType}})
		put(t, f.client(t), "a b+c", []byte("x"))
		out, err := f.client(t).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), EncodingType: types.EncodingTypeUrl})
		if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a b+c" || out.EncodingType != "" {
			t.Errorf("listing with encoding-type=url ignored: %v %+v, want the key as it is", err, out)
		}
	})
}

// TestFeaturesUnknown: a feature New cannot turn off panics, so that a
// misspelt one never leaves a test running against a full server.
func TestFeaturesUnknown(t *testing.T) {
	for _, opts := range []s3local.Options{
		{Lacks: []s3local.Feature{"post-objects"}},
		{Ignores: []s3local.Feature{s3local.FeaturePostObject}},
		{Lacks: []s3local.Feature{s3local.FeatureACL}, Ignores: []s3local.Feature{s3local.FeatureACL}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", opts)
				}
			}()
			s3local.New(opts)
		}()
	}
}

// TestDateHeader: answers carry the server's clock (Options.Now), which
// is how a client measures its clock skew.
func TestDateHeader(t *testing.T) {
	when := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	f := start(t, s3local.Options{Now: func() time.Time { return when }})
	resp, _ := do(t, http.MethodGet, f.objectURL("missing"), nil, nil)
	if got := resp.Header.Get("Date"); got != "Wed, 02 Jan 2030 03:04:05 GMT" {
		t.Errorf("Date = %q, want the server's clock", got)
	}
}
