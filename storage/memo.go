package storage

import (
	"sync"
	"sync/atomic"
)

// maxMemo bounds the URLs memoised per stable window.
const maxMemo = 10000

// urlMemo memoises the signed URLs of one stable window (window.go): all
// the URLs signed within a window for the same name and options are
// equal, so each is signed once and then looked up. A window is named by
// its id (the signing time or the expiry) and, for presigned URLs, the
// credentials that sign: new credentials start a new window. At most
// maxMemo URLs are kept per window; the others are signed every time.
type urlMemo[K comparable] struct {
	cur atomic.Pointer[memoWindow[K]]
}

type memoWindow[K comparable] struct {
	id    int64
	owner any // the credentials of a presigned window, or nil
	mu    sync.RWMutex
	m     map[K]string
}

// get returns the URL memoised under key in the window (id, owner), or
// signs it with sign and memoises it.
func (c *urlMemo[K]) get(id int64, owner any, key K, sign func() (string, error)) (string, error) {
	w := c.cur.Load()
	if w == nil || w.id != id || w.owner != owner {
		nw := &memoWindow[K]{id: id, owner: owner, m: make(map[K]string)}
		if c.cur.CompareAndSwap(w, nw) {
			w = nw
		} else if w = c.cur.Load(); w.id != id || w.owner != owner {
			return sign() // windows racing: do not memoise
		}
	}
	w.mu.RLock()
	u, ok := w.m[key]
	w.mu.RUnlock()
	if ok {
		return u, nil
	}
	u, err := sign()
	if err != nil {
		return "", err
	}
	w.mu.Lock()
	if len(w.m) < maxMemo {
		w.m[key] = u
	}
	w.mu.Unlock()
	return u, nil
}
