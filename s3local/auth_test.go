package s3local_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/s3local"
)

// The credentials and time of the examples in the S3 SigV4 documentation.
const (
	docKey    = "AKIAIOSFODNN7EXAMPLE"
	docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	docEmpty  = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

var docTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func docAuthz(signed, sig string) string {
	return "AWS4-HMAC-SHA256 Credential=" + docKey + "/20130524/us-east-1/s3/aws4_request,SignedHeaders=" + signed + ",Signature=" + sig
}

// docChunked returns the body of the documented aws-chunked examples:
// 65536 + 1024 bytes of 'a' with the given chunk signatures and trailer.
func docChunked(sigs [3]string, trailer string) []byte {
	var b bytes.Buffer
	for i, n := range []int{65536, 1024, 0} {
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", n, sigs[i])
		if n > 0 {
			b.Write(bytes.Repeat([]byte{'a'}, n))
			b.WriteString("\r\n")
		}
	}
	b.WriteString(trailer)
	b.WriteString("\r\n")
	return b.Bytes()
}

// TestSigV4DocumentedExamples replays the requests of the AWS documentation
// ("Signature Calculations for the Authorization Header", "Query string
// authentication", "Transferring Payload in Multiple Chunks" with and
// without trailer), whose signatures no code of this package produced.
func TestSigV4DocumentedExamples(t *testing.T) {
	clk := &clock{t: docTime}
	srv := s3local.New(s3local.Options{
		Domain:      "s3.amazonaws.com",
		Credentials: []s3local.Credential{{AccessKeyID: docKey, SecretAccessKey: docSecret}},
		Now:         clk.Now,
	})
	ts := newTestServer(t, srv)
	srv.CreateBucket("examplebucket")
	srv.PutObject("examplebucket", "test.txt", []byte("0123456789abcdefghij"), nil)
	srv.PutObject("examplebucket", "Jack", []byte("j"), nil)
	srv.PutObject("examplebucket", "Joe", []byte("j"), nil)
	srv.PutObject("examplebucket", "Jz", []byte("j"), nil)
	vhost := "examplebucket.s3.amazonaws.com"
	chunkSigs := [3]string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	trailerSigs := [3]string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}
	trailer := "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
	badChunk := chunkSigs
	badChunk[1] = strings.Repeat("0", 64)
	chunkHeaders := func(sha, signed, seed string) map[string]string {
		h := map[string]string{
			"Host":                         "s3.amazonaws.com",
			"Content-Encoding":             "aws-chunked",
			"X-Amz-Content-Sha256":         sha,
			"X-Amz-Date":                   "20130524T000000Z",
			"X-Amz-Decoded-Content-Length": "66560",
			"X-Amz-Storage-Class":          "REDUCED_REDUNDANCY",
			"Authorization":                docAuthz(signed, seed),
		}
		if strings.HasSuffix(sha, "TRAILER") {
			h["X-Amz-Trailer"] = "x-amz-checksum-crc32c"
		}
		return h
	}
	const chunkSigned = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class"
	const trailerSigned = "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer"
	const chunkSeed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	const trailerSeed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
	presigned := "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

	tests := []struct {
		name   string
		now    time.Time
		method string
		path   string
		header map[string]string
		body   []byte
		status int
		code   string
	}{
		{"GET object with range", docTime, "GET", "/test.txt", map[string]string{
			"Host": vhost, "Range": "bytes=0-9", "X-Amz-Content-Sha256": docEmpty, "X-Amz-Date": "20130524T000000Z",
			"Authorization": docAuthz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
		}, nil, 206, ""},
		{"GET object 15 minutes later", docTime.Add(15 * time.Minute), "GET", "/test.txt", map[string]string{
			"Host": vhost, "Range": "bytes=0-9", "X-Amz-Content-Sha256": docEmpty, "X-Amz-Date": "20130524T000000Z",
			"Authorization": docAuthz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
		}, nil, 206, ""},
		{"GET object too late", docTime.Add(16 * time.Minute), "GET", "/test.txt", map[string]string{
			"Host": vhost, "Range": "bytes=0-9", "X-Amz-Content-Sha256": docEmpty, "X-Amz-Date": "20130524T000000Z",
			"Authorization": docAuthz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
		}, nil, 403, "RequestTimeTooSkewed"},
		{"GET object, other range", docTime, "GET", "/test.txt", map[string]string{
			"Host": vhost, "Range": "bytes=0-8", "X-Amz-Content-Sha256": docEmpty, "X-Amz-Date": "20130524T000000Z",
			"Authorization": docAuthz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
		}, nil, 403, "SignatureDoesNotMatch"},
		{"PUT object with $ in key", docTime, "PUT", "/test$file.text", map[string]string{
			"Host": vhost, "Date": "Fri, 24 May 2013 00:00:00 GMT", "X-Amz-Date": "20130524T000000Z", "X-Amz-Storage-Class": "REDUCED_REDUNDANCY",
			"X-Amz-Content-Sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			"Authorization":        docAuthz("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
		}, []byte("Welcome to Amazon S3."), 200, ""},
		{"PUT object, other body", docTime, "PUT", "/test$file.text", map[string]string{
			"Host": vhost, "Date": "Fri, 24 May 2013 00:00:00 GMT", "X-Amz-Date": "20130524T000000Z", "X-Amz-Storage-Class": "REDUCED_REDUNDANCY",
			"X-Amz-Content-Sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			"Authorization":        docAuthz("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
		}, []byte("Welcome to Amazon S4."), 400, "XAmzContentSHA256Mismatch"},
		// A version 1 listing, signed as the documentation signs it.
		{"list objects", docTime, "GET", "/?max-keys=2&prefix=J", map[string]string{
			"Host": vhost, "X-Amz-Content-Sha256": docEmpty, "X-Amz-Date": "20130524T000000Z",
			"Authorization": docAuthz("host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
		}, nil, 200, ""},
		{"list objects, bad signature", docTime, "GET", "/?max-keys=2&prefix=J", map[string]string{
			"Host": vhost, "X-Amz-Content-Sha256": docEmpty, "X-Amz-Date": "20130524T000000Z",
			"Authorization": docAuthz("host;x-amz-content-sha256;x-amz-date", "44b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
		}, nil, 403, "SignatureDoesNotMatch"},
		{"presigned GET", docTime.Add(24 * time.Hour), "GET", presigned, map[string]string{"Host": vhost}, nil, 200, ""},
		{"presigned GET expired", docTime.Add(24*time.Hour + time.Second), "GET", presigned, map[string]string{"Host": vhost}, nil, 403, "AccessDenied"},
		{"presigned GET not yet valid", docTime.Add(-16 * time.Minute), "GET", presigned, map[string]string{"Host": vhost}, nil, 403, "AccessDenied"},
		{"presigned GET other key", docTime, "GET", strings.Replace(presigned, "test.txt", "Jack", 1), map[string]string{"Host": vhost}, nil, 403, "SignatureDoesNotMatch"},
		{"signed chunks", docTime, "PUT", "/examplebucket/chunkObject.txt",
			chunkHeaders("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", chunkSigned, chunkSeed), docChunked(chunkSigs, ""), 200, ""},
		{"signed chunks, bad chunk signature", docTime, "PUT", "/examplebucket/chunkObject.txt",
			chunkHeaders("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", chunkSigned, chunkSeed), docChunked(badChunk, ""), 403, "SignatureDoesNotMatch"},
		{"signed chunks and trailer", docTime, "PUT", "/examplebucket/chunkObject.txt",
			chunkHeaders("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", trailerSigned, trailerSeed), docChunked(trailerSigs, trailer), 200, ""},
		{"signed chunks, tampered trailer", docTime, "PUT", "/examplebucket/chunkObject.txt",
			chunkHeaders("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", trailerSigned, trailerSeed),
			docChunked(trailerSigs, strings.Replace(trailer, "sOO8/Q==", "AAAAAA==", 1)), 403, "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(tt.now)
			resp, body := do(t, tt.method, ts.URL+tt.path, tt.body, tt.header)
			if resp.StatusCode != tt.status || !hasCode(body, tt.code) {
				t.Fatalf("%s %s = %d %s, want %d %s", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.code)
			}
		})
	}
	if len(body(t, srv, "examplebucket", "chunkObject.txt")) != 66560 {
		t.Errorf("chunkObject.txt not stored whole")
	}
	if got := string(body(t, srv, "examplebucket", "test$file.text")); got != "Welcome to Amazon S3." {
		t.Errorf("Object(%q) = %q, want %q", "test$file.text", got, "Welcome to Amazon S3.")
	}
}

func body(t *testing.T, srv *s3local.Server, bucket, key string) []byte {
	t.Helper()
	o, ok := srv.Object(bucket, key)
	if !ok {
		t.Fatalf("Object(%q, %q) missing", bucket, key)
	}
	return o.Body
}

func TestSigV4SDK(t *testing.T) {
	clk := &clock{t: time.Now()}
	f := start(t, s3local.Options{
		Credentials: []s3local.Credential{
			{AccessKeyID: testKey, SecretAccessKey: testSecret},
			{AccessKeyID: "AKIDSESSION", SecretAccessKey: "s2", SessionToken: "tok"},
		},
		Now: clk.Now,
	})
	ctx := context.Background()
	good := f.client(t)
	keys := []string{"plain", "a b/c+d~e%f$g&h=i;j,k@l", "ünï/日本語", "x//y/./z/../w", "q?r#s", "*'()!"}
	for _, k := range keys {
		put(t, good, k, []byte(k))
		if got := string(get(t, good, k)); got != k {
			t.Errorf("GetObject(%q) = %q, want %q", k, got, k)
		}
	}
	if _, err := good.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), Prefix: aws.String("a b/"), Delimiter: aws.String("/")}); err != nil {
		t.Errorf("ListObjectsV2 = %v", err)
	}
	// Virtual-hosted style is signed with another host.
	if got := string(get(t, f.vhostClient(t), "plain")); got != "plain" {
		t.Errorf("vhost GetObject(%q) = %q", "plain", got)
	}

	tests := []struct {
		name   string
		client *s3.Client
		skew   time.Duration
		code   string
		status int
	}{
		{"wrong secret", f.client(t, func(o *s3.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(testKey, "wrong", "")
		}), 0, "SignatureDoesNotMatch", 403},
		{"unknown key", f.client(t, func(o *s3.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider("AKIDNOPE", testSecret, "")
		}), 0, "InvalidAccessKeyId", 403},
		{"server clock ahead", good, 20 * time.Minute, "RequestTimeTooSkewed", 403},
		{"server clock behind", good, -20 * time.Minute, "RequestTimeTooSkewed", 403},
		{"session token", f.client(t, func(o *s3.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider("AKIDSESSION", "s2", "tok")
		}), 0, "", 0},
		{"missing session token", f.client(t, func(o *s3.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider("AKIDSESSION", "s2", "")
		}), 0, "InvalidToken", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(time.Now().Add(tt.skew))
			if tt.code == "" {
				_, err := tt.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("plain")})
				if err != nil {
					t.Fatalf("HeadObject = %v, want success", err)
				}
				return
			}
			client := tt.client
			if tt.skew != 0 {
				// A new client: the SDK corrects its clock by the Date of
				// the answers it got, as from S3.
				client = f.client(t)
			}
			_, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("plain")})
			wantError(t, "GetObject", err, tt.code, tt.status)
		})
	}
	clk.Set(time.Now())

	t.Run("anonymous", func(t *testing.T) {
		resp, body := do(t, http.MethodGet, f.objectURL("plain"), nil, nil)
		if resp.StatusCode != 403 || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
			t.Errorf("anonymous GET = %d %s, want 403 AccessDenied", resp.StatusCode, body)
		}
	})
	t.Run("wrong region", func(t *testing.T) {
		f2 := start(t, s3local.Options{Region: "eu-west-1", Credentials: []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}})
		_, err := f2.client(t).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)})
		wantError(t, "ListObjectsV2", err, "AuthorizationHeaderMalformed", 400)
		_, err = f2.client(t, func(o *s3.Options) { o.Region = "eu-west-1" }).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)})
		if err != nil {
			t.Errorf("ListObjectsV2 in eu-west-1 = %v", err)
		}
	})
}

func TestPresignedURLs(t *testing.T) {
	clk := &clock{t: time.Now()}
	f := start(t, s3local.Options{
		Credentials: []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}},
		Now:         clk.Now,
	})
	ctx := context.Background()
	c := f.client(t)
	put(t, c, "dir/file one.txt", []byte("presigned content"))
	pc := s3.NewPresignClient(c)

	req, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(testBucket), Key: aws.String("dir/file one.txt"),
		ResponseContentType: aws.String("text/x-test"),
	}, s3.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatalf("PresignGetObject = %v", err)
	}
	u, _ := url.Parse(req.URL)
	tamper := func(fn func(q url.Values)) string {
		v := *u
		q := v.Query()
		fn(q)
		v.RawQuery = q.Encode()
		return v.String()
	}
	tests := []struct {
		name   string
		url    string
		now    time.Time
		status int
		code   string
	}{
		{"valid", req.URL, time.Now(), 200, ""},
		{"just before expiry", req.URL, time.Now().Add(59 * time.Minute), 200, ""},
		{"expired", req.URL, time.Now().Add(61 * time.Minute), 403, "AccessDenied"},
		{"other key", strings.Replace(req.URL, "file%20one", "file%20two", 1), time.Now(), 403, "SignatureDoesNotMatch"},
		{"tampered signature", tamper(func(q url.Values) { q.Set("X-Amz-Signature", strings.Repeat("0", 64)) }), time.Now(), 403, "SignatureDoesNotMatch"},
		{"extra parameter", tamper(func(q url.Values) { q.Set("response-content-type", "text/evil") }), time.Now(), 403, "SignatureDoesNotMatch"},
		{"longer expiry", tamper(func(q url.Values) { q.Set("X-Amz-Expires", "7200") }), time.Now(), 403, "SignatureDoesNotMatch"},
		{"expiry over a week", tamper(func(q url.Values) { q.Set("X-Amz-Expires", "604801") }), time.Now(), 400, "AuthorizationQueryParametersError"},
		{"unknown key", tamper(func(q url.Values) {
			q.Set("X-Amz-Credential", strings.Replace(q.Get("X-Amz-Credential"), testKey, "AKIDNOPE", 1))
		}), time.Now(), 403, "InvalidAccessKeyId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(tt.now)
			resp, body := do(t, http.MethodGet, tt.url, nil, nil)
			if resp.StatusCode != tt.status || !hasCode(body, tt.code) {
				t.Fatalf("GET presigned = %d %s, want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
			if tt.status == 200 {
				if string(body) != "presigned content" || resp.Header.Get("Content-Type") != "text/x-test" {
					t.Errorf("GET presigned = %q (Content-Type %q), want %q (text/x-test)", body, resp.Header.Get("Content-Type"), "presigned content")
				}
			}
			if tt.name == "expired" && !strings.Contains(string(body), "Request has expired") {
				t.Errorf("GET expired presigned = %s, want message %q", body, "Request has expired")
			}
		})
	}
	clk.Set(time.Now())

	t.Run("PUT", func(t *testing.T) {
		preq, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("uploaded")})
		if err != nil {
			t.Fatalf("PresignPutObject = %v", err)
		}
		hdr := map[string]string{}
		for k := range preq.SignedHeader {
			if !strings.EqualFold(k, "Host") {
				hdr[k] = preq.SignedHeader.Get(k)
			}
		}
		resp, body := do(t, preq.Method, preq.URL, []byte("via presigned PUT"), hdr)
		if resp.StatusCode != 200 {
			t.Fatalf("PUT presigned = %d %s", resp.StatusCode, body)
		}
		if got := string(get(t, c, "uploaded")); got != "via presigned PUT" {
			t.Errorf("GetObject(%q) = %q", "uploaded", got)
		}
	})
}

// TestSigV2 checks AWS Signature Version 2, which s3cmd's signurl uses,
// against the examples of the S3 documentation (a presigned URL and a
// signed header, virtual-hosted), then a path-style URL as s3cmd signs it.
func TestSigV2(t *testing.T) {
	clk := &clock{t: time.Date(2007, 3, 27, 19, 36, 42, 0, time.UTC)}
	srv := s3local.New(s3local.Options{Domain: "s3.amazonaws.com", Now: clk.Now,
		Credentials: []s3local.Credential{{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}})
	ts := newTestServer(t, srv)
	srv.CreateBucket("johnsmith")
	if _, err := srv.PutObject("johnsmith", "photos/puppy.jpg", []byte("woof"), nil); err != nil {
		t.Fatal(err)
	}
	vhost := map[string]string{"Host": "johnsmith.s3.amazonaws.com"}
	query := "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620"
	header := map[string]string{"Host": "johnsmith.s3.amazonaws.com", "Date": "Tue, 27 Mar 2007 19:36:42 +0000",
		"Authorization": "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="}
	sign := func(sts string) string {
		mac := hmac.New(sha1.New, []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
		mac.Write([]byte(sts))
		return url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	pathStyle := "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=" +
		sign("GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg")
	tests := []struct {
		name   string
		now    time.Time
		path   string
		header map[string]string
		status int
		code   string
	}{
		{"documented presigned URL", clk.t, query, vhost, 200, ""},
		{"documented presigned URL, expired", time.Unix(1175139621, 0), query, vhost, 403, "AccessDenied"},
		{"documented presigned URL, other key", clk.t, strings.Replace(query, "puppy", "kitten", 1), vhost, 403, "SignatureDoesNotMatch"},
		{"documented header", clk.t, "/photos/puppy.jpg", header, 200, ""},
		{"documented header, 16 minutes late", clk.t.Add(16 * time.Minute), "/photos/puppy.jpg", header, 403, "RequestTimeTooSkewed"},
		{"path style, as s3cmd signs", clk.t, pathStyle, nil, 200, ""},
		{"path style, unknown key", clk.t, strings.Replace(pathStyle, "AKIAIOSFODNN7EXAMPLE", "AKIDOTHER", 1), nil, 403, "InvalidAccessKeyId"},
		{"no Expires", clk.t, "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=x", nil, 403, "AccessDenied"},
	}
	for _, tt := range tests {
		clk.Set(tt.now)
		resp, body := do(t, http.MethodGet, ts.URL+tt.path, nil, tt.header)
		if resp.StatusCode != tt.status || !hasCode(body, tt.code) || tt.status == 200 && string(body) != "woof" {
			t.Errorf("%s: GET = %d %s, want %d %s", tt.name, resp.StatusCode, body, tt.status, tt.code)
		}
	}
}

// TestSigV2SecurityToken checks a SigV2 presigned URL made with temporary
// credentials: botocore signs x-amz-security-token as an x-amz header, then
// moves it into the query, and S3 signs the x-amz-* query parameters as
// headers. A token appended to a URL signed without it (s3cmd's signurl
// does not sign one), a missing token and a wrong one are refused.
func TestSigV2SecurityToken(t *testing.T) {
	const akid, secret, token = "ASIAEXAMPLE", "secret", "the/session+token"
	clk := &clock{t: time.Date(2007, 3, 27, 19, 36, 42, 0, time.UTC)}
	srv := s3local.New(s3local.Options{Now: clk.Now,
		Credentials: []s3local.Credential{{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token}}})
	ts := newTestServer(t, srv)
	srv.CreateBucket("johnsmith")
	if _, err := srv.PutObject("johnsmith", "puppy.jpg", []byte("woof"), nil); err != nil {
		t.Fatal(err)
	}
	sign := func(sts string) string {
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write([]byte(sts))
		return url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	const expires = "1175139620"
	base := "/johnsmith/puppy.jpg?AWSAccessKeyId=" + akid + "&Expires=" + expires
	withToken := func(tok string) string {
		return base + "&x-amz-security-token=" + url.QueryEscape(tok) +
			"&Signature=" + sign("GET\n\n\n"+expires+"\nx-amz-security-token:"+tok+"\n/johnsmith/puppy.jpg")
	}
	unsigned := base + "&Signature=" + sign("GET\n\n\n"+expires+"\n/johnsmith/puppy.jpg")
	tests := []struct {
		name   string
		path   string
		status int
		code   string
	}{
		{"token signed, as botocore presigns", withToken(token), 200, ""},
		{"token not signed, as s3cmd signurl", unsigned + "&x-amz-security-token=" + url.QueryEscape(token), 403, "SignatureDoesNotMatch"},
		{"token signed, then changed", strings.Replace(withToken(token), "session", "sessiom", 1), 403, "SignatureDoesNotMatch"},
		{"no token", unsigned, 400, "InvalidToken"},
		{"wrong token, signed", withToken("other"), 400, "InvalidToken"},
	}
	for _, tt := range tests {
		resp, body := do(t, http.MethodGet, ts.URL+tt.path, nil, nil)
		if resp.StatusCode != tt.status || !hasCode(body, tt.code) || tt.status == 200 && string(body) != "woof" {
			t.Errorf("%s: GET = %d %s, want %d %s", tt.name, resp.StatusCode, body, tt.status, tt.code)
		}
	}
}
