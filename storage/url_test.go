package storage

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// offlineClient is an API that is never called: URLs need no network.
type offlineClient struct{ API }

func newURLStorage(t testing.TB, o Options) *Storage {
	t.Helper()
	if o.BucketName == "" {
		o.BucketName = "bucket"
	}
	o.LookupEnv = noEnvironment
	st, err := NewWithClient(context.Background(), offlineClient{}, o)
	if err != nil {
		t.Fatalf("NewWithClient(%+v): %v", o, err)
	}
	return st
}

func TestPublicURL(t *testing.T) {
	off := Bool(false)
	for _, tc := range []struct {
		name string
		opts Options
		in   string
		uo   *URLOptions
		want string
	}{
		{"virtual default", Options{QuerystringAuth: off}, "a.txt", nil, "https://bucket.s3.us-east-1.amazonaws.com/a.txt"},
		{"region", Options{QuerystringAuth: off, RegionName: "eu-west-3"}, "a.txt", nil, "https://bucket.s3.eu-west-3.amazonaws.com/a.txt"},
		{"path", Options{QuerystringAuth: off, AddressingStyle: "path", RegionName: "eu-west-3"}, "a.txt", nil, "https://s3.eu-west-3.amazonaws.com/bucket/a.txt"},
		{"no ssl", Options{QuerystringAuth: off, UseSSL: Bool(false)}, "a.txt", nil, "http://bucket.s3.us-east-1.amazonaws.com/a.txt"},
		{"endpoint", Options{QuerystringAuth: off, EndpointURL: "http://127.0.0.1:8333", AddressingStyle: "path"}, "a.txt", nil, "http://127.0.0.1:8333/bucket/a.txt"},
		{"endpoint virtual", Options{QuerystringAuth: off, EndpointURL: "https://s3.example.net:9000/base"}, "a.txt", nil, "https://bucket.s3.example.net:9000/base/a.txt"},
		{"static flavour", Options{Static: true, Location: "static"}, "css/app.css", nil, "https://bucket.s3.us-east-1.amazonaws.com/static/css/app.css"},
		{"escaping", Options{QuerystringAuth: off, Location: "a b"}, "ü/x+y%z?#~!*'().txt", nil,
			"https://bucket.s3.us-east-1.amazonaws.com/a%20b/%C3%BC/x%2By%25z%3F%23~%21%2A%27%28%29.txt"},
		{"cleaned", Options{QuerystringAuth: off}, "./a//b.txt", nil, "https://bucket.s3.us-east-1.amazonaws.com/a/b.txt"},
		{"query in order", Options{QuerystringAuth: off}, "a.txt", &URLOptions{Query: [][2]string{{"z", "1"}, {"a b", "c&d"}}},
			"https://bucket.s3.us-east-1.amazonaws.com/a.txt?z=1&a%20b=c%26d"},
		{"response headers dropped", Options{QuerystringAuth: off}, "a.txt", &URLOptions{ResponseContentType: "text/plain"},
			"https://bucket.s3.us-east-1.amazonaws.com/a.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newURLStorage(t, tc.opts)
			got, err := st.URL(context.Background(), tc.in, tc.uo)
			if err != nil || got != tc.want {
				t.Errorf("URL(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
			}
			if st.SignsURLs() {
				t.Errorf("SignsURLs() = true for a public storage")
			}
		})
	}
}

func TestCustomDomainURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		in   string
		uo   *URLOptions
		want string
	}{
		{"plain", Options{CustomDomain: "cdn.example.com"}, "a.txt", nil, "https://cdn.example.com/a.txt"},
		{"location", Options{CustomDomain: "cdn.example.com", Location: "media"}, "a.txt", nil, "https://cdn.example.com/media/a.txt"},
		{"protocol", Options{CustomDomain: "cdn.example.com:8080", URLProtocol: "http:"}, "a.txt", nil, "http://cdn.example.com:8080/a.txt"},
		{"domain path", Options{CustomDomain: "cdn.example.com/assets/"}, "a.txt", nil, "https://cdn.example.com/assets/a.txt"},
		{"filepath_to_uri", Options{CustomDomain: "cdn.example.com"}, "a b/ü!*()'~_.-/+%?#&=;:@$,😀.txt", nil,
			"https://cdn.example.com/a%20b/%C3%BC!*()'~_.-/%2B%25%3F%23%26%3D%3B%3A%40%24%2C%F0%9F%98%80.txt"},
		{"query kept in order", Options{CustomDomain: "cdn.example.com"}, "a.txt",
			&URLOptions{Query: [][2]string{{"v", "2"}, {"a b", "x+y"}, {"v", "1"}}},
			"https://cdn.example.com/a.txt?v=2&a+b=x%2By&v=1"},
		{"response headers", Options{CustomDomain: "cdn.example.com"}, "a.txt",
			&URLOptions{ResponseContentDisposition: `attachment; filename="a.txt"`, Query: [][2]string{{"x", "1"}}},
			"https://cdn.example.com/a.txt?response-content-disposition=attachment%3B+filename%3D%22a.txt%22&x=1"},
		{"querystring_auth without signer", Options{CustomDomain: "cdn.example.com", QuerystringAuth: Bool(true)}, "a.txt", nil, "https://cdn.example.com/a.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newURLStorage(t, tc.opts)
			got, err := st.URL(context.Background(), tc.in, tc.uo)
			if err != nil || got != tc.want {
				t.Errorf("URL(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestCustomDomainErrors(t *testing.T) {
	for _, d := range []string{"https://cdn.example.com", "/cdn", "cdn.example.com?x=1", "cdn example", `cdn\x`} {
		t.Run(d, func(t *testing.T) {
			_, err := NewWithClient(context.Background(), offlineClient{}, Options{BucketName: "b", CustomDomain: d, LookupEnv: noEnvironment})
			if err == nil || !strings.Contains(err.Error(), "custom_domain") {
				t.Errorf("NewWithClient(custom_domain %q) error = %v, want one naming custom_domain", d, err)
			}
		})
	}
}

func TestURLOptionErrors(t *testing.T) {
	st := newURLStorage(t, Options{Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", "")})
	for _, tc := range []struct {
		name string
		uo   URLOptions
	}{
		{"negative expiry", URLOptions{Expire: -time.Second}},
		{"sub-second expiry", URLOptions{Expire: 500 * time.Millisecond}},
		{"over seven days", URLOptions{Expire: MaxExpire + time.Second}},
		{"method", URLOptions{Method: "POST"}},
		{"lower-case method", URLOptions{Method: "get"}},
		{"response headers on PUT", URLOptions{Method: "PUT", ResponseContentType: "text/plain"}},
		{"reserved query", URLOptions{Query: [][2]string{{"X-Amz-Signature", "x"}}}},
		{"reserved query case", URLOptions{Query: [][2]string{{"x-amz-date", "x"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if u, err := st.URL(context.Background(), "a.txt", &tc.uo); err == nil {
				t.Errorf("URL(%q, %+v) = %q, want an error", "a.txt", tc.uo, u)
			} else if !strings.HasPrefix(err.Error(), "storage: url ") {
				t.Errorf("URL error = %q, want it wrapped as storage: url ...", err)
			}
		})
	}
	if _, err := st.URL(context.Background(), "a.txt", &URLOptions{Expire: MaxExpire}); err != nil {
		t.Errorf("URL with a 7-day expiry: %v", err)
	}
}

func testRSAKey(t testing.TB) (*rsa.PrivateKey, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// verifyCloudFront checks a canned-policy signed URL as CloudFront does.
func verifyCloudFront(t *testing.T, pub *rsa.PublicKey, signed, keyID string) (resource string, expires int64) {
	t.Helper()
	i := strings.LastIndex(signed, "Expires=")
	if i < 1 {
		t.Fatalf("no Expires in %q", signed)
	}
	resource = signed[:i-1]
	q, err := url.ParseQuery(signed[i:])
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("Key-Pair-Id") != keyID {
		t.Errorf("Key-Pair-Id = %q, want %q", q.Get("Key-Pair-Id"), keyID)
	}
	fmt.Sscan(q.Get("Expires"), &expires)
	policy := fmt.Sprintf(`{"Statement":[{"Resource":%q,"Condition":{"DateLessThan":{"AWS:EpochTime":%d}}}]}`, resource, expires)
	sig := strings.NewReplacer("-", "+", "_", "=", "~", "/").Replace(q.Get("Signature"))
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		t.Fatalf("signature %q: %v", sig, err)
	}
	h := sha1.Sum([]byte(policy))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA1, h[:], raw); err != nil {
		t.Errorf("signature of %q does not verify: %v", signed, err)
	}
	return resource, expires
}

func TestCloudFrontURL(t *testing.T) {
	key, keyPEM := testRSAKey(t)
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	st := newURLStorage(t, Options{CustomDomain: "d111.cloudfront.net", Location: "media", CloudFrontKey: keyPEM, CloudFrontKeyID: "K2JCJMDEHXQW5F"})
	st.urls.now = func() time.Time { return now }
	if !st.SignsURLs() {
		t.Errorf("SignsURLs() = false for a CloudFront storage")
	}
	got, err := st.URL(context.Background(), "a b/ü.jpg", &URLOptions{Expire: 10 * time.Minute, ResponseContentType: "image/jpeg"})
	if err != nil {
		t.Fatal(err)
	}
	res, exp := verifyCloudFront(t, &key.PublicKey, got, "K2JCJMDEHXQW5F")
	if want := "https://d111.cloudfront.net/media/a%20b/%C3%BC.jpg?response-content-type=image%2Fjpeg"; res != want {
		t.Errorf("signed resource = %q, want %q", res, want)
	}
	if want := now.Add(10 * time.Minute).Unix(); exp != want {
		t.Errorf("Expires = %d, want %d", exp, want)
	}
	// The SDK's URLSigner gives the same bytes.
	want, _ := sign.NewURLSigner("K2JCJMDEHXQW5F", key).Sign(res, now.Add(10*time.Minute))
	if got != want {
		t.Errorf("URL = %q, want sign.URLSigner's %q", got, want)
	}
	// Hostile names are still refused.
	if _, err := st.URL(context.Background(), "../x", nil); !errors.Is(err, ErrInvalidName) {
		t.Errorf("URL(%q) error = %v, want ErrInvalidName", "../x", err)
	}
	// querystring_auth off: plain custom-domain URL, as the reference.
	plain := newURLStorage(t, Options{CustomDomain: "d111.cloudfront.net", CloudFrontKey: keyPEM, CloudFrontKeyID: "K", QuerystringAuth: Bool(false)})
	if u, _ := plain.URL(context.Background(), "a.txt", nil); u != "https://d111.cloudfront.net/a.txt" {
		t.Errorf("URL without querystring_auth = %q, want the plain URL", u)
	}
}

type recordingSigner struct {
	mu    sync.Mutex
	calls int
}

func (r *recordingSigner) Sign(u string, expires time.Time) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	return fmt.Sprintf("%s?Expires=%d&n=%d", u, expires.Unix(), r.calls), nil
}

func TestCloudFrontSignerOption(t *testing.T) {
	_, keyPEM := testRSAKey(t)
	ctx := context.Background()
	t.Run("replaced", func(t *testing.T) {
		rs := &recordingSigner{}
		st := newURLStorage(t, Options{CustomDomain: "cdn.example.com", CloudFrontSigner: rs})
		if u, _ := st.URL(ctx, "a.txt", nil); !strings.HasPrefix(u, "https://cdn.example.com/a.txt?Expires=") || rs.calls != 1 {
			t.Errorf("URL(%q) = %q after %d calls, want the replaced signer's URL", "a.txt", u, rs.calls)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		st := newURLStorage(t, Options{CustomDomain: "cdn.example.com", CloudFrontKey: keyPEM, CloudFrontKeyID: "K", CloudFrontSigner: NoCloudFrontSigner})
		if u, err := st.URL(ctx, "a.txt", nil); u != "https://cdn.example.com/a.txt" || err != nil {
			t.Errorf("URL(%q) = %q, %v, want the unsigned URL", "a.txt", u, err)
		}
		if st.SignsURLs() {
			t.Errorf("SignsURLs() = true with NoCloudFrontSigner")
		}
	})
	t.Run("memoised per window", func(t *testing.T) {
		rs := &recordingSigner{}
		st := newURLStorage(t, Options{CustomDomain: "cdn.example.com", CloudFrontSigner: rs, CloudFrontExpiryWindow: time.Minute, QuerystringExpire: time.Hour})
		now := time.Date(2025, 5, 1, 12, 0, 10, 0, time.UTC)
		st.urls.now = func() time.Time { return now }
		a, _ := st.URL(ctx, "a.txt", nil)
		now = now.Add(40 * time.Second) // same window
		b, _ := st.URL(ctx, "a.txt", nil)
		if a != b || rs.calls != 1 {
			t.Errorf("URL in one window = %q then %q after %d signatures, want one memoised URL", a, b, rs.calls)
		}
		if want := fmt.Sprintf("Expires=%d&", time.Date(2025, 5, 1, 13, 0, 0, 0, time.UTC).Unix()); !strings.Contains(a, want) {
			t.Errorf("URL = %q, want the expiry of the window's start (%s)", a, want)
		}
		now = now.Add(time.Minute) // next window
		if c, _ := st.URL(ctx, "a.txt", nil); c == a || rs.calls != 2 {
			t.Errorf("URL in the next window = %q, want a new signature", c)
		}
		// A per-call expiry bypasses the memo.
		st.URL(ctx, "a.txt", &URLOptions{Expire: time.Minute})
		st.URL(ctx, "a.txt", &URLOptions{Expire: time.Minute})
		if rs.calls != 4 {
			t.Errorf("%d signatures, want 4 (per-call expiry not memoised)", rs.calls)
		}
	})
	t.Run("bad window", func(t *testing.T) {
		_, err := NewWithClient(ctx, offlineClient{}, Options{BucketName: "b", CloudFrontExpiryWindow: 1500 * time.Millisecond, LookupEnv: noEnvironment})
		if err == nil {
			t.Errorf("NewWithClient with a 1.5 s window succeeded")
		}
	})
}

// TestPresignCustomDomain: SigV4 through a custom domain is the presign
// of that domain as an endpoint.
func TestPresignCustomDomain(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	creds := credentials.NewStaticCredentialsProvider("AK", "SK", "")
	for _, tc := range []struct {
		name, domain, protocol string
		client                 s3.Options
	}{
		{"path style through a proxy", "files.example.com/bucket", "https:", s3.Options{Region: "us-east-1", Credentials: creds, UsePathStyle: true, BaseEndpoint: ptr("https://files.example.com")}},
		{"virtual host", "bucket.files.example.com:8443", "https:", s3.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: ptr("https://files.example.com:8443")}},
		{"http", "127.0.0.1:8333/bucket", "http:", s3.Options{Region: "us-east-1", Credentials: creds, UsePathStyle: true, BaseEndpoint: ptr("http://127.0.0.1:8333")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newURLStorage(t, Options{CustomDomain: tc.domain, URLProtocol: tc.protocol, PresignCustomDomain: Bool(true), Credentials: creds, Location: "m"})
			st.urls.now = func() time.Time { return now }
			pc := sdkPresigner(s3.New(tc.client), now)
			for _, name := range presignKeys(30) {
				key, _ := st.Key(name)
				want, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: ptr("bucket"), Key: &key}, s3.WithPresignExpires(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if got, err := st.URL(ctx, name, nil); err != nil || got != want.URL {
					t.Fatalf("URL(%q) = %q, %v, want %q", name, got, err, want.URL)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestURLEndpointErrorIsDeferred(t *testing.T) {
	// A region the endpoint rules refuse: New works, URL reports it.
	st := newURLStorage(t, Options{RegionName: "not a region!", QuerystringAuth: Bool(false)})
	if u, err := st.URL(context.Background(), "a.txt", nil); err == nil {
		t.Errorf("URL(%q) = %q, want the endpoint error", "a.txt", u)
	}
}
