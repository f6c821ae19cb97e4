package storage

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestStableWindow: calls within one window give the same URL, calls
// across a boundary differ, and a URL lives at least expire − window.
func TestStableWindow(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 5, 1, 12, 5, 0, 0, time.UTC) // a 5-minute boundary
	now := start.Add(2 * time.Minute)
	creds := credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"presigned", Options{Credentials: creds, URLStableWindow: 5 * time.Minute}},
		{"presigned custom domain", Options{Credentials: creds, URLStableWindow: 5 * time.Minute, CustomDomain: "files.example.com", PresignCustomDomain: Bool(true)}},
		{"CloudFront", Options{CustomDomain: "cdn.example.com", CloudFrontSigner: &recordingSigner{}, URLStableWindow: 5 * time.Minute}},
		{"CloudFront, older name", Options{CustomDomain: "cdn.example.com", CloudFrontSigner: &recordingSigner{}, CloudFrontExpiryWindow: 5 * time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newURLStorage(t, tc.opts)
			clock := now
			st.urls.now = func() time.Time { return clock }
			a, expA, errA := st.URLWithExpiry(ctx, "a.txt", nil)
			clock = clock.Add(10 * time.Second)
			b, expB, errB := st.URLWithExpiry(ctx, "a.txt", nil)
			if errA != nil || errB != nil || a != b || !expA.Equal(expB) {
				t.Errorf("URLs 10 s apart in one window = %q (%v), %q (%v), errors %v, %v; want the same", a, expA, b, expB, errA, errB)
			}
			if want := start.Add(time.Hour); !expA.Equal(want) {
				t.Errorf("expiry = %v, want the window's start + querystring_expire = %v", expA, want)
			}
			if d := signedAt(t, a); d != "" && d != "20250501T120500Z" {
				t.Errorf("X-Amz-Date = %s, want the window's start 20250501T120500Z", d)
			}
			clock = start.Add(5 * time.Minute) // the next window
			c, expC, _ := st.URLWithExpiry(ctx, "a.txt", nil)
			if c == a || !expC.Equal(start.Add(5*time.Minute+time.Hour)) {
				t.Errorf("URL in the next window = %q (expires %v), want a new one expiring %v", c, expC, start.Add(5*time.Minute+time.Hour))
			}
			// A call's own expiry that the window would leave under a
			// second is signed at the current second.
			clock = start.Add(4 * time.Minute)
			if _, exp, err := st.URLWithExpiry(ctx, "a.txt", &URLOptions{Expire: 5 * time.Minute}); err != nil || !exp.Equal(clock.Add(5*time.Minute)) {
				t.Errorf("URL with Expire = window expires %v (%v), want now + 5 min = %v", exp, err, clock.Add(5*time.Minute))
			}
		})
	}
	t.Run("off", func(t *testing.T) {
		st := newURLStorage(t, Options{Credentials: creds})
		clock := now
		st.urls.now = func() time.Time { return clock }
		a, _ := st.URL(ctx, "a.txt", nil)
		clock = clock.Add(10 * time.Second)
		if b, _ := st.URL(ctx, "a.txt", nil); a == b {
			t.Errorf("URLs 10 s apart without a window are the same: %q", a)
		}
	})
}

// signedAt returns the X-Amz-Date of a presigned URL, "" for others.
func signedAt(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("X-Amz-Date")
}

// TestStableWindowErrors: a window that leaves URLs less than a second
// is a configuration error naming where it came from.
func TestStableWindowErrors(t *testing.T) {
	envOf := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		new  func() error
		want string
	}{
		{"environment", func() error {
			_, err := NewWithClient(ctx, offlineClient{}, Options{BucketName: "b", LookupEnv: envOf("AWS_S3_URL_STABLE_WINDOW", "3600")})
			return err
		}, "storage: environment AWS_S3_URL_STABLE_WINDOW (url_stable_window): 3600 s leaves URLs signed for querystring_expire (3600 s) less than 1 s of life: it must be at most 3599 s"},
		{"environment against a shorter expiry", func() error {
			_, err := NewWithClient(ctx, offlineClient{}, Options{BucketName: "b", QuerystringExpire: time.Minute,
				LookupEnv: envOf("AWS_S3_URL_STABLE_WINDOW", "300")})
			return err
		}, "storage: environment AWS_S3_URL_STABLE_WINDOW (url_stable_window): 300 s leaves URLs signed for querystring_expire (60 s) less than 1 s of life: it must be at most 59 s"},
		{"OPTIONS", func() error {
			_, err := ParseConfig([]byte(`{"default": {"OPTIONS": {"bucket_name": "b", "querystring_expire": 600, "url_stable_window": 600}}}`))
			return err
		}, `storage: config "default": option "url_stable_window": 600 s leaves URLs signed for querystring_expire (600 s)`},
		{"Go", func() error {
			_, err := NewWithClient(ctx, offlineClient{}, Options{BucketName: "b", URLStableWindow: 2 * time.Hour, LookupEnv: noEnvironment})
			return err
		}, "storage: Options.URLStableWindow (url_stable_window): 7200 s leaves"},
		{"not whole seconds", func() error {
			_, err := NewWithClient(ctx, offlineClient{}, Options{BucketName: "b", URLStableWindow: 1500 * time.Millisecond, LookupEnv: noEnvironment})
			return err
		}, "storage: Options.URLStableWindow (url_stable_window): must be a whole number of seconds, got 1.5s"},
		{"not a number", func() error {
			_, err := NewWithClient(ctx, offlineClient{}, Options{BucketName: "b", LookupEnv: envOf("AWS_S3_URL_STABLE_WINDOW", "5m")})
			return err
		}, `storage: environment AWS_S3_URL_STABLE_WINDOW (url_stable_window): "5m" is not an integer number of seconds`},
		{"zero", func() error {
			_, err := ParseConfig([]byte(`{"default": {"OPTIONS": {"bucket_name": "b", "url_stable_window": 0}}}`))
			return err
		}, `option "url_stable_window": must be a positive number of seconds, got 0`},
		{"two windows", func() error {
			_, err := NewWithClient(ctx, offlineClient{}, Options{BucketName: "b", URLStableWindow: time.Minute, CloudFrontExpiryWindow: 2 * time.Minute, LookupEnv: noEnvironment})
			return err
		}, "storage: Options.URLStableWindow (url_stable_window): 1m0s differs from cloudfront_expiry_window (2m0s)"},
		{"CloudFront window too", func() error {
			_, err := NewWithClient(ctx, offlineClient{}, Options{BucketName: "b", CloudFrontExpiryWindow: time.Hour, LookupEnv: noEnvironment})
			return err
		}, "storage: Options.CloudFrontExpiryWindow (cloudfront_expiry_window): 3600 s leaves"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.new(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// The longest window allowed works.
	if _, err := NewWithClient(ctx, offlineClient{}, Options{BucketName: "b", URLStableWindow: 3599 * time.Second, LookupEnv: noEnvironment}); err != nil {
		t.Errorf("a window of querystring_expire − 1 s: %v", err)
	}
}

// TestStableWindowMemo: within a window a presigned URL is signed once
// and then looked up (the same string comes back), per credentials; a
// request with extra query parameters is signed every time.
func TestStableWindowMemo(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	c.t = c.t.Truncate(5 * time.Minute).Add(time.Minute)
	p := &expiringProvider{clock: c.now, lives: []time.Duration{2 * time.Hour}}
	st := expiringStorage(t, c, p, Options{URLStableWindow: 5 * time.Minute})
	same := func(a, b string) bool { return a == b && unsafe.StringData(a) == unsafe.StringData(b) }
	a, _ := st.URL(ctx, "a.txt", nil)
	c.add(10 * time.Second)
	if b, _ := st.URL(ctx, "a.txt", nil); !same(a, b) {
		t.Errorf("second URL in the window = %q, want the memoised %q", b, a)
	}
	if h, _ := st.URL(ctx, "a.txt", &URLOptions{Method: "HEAD"}); h == a {
		t.Errorf("HEAD URL = the GET URL %q", h)
	}
	q := &URLOptions{Query: [][2]string{{"v", "1"}}}
	q1, _ := st.URL(ctx, "a.txt", q)
	if q2, _ := st.URL(ctx, "a.txt", q); q1 != q2 || same(q1, q2) {
		t.Errorf("URLs with a query = %q, %q: want equal, signed twice", q1, q2)
	}
	// New credentials in the same window: a new URL, signed by them.
	st.urls.pre.refresher.refresh(ctx)
	if b, _ := st.URL(ctx, "a.txt", nil); b == a || !strings.Contains(b, "ASIA2") {
		t.Errorf("URL after new credentials = %q, want one signed by ASIA2", b)
	}
}
