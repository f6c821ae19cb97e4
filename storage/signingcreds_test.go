package storage

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// expiringProvider hands out temporary credentials, a new access key per
// call, each living lives[i] (the last one repeats) from the clock's now;
// failFrom > 0 makes the calls from that one on fail.
type expiringProvider struct {
	mu       sync.Mutex
	clock    func() time.Time
	lives    []time.Duration
	failFrom int
	calls    int
}

func (p *expiringProvider) Retrieve(context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.failFrom > 0 && p.calls >= p.failFrom {
		return aws.Credentials{}, errors.New("sts: unavailable")
	}
	life := p.lives[min(p.calls, len(p.lives))-1]
	return aws.Credentials{AccessKeyID: fmt.Sprintf("ASIA%d", p.calls), SecretAccessKey: "secret" + strconv.Itoa(p.calls),
		SessionToken: "token" + strconv.Itoa(p.calls), CanExpire: true, Expires: p.clock().Add(life)}, nil
}

func (p *expiringProvider) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// testClock is a clock the test moves. It starts at the real time (the
// SDK's credentials cache checks expiry on the real clock), on a whole
// second.
type testClock struct{ t time.Time }

func newTestClock() *testClock           { return &testClock{time.Now().Truncate(time.Second)} }
func (c *testClock) now() time.Time      { return c.t }
func (c *testClock) add(d time.Duration) { c.t = c.t.Add(d) }

// expiringStorage is a presigning storage whose credentials come from p,
// with the clock c.
func expiringStorage(t *testing.T, c *testClock, creds aws.CredentialsProvider, o Options) *Storage {
	t.Helper()
	o.Credentials = creds
	o.RegionName = "eu-west-3"
	st := newURLStorage(t, o)
	st.urls.now = c.now
	if r := st.urls.direct.pre.refresher; r != nil {
		r.now = c.now
	}
	return st
}

// signedBy returns the access key and X-Amz-Expires of a presigned URL.
func signedBy(t *testing.T, raw string) (key string, expires int64) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	key, _, _ = strings.Cut(q.Get("X-Amz-Credential"), "/")
	expires, err = strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil {
		t.Fatalf("X-Amz-Expires of %q: %v", raw, err)
	}
	return key, expires
}

// TestURLNeverOutlivesCredentials: credentials expiring in 60 s never
// sign a URL that lives longer; they are refreshed first when s3kit
// caches them, at most once per quarter of their life.
func TestURLNeverOutlivesCredentials(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, st *Storage, c *testClock, wantKey string, wantExpires int64) {
		t.Helper()
		raw, expiry, err := st.URLWithExpiry(ctx, "a.txt", nil)
		if err != nil {
			t.Fatalf("URLWithExpiry: %v", err)
		}
		key, exp := signedBy(t, raw)
		if key != wantKey || exp != wantExpires {
			t.Errorf("URL signed by %s for %d s, want %s for %d s", key, exp, wantKey, wantExpires)
		}
		if want := c.now().Add(time.Duration(exp) * time.Second); !expiry.Equal(want) {
			t.Errorf("URLWithExpiry's expiry = %v, want the signing time + %d s = %v", expiry, exp, want)
		}
	}
	t.Run("short sessions: clamped, refreshed once per quarter", func(t *testing.T) {
		c := newTestClock()
		p := &expiringProvider{clock: c.now, lives: []time.Duration{time.Minute}}
		st := expiringStorage(t, c, p, Options{})
		check(t, st, c, "ASIA2", 60) // ASIA1 was short: refreshed, and the new ones are as short
		c.add(5 * time.Second)
		check(t, st, c, "ASIA2", 55)
		if n := p.count(); n != 2 {
			t.Errorf("provider asked %d times, want 2 (no refresh within a quarter of the session)", n)
		}
		c.add(11 * time.Second) // past the quarter
		check(t, st, c, "ASIA3", 60)
	})
	t.Run("refresh gives longer credentials", func(t *testing.T) {
		c := newTestClock()
		p := &expiringProvider{clock: c.now, lives: []time.Duration{time.Minute, 2 * time.Hour}}
		st := expiringStorage(t, c, p, Options{})
		check(t, st, c, "ASIA2", 3600)
		check(t, st, c, "ASIA2", 3600)
		if n := p.count(); n != 2 {
			t.Errorf("provider asked %d times, want 2", n)
		}
	})
	t.Run("refresh fails: the credentials in hand keep signing", func(t *testing.T) {
		c := newTestClock()
		p := &expiringProvider{clock: c.now, lives: []time.Duration{time.Minute}, failFrom: 2}
		st := expiringStorage(t, c, p, Options{})
		check(t, st, c, "ASIA1", 60)
		c.add(time.Second)
		check(t, st, c, "ASIA1", 59)
		if n := p.count(); n != 2 {
			t.Errorf("provider asked %d times, want 2 (a failing provider is not asked on every URL)", n)
		}
	})
	t.Run("the caller's cache is read, not refreshed", func(t *testing.T) {
		c := newTestClock()
		p := &expiringProvider{clock: c.now, lives: []time.Duration{time.Minute, 2 * time.Hour}}
		st := expiringStorage(t, c, aws.NewCredentialsCache(p), Options{})
		check(t, st, c, "ASIA1", 60)
		if n := p.count(); n != 1 {
			t.Errorf("provider asked %d times, want 1", n)
		}
	})
	t.Run("within a stable window", func(t *testing.T) {
		c := newTestClock()
		c.t = c.t.Truncate(5 * time.Minute).Add(100 * time.Second) // 100 s into a window
		p := &expiringProvider{clock: c.now, lives: []time.Duration{time.Minute}}
		st := expiringStorage(t, c, p, Options{URLStableWindow: 5 * time.Minute})
		raw, expiry, err := st.URLWithExpiry(ctx, "a.txt", nil)
		if err != nil {
			t.Fatal(err)
		}
		// Signed at the window's start, 100 s ago: the credentials give
		// it 160 s from there.
		if key, exp := signedBy(t, raw); key != "ASIA2" || exp != 160 {
			t.Errorf("URL signed by %s for %d s, want ASIA2 for 160 s", key, exp)
		}
		if want := c.now().Add(time.Minute); !expiry.Equal(want) {
			t.Errorf("expiry = %v, want the credentials' %v", expiry, want)
		}
	})
}

// TestURLClampedIsValid: a clamped URL is the SDK's presigned URL for the
// same credentials, clock and shorter expiry, byte for byte.
func TestURLClampedIsValid(t *testing.T) {
	c := newTestClock()
	p := &expiringProvider{clock: c.now, lives: []time.Duration{time.Minute}}
	st := expiringStorage(t, c, p, Options{})
	got, err := st.URL(context.Background(), "dir/a b.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	client := s3.New(s3.Options{Region: "eu-west-3", Credentials: credentials.NewStaticCredentialsProvider("ASIA2", "secret2", "token2")})
	want, err := sdkPresigner(client, c.now()).PresignGetObject(context.Background(),
		&s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("dir/a b.txt")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got != want.URL {
		t.Errorf("URL = %q, want the SDK's %q", got, want.URL)
	}
}

// TestRefreshingCredentialsKeepServingTheClient: after a refresh that
// failed, the S3 client (which reads the same cache) keeps the
// credentials in hand too.
func TestRefreshingCredentialsKeepServingTheClient(t *testing.T) {
	c := newTestClock()
	p := &expiringProvider{clock: c.now, lives: []time.Duration{time.Minute}, failFrom: 2}
	r := newRefreshingCredentials(aws.NewCredentialsCache(p), nil)
	r.now = c.now
	ctx := context.Background()
	if got, err := r.Retrieve(ctx); err != nil || got.AccessKeyID != "ASIA1" {
		t.Fatalf("Retrieve = %v, %v", got.AccessKeyID, err)
	}
	if got, err := r.refresh(ctx); err != nil || got.AccessKeyID != "ASIA1" {
		t.Errorf("refresh with a failing provider = %q, %v; want the credentials in hand", got.AccessKeyID, err)
	}
	if got, err := r.Retrieve(ctx); err != nil || got.AccessKeyID != "ASIA1" || p.count() != 2 {
		t.Errorf("Retrieve after = %q, %v (provider asked %d times); want ASIA1 from the hold, 2 asks", got.AccessKeyID, err, p.count())
	}
	c.add(2 * minRefreshGap) // the hold ends: asked again, fails, held again
	if got, err := r.Retrieve(ctx); err != nil || got.AccessKeyID != "ASIA1" || p.count() != 3 {
		t.Errorf("Retrieve after the hold = %q, %v (asked %d times); want ASIA1, 3 asks", got.AccessKeyID, err, p.count())
	}
	c.add(time.Minute) // expired: the error shows
	if _, err := r.Retrieve(ctx); err == nil {
		t.Errorf("Retrieve of expired credentials with a failing provider succeeded")
	}
}

// TestPresignedUploadsNeverOutliveCredentials: the rule of URL holds for
// every presigned thing the storage hands out (PresignDirect, with and
// without a signed checksum, PresignPut, PresignPost): refreshed first,
// clamped when still short, and the expiry returned is the real one.
func TestPresignedUploadsNeverOutliveCredentials(t *testing.T) {
	ctx := context.Background()
	type signer func(st *Storage) (raw string, expires time.Time, err error)
	for _, tc := range []struct {
		name string
		sign signer
	}{
		{"direct part", func(st *Storage) (string, time.Time, error) {
			pr, err := st.PresignDirect(ctx, DirectUploadPart, "a.bin", &DirectOptions{UploadID: "u1", PartNumber: 1})
			if err != nil {
				return "", time.Time{}, err
			}
			return pr.URL, pr.Expires, nil
		}},
		{"direct checksum", func(st *Storage) (string, time.Time, error) {
			pr, err := st.PresignDirect(ctx, DirectPutObject, "a.bin", &DirectOptions{ChecksumSHA256: make([]byte, 32)})
			if err != nil {
				return "", time.Time{}, err
			}
			return pr.URL, pr.Expires, nil
		}},
		{"put", func(st *Storage) (string, time.Time, error) {
			pp, err := st.PresignPut(ctx, "a.bin", &PutURLOptions{ContentType: "text/plain"})
			if err != nil {
				return "", time.Time{}, err
			}
			return pp.URL, pp.Expires, nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClock()
			p := &expiringProvider{clock: c.now, lives: []time.Duration{time.Minute}}
			st := expiringClientStorage(t, c, p)
			raw, expires, err := tc.sign(st)
			if err != nil {
				t.Fatal(err)
			}
			key, exp := signedBy(t, raw)
			if key != "ASIA2" || exp != 60 {
				t.Errorf("signed by %s for %d s, want ASIA2 (refreshed first) for 60 s (clamped)", key, exp)
			}
			if d := expires.Sub(c.now()); d < 59*time.Second || d > 61*time.Second {
				t.Errorf("expiry returned %v after now, want the clamped 60 s", d)
			}
		})
	}
	t.Run("post", func(t *testing.T) {
		c := newTestClock()
		p := &expiringProvider{clock: c.now, lives: []time.Duration{time.Minute}}
		st := expiringClientStorage(t, c, p)
		pp, err := st.PresignPost(ctx, "a.bin", nil)
		if err != nil {
			t.Fatal(err)
		}
		if k, _, _ := strings.Cut(pp.Fields["X-Amz-Credential"], "/"); k != "ASIA2" {
			t.Errorf("policy signed by %s, want ASIA2", k)
		}
		doc, err := base64.StdEncoding.DecodeString(pp.Fields["policy"])
		if err != nil {
			t.Fatal(err)
		}
		var policy struct{ Expiration time.Time }
		if err := json.Unmarshal(doc, &policy); err != nil {
			t.Fatal(err)
		}
		for _, got := range []time.Time{pp.Expires, policy.Expiration} {
			if d := got.Sub(c.now()); d < 59*time.Second || d > 61*time.Second {
				t.Errorf("policy expires %v after now, want the clamped 60 s", d)
			}
		}
	})
}

// expiringClientStorage is expiringStorage on an *s3.Client, which
// PresignPut and PresignPost need.
func expiringClientStorage(t *testing.T, c *testClock, creds aws.CredentialsProvider) *Storage {
	t.Helper()
	st, err := NewWithClient(context.Background(), s3.New(s3.Options{Region: "eu-west-3", Credentials: creds}),
		Options{BucketName: "bucket", RegionName: "eu-west-3", Credentials: creds, LookupEnv: noEnvironment})
	if err != nil {
		t.Fatal(err)
	}
	st.urls.now = c.now
	if r := st.urls.direct.pre.refresher; r != nil {
		r.now = c.now
	}
	return st
}
