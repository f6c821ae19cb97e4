package s3local_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/s3local"
)

func crc32cb64(data []byte) string {
	v := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	return base64.StdEncoding.EncodeToString([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func crc32b64(data []byte) string {
	v := crc32.ChecksumIEEE(data)
	return base64.StdEncoding.EncodeToString([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// TestSDKChecksums puts objects with each checksum algorithm through the SDK
// (which computes and sends the checksum) and reads them back with
// checksum validation on.
func TestSDKChecksums(t *testing.T) {
	rec := &recorder{}
	f := start(t, s3local.Options{Intercept: rec.intercept})
	c := f.client(t)
	ctx := context.Background()
	body := bytes.Repeat([]byte("checksum me "), 1000)
	for _, alg := range []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
		types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
		t.Run(string(alg), func(t *testing.T) {
			key := "sum-" + string(alg)
			out, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(testBucket), Key: aws.String(key),
				Body: bytes.NewReader(body), ChecksumAlgorithm: alg,
			})
			if err != nil {
				t.Fatalf("PutObject(%q) = %v", key, err)
			}
			want := alg
			if want == "" {
				want = types.ChecksumAlgorithmCrc32 // the SDK's default
			}
			o, _ := f.srv.Object(testBucket, key)
			if o.Checksum.Algorithm != string(want) || o.Checksum.Type != "FULL_OBJECT" {
				t.Errorf("Object(%q) checksum = %s %s, want %s FULL_OBJECT", key, o.Checksum.Algorithm, o.Checksum.Type, want)
			}
			if out.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("PutObject ChecksumType = %q, want FULL_OBJECT", out.ChecksumType)
			}
			g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatalf("GetObject(%q) = %v", key, err)
			}
			got, err := io.ReadAll(g.Body) // the SDK validates the checksum at EOF
			g.Body.Close()
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("GetObject(%q) body: %d bytes, err %v", key, len(got), err)
			}
			sums := map[types.ChecksumAlgorithm]*string{
				types.ChecksumAlgorithmCrc32: g.ChecksumCRC32, types.ChecksumAlgorithmCrc32c: g.ChecksumCRC32C,
				types.ChecksumAlgorithmCrc64nvme: g.ChecksumCRC64NVME, types.ChecksumAlgorithmSha1: g.ChecksumSHA1,
				types.ChecksumAlgorithmSha256: g.ChecksumSHA256,
			}
			if got := aws.ToString(sums[want]); got != o.Checksum.Value || got == "" {
				t.Errorf("GetObject(%q) checksum %s = %q, want %q", key, want, got, o.Checksum)
			}
		})
	}
	// What the SDK sent over plain HTTP.
	for _, h := range rec.headers(s3local.OpPutObject)[:1] {
		t.Logf("SDK PutObject over http: x-amz-content-sha256=%q content-encoding=%q x-amz-checksum-crc32=%q x-amz-sdk-checksum-algorithm=%q x-amz-trailer=%q",
			h.Get("X-Amz-Content-Sha256"), h.Get("Content-Encoding"), h.Get("X-Amz-Checksum-Crc32"), h.Get("X-Amz-Sdk-Checksum-Algorithm"), h.Get("X-Amz-Trailer"))
	}
	if h := rec.headers(s3local.OpGetObject); len(h) > 0 {
		t.Logf("SDK GetObject: x-amz-checksum-mode=%q", h[0].Get("X-Amz-Checksum-Mode"))
	}
}

// TestSDKAWSChunked runs the SDK over TLS, where it sends aws-chunked bodies
// with a trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
func TestSDKAWSChunked(t *testing.T) {
	for _, withCreds := range []bool{false, true} {
		t.Run(fmt.Sprintf("credentials=%v", withCreds), func(t *testing.T) {
			rec := &recorder{}
			opts := s3local.Options{Intercept: rec.intercept, MinPartSize: 1}
			if withCreds {
				opts.Credentials = []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}
			}
			srv := s3local.New(opts)
			ts := httptest.NewTLSServer(srv)
			defer ts.Close()
			srv.CreateBucket(testBucket)
			c := newClient(ts.URL, func(o *s3.Options) { o.HTTPClient = ts.Client() })
			ctx := context.Background()
			body := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320000 bytes, several chunks
			for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
				types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
				key := "chunked-" + string(alg)
				_, err := c.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String(testBucket), Key: aws.String(key), Body: bytes.NewReader(body),
					ChecksumAlgorithm: alg, ContentEncoding: aws.String("gzip"),
				})
				if err != nil {
					t.Fatalf("PutObject(%q) = %v", key, err)
				}
				o, _ := srv.Object(testBucket, key)
				if !bytes.Equal(o.Body, body) || o.Checksum.Algorithm != string(alg) {
					t.Errorf("Object(%q) = %d bytes, checksum %s, want %d bytes, %s", key, len(o.Body), o.Checksum.Algorithm, len(body), alg)
				}
				if got := o.Header.Get("Content-Encoding"); got != "gzip" {
					t.Errorf("Object(%q) Content-Encoding = %q, want %q", key, got, "gzip")
				}
			}
			h := rec.headers(s3local.OpPutObject)[0]
			if got := h.Get("X-Amz-Content-Sha256"); got != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
				t.Errorf("SDK over TLS sent x-amz-content-sha256 %q, want STREAMING-UNSIGNED-PAYLOAD-TRAILER", got)
			}
			t.Logf("SDK PutObject over https: x-amz-content-sha256=%q content-encoding=%q x-amz-trailer=%q x-amz-decoded-content-length=%q",
				h.Get("X-Amz-Content-Sha256"), strings.Join(h.Values("Content-Encoding"), ","), h.Get("X-Amz-Trailer"), h.Get("X-Amz-Decoded-Content-Length"))

			// Multipart over TLS: parts are aws-chunked too.
			cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("mp"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
			if err != nil {
				t.Fatalf("CreateMultipartUpload = %v", err)
			}
			var parts []types.CompletedPart
			for i := int32(1); i <= 2; i++ {
				up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String("mp"), UploadId: cu.UploadId,
					PartNumber: aws.Int32(i), Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
				if err != nil {
					t.Fatalf("UploadPart(%d) = %v", i, err)
				}
				parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i), ETag: up.ETag, ChecksumCRC32C: up.ChecksumCRC32C})
			}
			done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("mp"),
				UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			if err != nil {
				t.Fatalf("CompleteMultipartUpload = %v", err)
			}
			if !strings.HasSuffix(aws.ToString(done.ChecksumCRC32C), "-2") || done.ChecksumType != types.ChecksumTypeComposite {
				t.Errorf("CompleteMultipartUpload checksum = %q %q, want COMPOSITE ...-2", aws.ToString(done.ChecksumCRC32C), done.ChecksumType)
			}
		})
	}
}

// chunkedBody frames data as an unsigned aws-chunked body with a trailer.
func chunkedBody(data []byte, chunk int, trailer string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(chunk, len(data))
		fmt.Fprintf(&b, "%x\r\n", n)
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	b.WriteString("0\r\n")
	if trailer != "" {
		b.WriteString(trailer + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func TestRawAWSChunked(t *testing.T) {
	f := start(t, s3local.Options{})
	data := []byte("hello aws-chunked world, with several chunks")
	good := "x-amz-checksum-crc32:" + crc32b64(data)
	unsigned := map[string]string{
		"X-Amz-Content-Sha256":         "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
		"Content-Encoding":             "aws-chunked",
		"X-Amz-Decoded-Content-Length": strconv.Itoa(len(data)),
		"X-Amz-Trailer":                "x-amz-checksum-crc32",
	}
	with := func(m map[string]string, k, v string) map[string]string {
		out := map[string]string{}
		for a, b := range m {
			out[a] = b
		}
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name   string
		body   []byte
		header map[string]string
		status int
		code   string
	}{
		{"good trailer", chunkedBody(data, 7, good), unsigned, 200, ""},
		{"good, one chunk", chunkedBody(data, 1000, good), unsigned, 200, ""},
		{"bad trailer checksum", chunkedBody(data, 7, "x-amz-checksum-crc32:AAAAAA=="), unsigned, 400, "BadDigest"},
		{"missing trailer", chunkedBody(data, 7, ""), unsigned, 400, "InvalidRequest"},
		{"no trailer declared", chunkedBody(data, 7, ""), with(unsigned, "X-Amz-Trailer", ""), 200, ""},
		{"checksum header instead", chunkedBody(data, 7, ""), with(with(unsigned, "X-Amz-Trailer", ""), "X-Amz-Checksum-Crc32", crc32b64(data)), 200, ""},
		{"short body", chunkedBody(data, 7, good)[:30], unsigned, 400, "IncompleteBody"},
		{"wrong decoded length", chunkedBody(data, 7, good), with(unsigned, "X-Amz-Decoded-Content-Length", "5"), 400, "InvalidRequest"},
		{"decoded length too big", chunkedBody(data, 7, good), with(unsigned, "X-Amz-Decoded-Content-Length", "500"), 400, "IncompleteBody"},
		{"missing decoded length", chunkedBody(data, 7, good), with(unsigned, "X-Amz-Decoded-Content-Length", ""), 411, "MissingContentLength"},
		{"bad chunk size", []byte("zz\r\nabc\r\n0\r\n\r\n"), unsigned, 400, "InvalidRequest"},
		{"content-encoding only", chunkedBody(data, 9, ""), map[string]string{"Content-Encoding": "aws-chunked,gzip", "X-Amz-Decoded-Content-Length": strconv.Itoa(len(data))}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := strings.ReplaceAll(tt.name, " ", "-")
			resp, body := do(t, http.MethodPut, f.objectURL(key), tt.body, tt.header)
			if resp.StatusCode != tt.status || !hasCode(body, tt.code) {
				t.Fatalf("PUT %s = %d %s, want %d %s", tt.name, resp.StatusCode, body, tt.status, tt.code)
			}
			o, ok := f.srv.Object(testBucket, key)
			if tt.status != 200 {
				if ok {
					t.Errorf("Object(%q) stored after a failed PUT", key)
				}
				return
			}
			if !bytes.Equal(o.Body, data) {
				t.Errorf("Object(%q) body = %q, want %q", key, o.Body, data)
			}
			if ce := o.Header.Get("Content-Encoding"); strings.Contains(ce, "aws-chunked") {
				t.Errorf("Object(%q) Content-Encoding = %q, want aws-chunked stripped", key, ce)
			}
		})
	}
}

func TestRawChecksums(t *testing.T) {
	f := start(t, s3local.Options{})
	data := []byte("The quick brown fox jumps over the lazy dog")
	tests := []struct {
		name   string
		header map[string]string
		status int
		code   string
	}{
		{"crc32 ok", map[string]string{"X-Amz-Checksum-Crc32": crc32b64(data)}, 200, ""},
		{"crc32 bad", map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="}, 400, "BadDigest"},
		{"crc32 malformed", map[string]string{"X-Amz-Checksum-Crc32": "nope"}, 400, "InvalidRequest"},
		{"crc32c ok", map[string]string{"X-Amz-Checksum-Crc32c": crc32cb64(data)}, 200, ""},
		{"sha1 ok", map[string]string{"X-Amz-Checksum-Sha1": "L9ThxnotKPzthJ7hu3bnORuT6xI="}, 200, ""},
		{"sha256 ok", map[string]string{"X-Amz-Checksum-Sha256": "16j7swfXgJRpypq8sAguT41WUeRtPNt2LQLQvzfJ5ZI="}, 200, ""},
		{"sha256 bad", map[string]string{"X-Amz-Checksum-Sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}, 400, "BadDigest"},
		{"two checksums", map[string]string{"X-Amz-Checksum-Crc32": crc32b64(data), "X-Amz-Checksum-Sha1": "L9ThxnotKPzthJ7hu3bnORuT6xI="}, 400, "InvalidRequest"},
		{"content-md5 ok", map[string]string{"Content-MD5": "nhB9nTcrtoJr2B01QqQZ1g=="}, 200, ""},
		{"content-md5 bad", map[string]string{"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}, 400, "BadDigest"},
		{"content-md5 malformed", map[string]string{"Content-MD5": "xyz"}, 400, "InvalidDigest"},
		{"sha256 payload ok", map[string]string{"X-Amz-Content-Sha256": "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"}, 200, ""},
		{"sha256 payload bad", map[string]string{"X-Amz-Content-Sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}, 400, "XAmzContentSHA256Mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := strings.ReplaceAll(tt.name, " ", "-")
			resp, body := do(t, http.MethodPut, f.objectURL(key), data, tt.header)
			if resp.StatusCode != tt.status || !hasCode(body, tt.code) {
				t.Fatalf("PUT %s = %d %s, want %d %s", tt.name, resp.StatusCode, body, tt.status, tt.code)
			}
			if tt.status != 200 {
				return
			}
			for name, v := range tt.header {
				if strings.HasPrefix(name, "X-Amz-Checksum-") && resp.Header.Get(name) != v {
					t.Errorf("PUT %s response %s = %q, want %q", tt.name, name, resp.Header.Get(name), v)
				}
			}
			// HEAD returns the checksum only when asked.
			h, _ := do(t, http.MethodHead, f.objectURL(key), nil, nil)
			if v := h.Header.Get("X-Amz-Checksum-Type"); v != "" {
				t.Errorf("HEAD without checksum mode: x-amz-checksum-type = %q, want none", v)
			}
			h, _ = do(t, http.MethodHead, f.objectURL(key), nil, map[string]string{"X-Amz-Checksum-Mode": "ENABLED"})
			if v := h.Header.Get("X-Amz-Checksum-Type"); v != "FULL_OBJECT" {
				t.Errorf("HEAD with checksum mode: x-amz-checksum-type = %q, want FULL_OBJECT", v)
			}
		})
	}
}
