package middleware

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/s3kit/s3kit/storage"
)

// expiringURLs gives URLs that expire at a set time.
type expiringURLs struct{ expires time.Time }

func (e expiringURLs) URL(context.Context, string, *storage.URLOptions) (string, error) {
	return "https://s3.example.com/b/a.txt", nil
}

func (e expiringURLs) URLWithExpiry(context.Context, string, *storage.URLOptions) (string, time.Time, error) {
	return "https://s3.example.com/b/a.txt", e.expires, nil
}

func (e expiringURLs) DefaultExpiry() time.Duration { return time.Hour }

// TestRedirectMaxAgePerURL: a redirect is cached for at most half the
// remaining life of its own URL, on an injected clock.
func TestRedirectMaxAgePerURL(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		expires time.Time
		maxAge  time.Duration
		want    string
		after   time.Duration // the clock this far past now
	}{
		{"credentials expire in 60 s", now.Add(time.Minute), 0, "private, max-age=30", 0},
		{"a whole hour", now.Add(time.Hour), 0, "private, max-age=1800", 0},
		{"a stable window's URL, 100 s into it", now.Add(time.Hour - 100*time.Second), 0, "private, max-age=1750", 0},
		{"MaxAge lower", now.Add(time.Hour), 10 * time.Minute, "private, max-age=600", 0},
		{"MaxAge higher than half", now.Add(time.Minute), 10 * time.Minute, "private, max-age=30", 0},
		{"a second left", now.Add(time.Second), 0, "no-store", 0},
		{"expired", now.Add(-time.Second), 0, "no-store", 0},
		{"does not expire", time.Time{}, 0, "private, max-age=1800", 0},
		{"0.4 s into the signing second", now.Add(time.Minute), 0, "private, max-age=30", 400 * time.Millisecond},
		{"the second after", now.Add(time.Minute), 0, "private, max-age=29", time.Second + 400*time.Millisecond},
		{"an expiry within a second, before the clock's fraction", now.Add(time.Minute + 300*time.Millisecond), 0, "private, max-age=29", time.Second + 400*time.Millisecond},
		{"an expiry within a second, past the clock's fraction", now.Add(time.Minute + 500*time.Millisecond), 0, "private, max-age=30", time.Second + 400*time.Millisecond},
		{"half a second left", now.Add(500 * time.Millisecond), 0, "no-store", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := NewRedirect(expiringURLs{tc.expires}, RedirectOptions{Prefix: "/m/", MaxAge: tc.maxAge})
			if err != nil {
				t.Fatal(err)
			}
			rd.now = func() time.Time { return now.Add(tc.after) }
			rec := httptest.NewRecorder()
			rd.Handler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/m/a.txt", nil))
			if got := rec.Header().Get("Cache-Control"); rec.Code != 302 || got != tc.want {
				t.Errorf("GET = %d, Cache-Control %q; want 302, %q", rec.Code, got, tc.want)
			}
		})
	}
}
