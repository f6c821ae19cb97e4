package s3local_test

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/s3local"
)

// The requests S3 refuses, refused with S3's answer.

// signedStart runs a server that checks signatures.
func signedStart(t *testing.T) *fixture {
	t.Helper()
	return start(t, s3local.Options{Credentials: []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}})
}

const notSigned = "<Code>AccessDenied</Code><Message>There were headers present in the request which were not signed</Message>"

// TestUnsignedHeadersPresigned: a presigned PUT may not carry an x-amz-*
// header its signature leaves out (but x-amz-content-sha256, as S3
// allows); Content-Type and Content-MD5 may be unsigned.
func TestUnsignedHeadersPresigned(t *testing.T) {
	f := signedStart(t)
	ps := s3.NewPresignClient(f.client(t))
	req, err := ps.PresignPutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("up")})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte("data"))
	tests := []struct {
		header map[string]string
		status int
		want   string
	}{
		{map[string]string{"X-Amz-Acl": "public-read"}, 403, notSigned + "<HeadersNotSigned>x-amz-acl</HeadersNotSigned>"},
		{map[string]string{"X-Amz-Meta-Owner": "mallory", "X-Amz-Tagging": "a=b"}, 403, "<HeadersNotSigned>x-amz-meta-owner, x-amz-tagging</HeadersNotSigned>"},
		{map[string]string{"X-Amz-Storage-Class": "GLACIER"}, 403, "<HeadersNotSigned>x-amz-storage-class</HeadersNotSigned>"},
		{map[string]string{"X-Amz-Website-Redirect-Location": "https://evil.example/"}, 403, "<HeadersNotSigned>x-amz-website-redirect-location</HeadersNotSigned>"},
		{map[string]string{"X-Amz-Copy-Source": "/bucket/secret"}, 403, "<HeadersNotSigned>x-amz-copy-source</HeadersNotSigned>"},
		{map[string]string{"Content-Type": "text/csv", "Content-Md5": base64.StdEncoding.EncodeToString(sum[:]), "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}, 200, ""},
	}
	for _, tt := range tests {
		resp, body := do(t, http.MethodPut, req.URL, []byte("data"), tt.header)
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("presigned PUT with %v = %d %s, want %d %s", tt.header, resp.StatusCode, body, tt.status, tt.want)
		}
		o, ok := f.srv.Object(testBucket, "up")
		if ok != (tt.status == 200) || ok && (o.ACL != "" || o.Header.Get("Content-Type") != "text/csv") {
			t.Errorf("after a presigned PUT with %v: object %v %+v", tt.header, ok, o.ObjectInfo)
		}
	}
}

// TestUnsignedHeadersSigned: a request signed in its Authorization header
// may not carry an x-amz-* header the signature leaves out, not even
// x-amz-content-sha256; an unsigned Content-Type is accepted, as S3 does.
func TestUnsignedHeadersSigned(t *testing.T) {
	f := signedStart(t)
	send := func(key string, signed, after map[string]string) (*http.Response, string) {
		r, _ := http.NewRequest(http.MethodPut, f.objectURL(key), strings.NewReader("data"))
		for k, v := range signed {
			r.Header.Set(k, v)
		}
		hash := sha256.Sum256([]byte("data"))
		if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(),
			aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}, r, hex.EncodeToString(hash[:]), "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		for k, v := range after {
			r.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	hash := sha256.Sum256([]byte("data"))
	payload := map[string]string{"X-Amz-Content-Sha256": hex.EncodeToString(hash[:])}
	tests := []struct {
		name          string
		signed, after map[string]string
		status        int
		want          string
	}{
		{"all signed", payload, nil, 200, ""},
		{"x-amz-acl added", payload, map[string]string{"X-Amz-Acl": "public-read"}, 403, notSigned + "<HeadersNotSigned>x-amz-acl</HeadersNotSigned>"},
		{"payload hash unsigned", nil, payload, 403, "<HeadersNotSigned>x-amz-content-sha256</HeadersNotSigned>"},
		{"Content-Type added", payload, map[string]string{"Content-Type": "text/csv"}, 200, ""},
	}
	for _, tt := range tests {
		key := strings.ReplaceAll(tt.name, " ", "-")
		resp, body := send(key, tt.signed, tt.after)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s: PUT = %d %s, want %d %s", tt.name, resp.StatusCode, body, tt.status, tt.want)
		}
		if _, ok := f.srv.Object(testBucket, key); ok != (tt.status == 200) {
			t.Errorf("%s: the object exists: %v", tt.name, ok)
		}
	}
}

// TestHeaderSizes: 2 KiB of user metadata (names without x-amz-meta-, and
// values) at most, 8 KiB of request line and headers at most, as S3.
func TestHeaderSizes(t *testing.T) {
	f := start(t, s3local.Options{})
	meta := func(n int) map[string]string { return map[string]string{"X-Amz-Meta-K": strings.Repeat("v", n-1)} }
	tests := []struct {
		name   string
		header map[string]string
		status int
		want   string
	}{
		{"2 KiB of metadata", meta(2048), 200, ""},
		{"a byte more", meta(2049), 400, "<Code>MetadataTooLarge</Code>"},
		{"7 KiB of Cache-Control", map[string]string{"Cache-Control": strings.Repeat("c", 7<<10)}, 200, ""},
		{"9 KiB of Cache-Control", map[string]string{"Cache-Control": strings.Repeat("c", 9<<10)}, 400,
			"<Code>RequestHeaderSectionTooLarge</Code><Message>Your request header section exceeds the maximum allowed size.</Message><MaxSizeAllowed>8192</MaxSizeAllowed>"},
		{"9 KiB of cookies of other localhost servers", map[string]string{"Cookie": strings.Repeat("c", 9<<10)}, 200, ""},
	}
	for _, tt := range tests {
		resp, body := do(t, http.MethodPut, f.objectURL("m"), []byte("x"), tt.header)
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: PUT = %d %.300s, want %d %s", tt.name, resp.StatusCode, body, tt.status, tt.want)
		}
	}
	if o, _ := f.srv.Object(testBucket, "m"); len(o.Header.Get("Cache-Control")) != 0 {
		t.Errorf("the object's Cache-Control holds %d bytes, want none (the last PUT had none)", len(o.Header.Get("Cache-Control")))
	}
	// A listening server does not even read a 1 MiB header.
	srv, err := s3local.Start(s3local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.CreateBucket(testBucket)
	resp, _ := do(t, http.MethodPut, srv.URL()+"/"+testBucket+"/m", []byte("x"), map[string]string{"Cache-Control": strings.Repeat("c", 1<<20)})
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("PUT with 1 MiB of Cache-Control = %d, want 431", resp.StatusCode)
	}
}

// TestXMLBodyBounded: a CompleteMultipartUpload that declares a large
// body and sends a byte holds no more than what arrived; a larger
// declaration is refused before its body is read; an unknown upload is
// refused before its body is read, as S3 does.
func TestXMLBodyBounded(t *testing.T) {
	f := start(t, s3local.Options{})
	cu, err := f.client(t).CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		upload   string
		declared int
		status   int
		code     string
	}{
		{"3 MiB declared, 1 byte sent", aws.ToString(cu.UploadId), 3 << 20, 400, "IncompleteBody"},
		{"16 MiB declared", aws.ToString(cu.UploadId), 16 << 20, 400, "MaxMessageLengthExceeded"},
		{"unknown upload, 3 MiB declared", "nope", 3 << 20, 404, "NoSuchUpload"},
	}
	for _, tt := range tests {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		status, body := rawPost(t, f.ts.Listener.Addr().String(), "/"+testBucket+"/mp?uploadId="+tt.upload, tt.declared, "<")
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d, %d KiB allocated (client and server)", tt.name, status, alloc>>10)
		if status != tt.status || !hasCode([]byte(body), tt.code) {
			t.Errorf("%s: CompleteMultipartUpload = %d %s, want %d %s", tt.name, status, body, tt.status, tt.code)
		}
		if alloc > 1<<20 {
			t.Errorf("%s: %d KiB allocated, want well under the %d KiB declared", tt.name, alloc>>10, tt.declared>>10)
		}
	}
}

// rawPost sends a POST that declares a body of declared bytes, sends
// body, then closes its side of the connection, and returns the answer.
func rawPost(t *testing.T, addr, path string, declared int, body string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second)) // fails only on a hang
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", path, addr, declared, body)
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
