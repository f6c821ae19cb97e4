package storage

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// CloudFrontSigner signs CloudFront URLs with a canned policy: the URL is
// valid until expires. *sign.URLSigner of
// github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign satisfies it; it is
// the Go form of the reference's cloudfront_signer.
type CloudFrontSigner interface {
	Sign(rawURL string, expires time.Time) (string, error)
}

// NoCloudFrontSigner, set as Options.CloudFrontSigner, turns CloudFront
// signing off for one storage even when CloudFrontKey and CloudFrontKeyID
// are set (the reference's cloudfront_signer=None): custom-domain URLs
// are then plain.
var NoCloudFrontSigner CloudFrontSigner = noCloudFrontSigner{}

type noCloudFrontSigner struct{}

func (noCloudFrontSigner) Sign(string, time.Time) (string, error) {
	return "", errors.New("storage: CloudFront signing is disabled")
}

// maxCloudFrontMemo bounds the URLs memoised per expiry window.
const maxCloudFrontMemo = 10000

// cfMemo memoises CloudFront signed URLs for one stable window (see
// window.go): all the URLs signed within a window expire at the same
// time, so each is signed once (an RSA signature) and then looked up.
type cfMemo struct {
	cur atomic.Pointer[cfWindow]
}

type cfWindow struct {
	expires int64 // Unix seconds
	mu      sync.RWMutex
	m       map[string]string
}

// sign returns the memoised signature of rawURL for expires, or signs it.
func (c *cfMemo) sign(s CloudFrontSigner, rawURL string, expires time.Time) (string, error) {
	e := expires.Unix()
	w := c.cur.Load()
	if w == nil || w.expires != e {
		nw := &cfWindow{expires: e, m: make(map[string]string)}
		if c.cur.CompareAndSwap(w, nw) {
			w = nw
		} else if w = c.cur.Load(); w.expires != e {
			return s.Sign(rawURL, expires) // windows racing: do not memoise
		}
	}
	w.mu.RLock()
	signed, ok := w.m[rawURL]
	w.mu.RUnlock()
	if ok {
		return signed, nil
	}
	signed, err := s.Sign(rawURL, expires)
	if err != nil {
		return "", err
	}
	w.mu.Lock()
	if len(w.m) < maxCloudFrontMemo {
		w.m[rawURL] = signed
	}
	w.mu.Unlock()
	return signed, nil
}
