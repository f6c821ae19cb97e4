package storage

import (
	"fmt"
	"time"
)

// The stable window of signed URLs: one rule for presigned and CloudFront
// URLs alike (url_stable_window; cloudfront_expiry_window, its older name
// for CloudFront URLs only).
//
// With a window w, a URL is signed as if at the start of the current
// window (Unix time rounded down to a multiple of w) and expires its
// expiry after that start. Every call within one window gives the same URL
// for the same name and options, so a browser can cache what a page
// points to; the URL lives between expire − w and expire from the moment
// it is handed out, never longer than asked. expire − w must be at least
// one second: New checks it for querystring_expire, and a call whose own
// expiry (URLOptions.Expire) leaves less is signed at the current second.

// windowStart returns t rounded down to a whole second, and to a multiple
// of w when w leaves exp at least a second of life (windowed).
func windowStart(t time.Time, w, exp time.Duration) time.Time {
	sec := t.Unix()
	if windowed(w, exp) {
		ws := int64(w / time.Second)
		sec -= sec % ws // Unix times of URLs are positive
	}
	return time.Unix(sec, 0)
}

// windowed reports whether URLs of expiry exp are signed at the start of
// their window w.
func windowed(w, exp time.Duration) bool { return w > 0 && exp-w >= time.Second }

// validWindow checks a window against the expiry it shortens; expire 0
// stands for the default querystring_expire (a layer being read alone).
func validWindow(w, expire time.Duration) error {
	if expire == 0 {
		expire = DefaultQuerystringExpire
	}
	switch {
	case w < 0 || w%time.Second != 0:
		return fmt.Errorf("must be a whole number of seconds, got %v", w)
	case w > 0 && expire-w < time.Second:
		return fmt.Errorf("%d s leaves URLs signed for querystring_expire (%d s) less than 1 s of life: it must be at most %d s",
			w/time.Second, expire/time.Second, expire/time.Second-1)
	}
	return nil
}
