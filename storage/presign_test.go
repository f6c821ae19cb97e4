package storage

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// fixedClockPresigner is the SDK's own SigV4 presigner with the signing
// time replaced: the way to give s3.PresignClient a clock
// (PresignOptions.Presigner). The signer is configured as s3's
// newDefaultV4Signer configures the default one (DisableURIPathEscaping).
type fixedClockPresigner struct {
	signer *v4.Signer
	now    time.Time
}

func (p fixedClockPresigner) PresignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, fns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.signer.PresignHTTP(ctx, c, r, payloadHash, service, region, p.now, fns...)
}

func sdkPresigner(c *s3.Client, now time.Time) *s3.PresignClient {
	return s3.NewPresignClient(c, func(o *s3.PresignOptions) {
		o.Presigner = fixedClockPresigner{v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true }), now}
	})
}

func noEnvironment(string) (string, bool) { return "", false }

// presignKeys returns at least n keys: a fixed list of awkward ones, then
// random mixes of unicode, spaces and URL-significant characters.
func presignKeys(n int) []string {
	keys := []string{
		"plain.txt", "with space.txt", "plus+sign", "percent%20encoded", "%2e%2e/dots.txt",
		"question?mark", "hash#tag", "tilde~", "a&b=c", "semi;colon,comma", "ünïcödé/日本語.txt",
		"emoji-😀.txt", "'quotes\"<>", "star*bang!(paren)", "dollar$at@colon:", "[brackets]{braces}",
		"caret^back`tick|pipe", "deep/a/b/c/d/e/f/g.bin", "...dots", "trailing.dot.", "-_.~",
		"   three spaces", "tab-less\u00a0nbsp", "ß/Ωmega/ℕ", "x=1&y=2?z#w", "%", "%%", "%zz", "+",
		"a+b c+d", strings.Repeat("long-", 150) + "end",
	}
	const alphabet = "abcXYZ019 +%?#~!*'()&=;:@$,/-_.üé日本😀"
	runes := []rune(alphabet)
	rng := rand.New(rand.NewPCG(1, 2))
	for len(keys) < n {
		var b strings.Builder
		for range 1 + rng.IntN(24) {
			b.WriteRune(runes[rng.IntN(len(runes))])
		}
		k, err := CleanName(b.String())
		if err != nil || k == "" || strings.HasSuffix(k, "/") {
			continue
		}
		keys = append(keys, k)
	}
	return keys
}

type presignCase struct {
	name     string
	client   s3.Options
	location string
}

func presignCases() []presignCase {
	static := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "")
	token := credentials.NewStaticCredentialsProvider("ASIAEXAMPLE", "secret/with+chars=", "FwoGZXIvYXdzE//token+with/slashes=")
	return []presignCase{
		{name: "aws virtual", client: s3.Options{Region: "eu-west-3", Credentials: static}},
		{name: "aws path", client: s3.Options{Region: "eu-west-3", Credentials: static, UsePathStyle: true}},
		{name: "aws virtual token", client: s3.Options{Region: "us-east-1", Credentials: token}, location: "media"},
		{name: "aws path token", client: s3.Options{Region: "ap-southeast-2", Credentials: token, UsePathStyle: true}, location: "a b/ü"},
		{name: "aws http", client: s3.Options{Region: "us-west-2", Credentials: static, EndpointOptions: s3.EndpointResolverOptions{DisableHTTPS: true}}},
		{name: "custom path", client: s3.Options{Region: "us-east-1", Credentials: static, UsePathStyle: true, BaseEndpoint: aws.String("http://127.0.0.1:9000")}},
		{name: "custom virtual", client: s3.Options{Region: "us-east-1", Credentials: token, BaseEndpoint: aws.String("http://localhost:8333")}, location: "loc"},
		{name: "custom default port", client: s3.Options{Region: "eu-central-1", Credentials: static, BaseEndpoint: aws.String("https://minio.example.com:443/base/")}},
		{name: "custom path prefix", client: s3.Options{Region: "eu-central-1", Credentials: token, UsePathStyle: true, BaseEndpoint: aws.String("https://gw.example.com/s3")}},
		{name: "checksum mode", client: s3.Options{Region: "eu-west-3", Credentials: token, ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported, RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported}},
		{name: "checksum when required", client: s3.Options{Region: "eu-west-3", Credentials: token, UsePathStyle: true, ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired}},
		{name: "custom ipv6", client: s3.Options{Region: "us-east-1", Credentials: static, UsePathStyle: true, BaseEndpoint: aws.String("http://[::1]:80")}},
	}
}

// TestPresignMatchesSDK is the byte-identity test: for every case, key,
// and per-call option, URL equals s3.PresignClient's URL at the same
// clock.
func TestPresignMatchesSDK(t *testing.T) {
	ctx := context.Background()
	keys := presignKeys(220)
	now := time.Date(2025, 3, 9, 23, 59, 58, 0, time.UTC)
	type callCase struct {
		name string
		opts *URLOptions
		sdk  func(pc *s3.PresignClient, bucket, key *string) (*v4.PresignedHTTPRequest, error)
	}
	calls := []callCase{
		{"default", nil, func(pc *s3.PresignClient, b, k *string) (*v4.PresignedHTTPRequest, error) {
			return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k}, s3.WithPresignExpires(time.Hour))
		}},
		{"response headers", &URLOptions{Expire: 90 * time.Second, ResponseContentDisposition: `attachment; filename="a b.pdf"; filename*=UTF-8''%C3%BC.pdf`, ResponseContentType: "text/plain; charset=utf-8"},
			func(pc *s3.PresignClient, b, k *string) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k,
					ResponseContentDisposition: aws.String(`attachment; filename="a b.pdf"; filename*=UTF-8''%C3%BC.pdf`),
					ResponseContentType:        aws.String("text/plain; charset=utf-8")}, s3.WithPresignExpires(90*time.Second))
			}},
		{"seven days", &URLOptions{Expire: MaxExpire}, func(pc *s3.PresignClient, b, k *string) (*v4.PresignedHTTPRequest, error) {
			return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k}, s3.WithPresignExpires(MaxExpire))
		}},
		{"fractional expiry", &URLOptions{Expire: 1500 * time.Millisecond}, func(pc *s3.PresignClient, b, k *string) (*v4.PresignedHTTPRequest, error) {
			return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k}, s3.WithPresignExpires(1500*time.Millisecond))
		}},
		{"head", &URLOptions{Method: "HEAD", ResponseContentType: "image/png"}, func(pc *s3.PresignClient, b, k *string) (*v4.PresignedHTTPRequest, error) {
			return pc.PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k, ResponseContentType: aws.String("image/png")}, s3.WithPresignExpires(time.Hour))
		}},
		{"put", &URLOptions{Method: "PUT", Expire: 600 * time.Second}, func(pc *s3.PresignClient, b, k *string) (*v4.PresignedHTTPRequest, error) {
			return pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k}, s3.WithPresignExpires(600*time.Second))
		}},
		{"delete", &URLOptions{Method: "DELETE"}, func(pc *s3.PresignClient, b, k *string) (*v4.PresignedHTTPRequest, error) {
			return pc.PresignDeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: k}, s3.WithPresignExpires(time.Hour))
		}},
		{"query", &URLOptions{Query: [][2]string{{"versionId", "3/L4kqtJl40Nr8X8gdRQBpUMLUo+ a"}, {"partNumber", "2"}}},
			func(pc *s3.PresignClient, b, k *string) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k,
					VersionId: aws.String("3/L4kqtJl40Nr8X8gdRQBpUMLUo+ a"), PartNumber: aws.Int32(2)}, s3.WithPresignExpires(time.Hour))
			}},
	}
	for _, tc := range presignCases() {
		t.Run(tc.name, func(t *testing.T) {
			client := s3.New(tc.client)
			st, err := NewWithClient(ctx, client, Options{BucketName: "my-bucket", Location: tc.location, LookupEnv: noEnvironment})
			if err != nil {
				t.Fatal(err)
			}
			st.urls.now = func() time.Time { return now }
			pc := sdkPresigner(client, now)
			n := 0
			for _, c := range calls {
				for i, name := range keys {
					if c.name != "default" && i%7 != 0 { // every key once, options on a sample
						continue
					}
					key, _ := st.Key(name)
					want, err := c.sdk(pc, aws.String("my-bucket"), aws.String(key))
					if err != nil {
						t.Fatalf("%s: SDK presign of %q: %v", c.name, key, err)
					}
					got, err := st.URL(ctx, name, c.opts)
					if err != nil {
						t.Fatalf("%s: URL(%q): %v", c.name, name, err)
					}
					if got != want.URL {
						t.Fatalf("%s: URL(%q) =\n%q, want\n%q", c.name, name, got, want.URL)
					}
					n++
				}
			}
			if n < 200 {
				t.Errorf("compared %d URLs, want at least 200", n)
			}
		})
	}
}

// TestPresignNewMatchesSDK checks the storage.New path: the client New
// builds and the URLs New computes agree, for settings that shape URLs.
func TestPresignNewMatchesSDK(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"default", Options{}},
		{"path", Options{AddressingStyle: "path", RegionName: "eu-west-1"}},
		{"virtual http", Options{AddressingStyle: "virtual", UseSSL: Bool(false)}},
		{"endpoint", Options{EndpointURL: "http://127.0.0.1:8333", AddressingStyle: "path", Location: "static"}},
		{"endpoint virtual", Options{EndpointURL: "https://s3.example.net", RegionName: "auto", SecurityToken: "tok"}},
		{"dotted bucket", Options{BucketName: "my.dotted.bucket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			if o.BucketName == "" {
				o.BucketName = "bucket"
			}
			o.AccessKey, o.SecretKey, o.LookupEnv = "AK", "SK", noEnvironment
			st, err := New(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			st.urls.now = func() time.Time { return now }
			pc := sdkPresigner(st.Client().(*s3.Client), now)
			for _, name := range presignKeys(40) {
				key, _ := st.Key(name)
				want, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.BucketName), Key: aws.String(key)}, s3.WithPresignExpires(time.Hour))
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

// rotatingCreds hands out the credentials in cur; they are always
// expired, so a CredentialsCache asks again every time.
type rotatingCreds struct {
	cur   atomic.Pointer[aws.Credentials]
	calls atomic.Int64
	ttl   time.Duration
}

func (r *rotatingCreds) Retrieve(context.Context) (aws.Credentials, error) {
	r.calls.Add(1)
	c := *r.cur.Load()
	c.CanExpire, c.Expires = true, time.Now().Add(r.ttl)
	return c, nil
}

// TestPresignCredentials checks rotation (the day's key follows the
// secret), refresh on expiry, caching when not expired, and the day
// change of the signing key.
func TestPresignCredentials(t *testing.T) {
	ctx := context.Background()
	rc := &rotatingCreds{ttl: -time.Second} // always expired
	rc.cur.Store(&aws.Credentials{AccessKeyID: "AK1", SecretAccessKey: "SK1"})
	// The caller's own cache, which presign asks on every URL (its clock
	// is the real one): a rotation shows at once.
	st, err := NewWithClient(ctx, s3.New(s3.Options{Region: "us-east-1"}), Options{BucketName: "b", Credentials: aws.NewCredentialsCache(rc), LookupEnv: noEnvironment})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 30, 23, 59, 59, 0, time.UTC)
	st.urls.now = func() time.Time { return now }
	check := func(ak, sk string) {
		t.Helper()
		c := s3.New(s3.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(ak, sk, "")})
		want, _ := sdkPresigner(c, now).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")}, s3.WithPresignExpires(time.Hour))
		if got, err := st.URL(ctx, "k", nil); err != nil || got != want.URL {
			t.Errorf("URL(%q) with %s/%s at %v = %q, %v, want %q", "k", ak, sk, now, got, err, want.URL)
		}
	}
	check("AK1", "SK1")
	rc.cur.Store(&aws.Credentials{AccessKeyID: "AK2", SecretAccessKey: "SK2"})
	check("AK2", "SK2") // rotated: same day, new secret
	now = now.Add(2 * time.Second)
	check("AK2", "SK2") // next day: new key
	rc.cur.Store(&aws.Credentials{AccessKeyID: "AK1", SecretAccessKey: "SK1"})
	check("AK1", "SK1")

	// Not expired: the provider is asked once for many URLs.
	rc2 := &rotatingCreds{ttl: time.Hour}
	rc2.cur.Store(&aws.Credentials{AccessKeyID: "AK", SecretAccessKey: "SK"})
	st2, err := NewWithClient(ctx, s3.New(s3.Options{Region: "us-east-1"}), Options{BucketName: "b", Credentials: rc2, LookupEnv: noEnvironment})
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := st2.URL(ctx, "k", nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := rc2.calls.Load(); n != 1 {
		t.Errorf("provider Retrieve called %d times for 100 URLs, want 1 (cached)", n)
	}
}

func TestPresignNoCredentials(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		client API
		creds  aws.CredentialsProvider
	}{
		{"fake client", struct{ API }{}, nil},
		{"anonymous", s3.New(s3.Options{Region: "us-east-1"}), aws.AnonymousCredentials{}},
		{"client without credentials", s3.New(s3.Options{Region: "us-east-1"}), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := NewWithClient(ctx, tc.client, Options{BucketName: "b", Credentials: tc.creds, LookupEnv: noEnvironment})
			if err != nil {
				t.Fatal(err)
			}
			if u, err := st.URL(ctx, "k", nil); err == nil {
				t.Errorf("URL(%q) = %q, want an error (nothing to sign with)", "k", u)
			}
		})
	}
}

func TestPresignFallsBackToSDK(t *testing.T) {
	// A directory bucket needs S3 Express session auth: the SDK signs.
	ctx := context.Background()
	client := s3.New(s3.Options{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", "")})
	st, err := NewWithClient(ctx, client, Options{BucketName: "dir--usw2-az1--x-s3", LookupEnv: noEnvironment})
	if err != nil {
		t.Fatal(err)
	}
	if st.urls.sdk == nil {
		t.Fatalf("no SDK fallback for a directory bucket")
	}
	// Its session credentials need CreateSession (a network call): with
	// a cancelled context the SDK fails, and the error is wrapped.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	var e *Error
	if _, err := st.URL(cctx, "k", nil); !errors.As(err, &e) || e.Op != "url" {
		t.Errorf("URL on a directory bucket, offline: error %v, want a *storage.Error from the SDK presigner", err)
	}
}

// TestAppendHex checks the four-bytes-at-a-time hex against
// encoding/hex, over every byte value in every position.
func TestAppendHex(t *testing.T) {
	var sum [sha256.Size]byte
	for v := range 256 {
		for i := range sum {
			sum[i] = byte(v + i*37)
		}
		got := appendHex([]byte("x"), &sum)
		if want := "x" + hex.EncodeToString(sum[:]); string(got) != want {
			t.Fatalf("appendHex(%x) = %q, want %q", sum, got, want)
		}
	}
}

// TestPresignDirectMatchesSigner: PresignDirect's URLs, signed by URL's
// presigner, are the SDK's SigV4 signer's for the same request, clock
// and credentials, byte for byte: with the host alone signed, and with
// the checksum header too (kept a header, as S3 checks the bytes
// against it).
func TestPresignDirectMatchesSigner(t *testing.T) {
	now := time.Date(2025, 3, 9, 23, 59, 58, 0, time.UTC)
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", SessionToken: "tok/en+="}
	sum := sha256.Sum256([]byte("part"))
	for _, style := range []string{"virtual", "path"} {
		st := newURLStorage(t, Options{AccessKey: creds.AccessKeyID, SecretKey: creds.SecretAccessKey, SecurityToken: creds.SessionToken,
			RegionName: "eu-west-3", AddressingStyle: style, Location: "l o"})
		st.urls.now = func() time.Time { return now }
		for _, tc := range []struct {
			op   DirectOp
			opts DirectOptions
		}{
			{DirectUploadPart, DirectOptions{UploadID: "u/1=", PartNumber: 7}},
			{DirectUploadPart, DirectOptions{UploadID: "u/1=", PartNumber: 7, ChecksumSHA256: sum[:]}},
			{DirectPutObject, DirectOptions{ChecksumSHA256: sum[:]}},
			{DirectPutObject, DirectOptions{ContentType: "image/png"}},
			{DirectPutObject, DirectOptions{ContentLength: 5 << 20}},
			{DirectPutObject, DirectOptions{ContentType: " text/plain;  charset=utf-8 ", ContentLength: 1, ChecksumSHA256: sum[:]}},
			{DirectCreateUpload, DirectOptions{}},
			{DirectCreateUpload, DirectOptions{ContentType: "application/octet-stream"}},
			{DirectCompleteUpload, DirectOptions{UploadID: "u/1="}},
		} {
			got, err := st.PresignDirect(context.Background(), tc.op, "d/ü+x (1).bin", &tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			method, query, _ := tc.op.request(&tc.opts)
			header := http.Header{}
			if tc.opts.ContentType != "" {
				header.Set("Content-Type", tc.opts.ContentType)
			}
			if tc.opts.ChecksumSHA256 != nil {
				header.Set("X-Amz-Checksum-Sha256", base64.StdEncoding.EncodeToString(tc.opts.ChecksumSHA256))
			}
			d := &st.urls.direct
			raw := d.ep.path + httpbinding.EscapePath("l o/d/ü+x (1).bin", false)
			p, _ := url.PathUnescape(raw)
			u, _ := url.Parse(d.ep.origin)
			q := url.Values{"X-Amz-Expires": {"3600"}}
			for _, kv := range query {
				q.Add(kv[0], kv[1])
			}
			u.Path, u.RawPath, u.RawQuery = p, raw, q.Encode()
			req := &http.Request{Method: method, URL: u, Host: u.Host, Header: header, ContentLength: tc.opts.ContentLength}
			want, signed, err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping, o.DisableHeaderHoisting = true, true }).
				PresignHTTP(context.Background(), creds, req, unsignedPayload, "s3", "eu-west-3", now)
			if err != nil {
				t.Fatal(err)
			}
			if got.URL != want {
				t.Errorf("%s %v %+v:\n got %s\nwant %s", style, tc.op, tc.opts, got.URL, want)
			}
			wantHeader := map[string]string{}
			for k, v := range signed {
				if k = http.CanonicalHeaderKey(k); k != "Host" {
					wantHeader[k] = strings.Join(strings.Fields(v[0]), " ")
				}
			}
			if !maps.Equal(got.Header, wantHeader) {
				t.Errorf("%s %v %+v: Header = %v, want the signed headers %v", style, tc.op, tc.opts, got.Header, wantHeader)
			}
		}
	}
}

// expressSessions hands out S3 Express session credentials that live one
// minute, as CreateSession would (offline).
type expressSessions struct{ now time.Time }

func (e expressSessions) Retrieve(context.Context, string) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "SESSIONAK", SecretAccessKey: "SESSIONSK", SessionToken: "session",
		CanExpire: true, Expires: e.now.Add(time.Minute)}, nil
}

// TestPresignSDKClamped: a URL the SDK presigns (an S3 Express directory
// bucket) never outlives the session credentials it is signed with, as
// URL promises; it was signed for the full querystring_expire.
func TestPresignSDKClamped(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	client := s3.New(s3.Options{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", ""),
		ExpressCredentials: expressSessions{now}})
	st, err := NewWithClient(context.Background(), client, Options{BucketName: "dir--usw2-az1--x-s3", LookupEnv: noEnvironment})
	if err != nil {
		t.Fatal(err)
	}
	st.urls.now = func() time.Time { return now }
	raw, expires, err := st.URLWithExpiry(context.Background(), "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("X-Amz-Expires"); got != "60" || !expires.Equal(now.Add(time.Minute)) {
		t.Errorf("URL on S3 Express signed for %s s, expiring %v; want 60 s, %v (the session's end)", got, expires, now.Add(time.Minute))
	}
}
