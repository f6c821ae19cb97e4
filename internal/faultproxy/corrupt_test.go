package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// chunkedBody frames payload as aws-chunked does: chunks of size bytes
// with a chunk-signature extension, a zero chunk and a trailer.
func chunkedBody(payload []byte, size int) []byte {
	var b bytes.Buffer
	for len(payload) > 0 {
		n := min(size, len(payload))
		fmt.Fprintf(&b, "%x;chunk-signature=%064d\r\n", n, 7)
		b.Write(payload[:n])
		b.WriteString("\r\n")
		payload = payload[n:]
	}
	b.WriteString("0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n")
	return b.Bytes()
}

// TestFlipper: exactly one byte changes, the payload byte asked for, in a
// plain body and in an aws-chunked one, whose framing stays intact,
// however the body is cut into reads.
func TestFlipper(t *testing.T) {
	payload := make([]byte, 70000)
	io.ReadFull(seeded("flip"), payload)
	for _, c := range []struct {
		name    string
		chunked bool
		after   int64
		want    int64 // payload offset flipped
	}{{"plain middle", false, 0, 35000}, {"plain first", false, -1, 0}, {"plain at", false, 69999, 69999},
		{"chunked middle", true, 0, 35000}, {"chunked first", true, -1, 0}, {"chunked chunk edge", true, 8192, 8192}, {"chunked last", true, 69999, 69999}} {
		for _, cut := range []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }, iotest.OneByteReader, iotest.HalfReader} {
			body := payload
			if c.chunked {
				body = chunkedBody(payload, 8192)
			}
			out, err := io.ReadAll(newFlipper(cut(bytes.NewReader(body)), c.chunked, int64(len(payload)), c.after))
			if err != nil {
				t.Fatal(err)
			}
			want := append([]byte(nil), payload...)
			want[c.want] ^= 0x01
			if c.chunked {
				want = chunkedBody(want, 8192)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("%s: the body is not the original with payload byte %d flipped", c.name, c.want)
			}
		}
	}
}

// tlsClient is an SDK client of the proxy over HTTPS, computing the
// SDK's default checksums (sent as trailers over HTTPS).
func tlsClient(p *Proxy, tg s3Target) *s3.Client {
	c := sdkClient(p.URL(), tg.key, tg.secret, tg.region)
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.TLSClientConfig = p.ClientTLS() })
	return s3.New(c.Options(), func(o *s3.Options) { o.HTTPClient = hc })
}

// TestCorruptCaught: a byte flipped in a PutObject is refused by the
// signature when the payload is signed (plain HTTP), and by the
// server's checksum check when it is not (HTTPS: the SDK's trailer
// checksum); either way nothing is stored. A byte flipped in a GetObject's
// answer fails the read, by the SDK's check of the object's checksum.
func TestCorruptCaught(t *testing.T) {
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			plain := startProxy(t, tg.endpoint, Options{Rules: []Rule{{Op: OpPutObject, Key: "bad*", Fault: Corrupt}}})
			secure := startProxy(t, tg.endpoint, Options{TLS: true, Rules: []Rule{
				{Op: OpPutObject, Key: "bad*", Fault: Corrupt}, {Op: OpGetObject, Key: "good", Fault: CorruptResponse}}})
			if !strings.HasPrefix(secure.URL(), "https://") {
				t.Fatalf("URL %s with TLS", secure.URL())
			}
			direct := sdkClient(tg.endpoint, tg.key, tg.secret, tg.region)
			bucket := fmt.Sprintf("faultproxy-c%d", time.Now().UnixNano()%1e9)
			if _, err := direct.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
				t.Fatal(err)
			}
			defer dropBucket(t, direct, bucket)
			body := make([]byte, 1<<20)
			io.ReadFull(seeded("corrupt"), body)
			for _, c := range []struct {
				c     *s3.Client
				key   string
				codes []string
			}{
				{sdkClient(plain.URL(), tg.key, tg.secret, tg.region), "bad-signed", []string{"XAmzContentSHA256Mismatch"}},
				// SeaweedFS answers InvalidDigest to a trailer checksum that does
				// not match.
				{tlsClient(secure, tg), "bad-trailer", []string{"BadDigest", "XAmzContentChecksumMismatch", "InvalidDigest"}},
			} {
				_, err := c.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(c.key), Body: bytes.NewReader(body)})
				var api smithy.APIError
				if !errors.As(err, &api) || !containsString(c.codes, api.ErrorCode()) {
					t.Errorf("%s: PutObject with a flipped byte = %v, want one of %v", c.key, err, c.codes)
				}
				if _, err := direct.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String(c.key)}); err == nil {
					t.Errorf("%s: stored although refused", c.key)
				}
			}
			if n := secure.Injected(OpPutObject, Corrupt) + plain.Injected(OpPutObject, Corrupt); n != 2 {
				t.Errorf("Injected(PutObject, Corrupt) = %d, want 2", n)
			}

			c := tlsClient(secure, tg)
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("good"), Body: bytes.NewReader(body)}); err != nil {
				t.Fatalf("PutObject through TLS: %v", err)
			}
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("good")})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err == nil {
				t.Errorf("a GetObject with a flipped byte read without error (equal: %v)", bytes.Equal(got, body))
			}
		})
	}
}

func containsString(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// TestCorruptRecordedWhenFlipped: Corrupt and CorruptResponse are
// recorded (Injected, Events) only when a byte was flipped: not for an
// empty body, a byte beyond the body, or a HEAD's answer.
func TestCorruptRecordedWhenFlipped(t *testing.T) {
	up := newUpstream(t)
	c := client(t)
	for _, tc := range []struct {
		name         string
		rule         Rule
		method, path string
		body         string
		want         int64
	}{
		{"empty request body", Rule{Op: OpPutObject, Fault: Corrupt}, "PUT", "/b/k", "", 0},
		{"byte beyond the request body", Rule{Op: OpPutObject, Fault: Corrupt, After: 100}, "PUT", "/b/k", "ten bytes!", 0},
		{"request body", Rule{Op: OpPutObject, Fault: Corrupt}, "PUT", "/b/k", "ten bytes!", 1},
		{"empty answer", Rule{Op: OpGetObject, Fault: CorruptResponse}, "GET", "/b/k", "", 0},
		{"HEAD answer", Rule{Op: OpHeadObject, Fault: CorruptResponse}, "HEAD", "/b/k?size=10", "", 0},
		{"answer body", Rule{Op: OpGetObject, Fault: CorruptResponse}, "GET", "/b/k?size=10", "", 1},
	} {
		p := startProxy(t, up.srv.URL, Options{Rules: []Rule{tc.rule}})
		req, _ := http.NewRequest(tc.method, p.URL()+tc.path, strings.NewReader(tc.body))
		if tc.body == "" {
			req.Body = http.NoBody
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n := p.Injected("", tc.rule.Fault); n != tc.want {
			t.Errorf("%s: Injected(%v) = %d, want %d", tc.name, tc.rule.Fault, n, tc.want)
		}
	}
}
