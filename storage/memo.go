package storage

import (
	"maps"
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
//
// A look-up that finds its URL takes no lock and writes no shared
// memory: the URLs are in a map that is never written once published
// (read). New URLs go to a map under a lock (dirty, which holds read's
// too), published in read's place once as many look-ups missed read as
// it holds, as sync.Map does; until then they are found there, under the
// lock. A read-write lock would make every look-up write its counter,
// one cache line that the cores serving requests would pass to each
// other.
type urlMemo[K comparable] struct {
	cur atomic.Pointer[memoWindow[K]]
}

type memoWindow[K comparable] struct {
	id    int64
	owner any // the credentials of a presigned window, or nil
	read  atomic.Pointer[map[K]string]

	mu     sync.Mutex
	dirty  map[K]string // read's URLs and newer ones; nil when read has them all
	misses int          // look-ups that missed read since it was published
}

// get returns the URL memoised under key in the window (id, owner), or
// signs it with sign and memoises it.
func (c *urlMemo[K]) get(id int64, owner any, key K, sign func() (string, error)) (string, error) {
	w := c.cur.Load()
	if w == nil || w.id != id || w.owner != owner {
		nw := &memoWindow[K]{id: id, owner: owner}
		if c.cur.CompareAndSwap(w, nw) {
			w = nw
		} else if w = c.cur.Load(); w.id != id || w.owner != owner {
			return sign() // windows racing: do not memoise
		}
	}
	m := w.read.Load()
	if m != nil {
		if u, ok := (*m)[key]; ok {
			return u, nil
		}
		if len(*m) >= maxMemo {
			return sign() // full: nothing more is memoised
		}
	}
	if u, ok := w.locked(key, "", false); ok {
		return u, nil
	}
	u, err := sign()
	if err != nil {
		return "", err
	}
	if v, ok := w.locked(key, u, true); ok {
		return v, nil // memoised meanwhile: the one URL of the window
	}
	return u, nil
}

// locked looks key up in dirty, and memoises u under it when it is not
// there and store is set. Each call counts a miss of read; once they
// are as many as the URLs, dirty is published as read, so that copying
// it (at the next miss) costs each miss a constant.
func (w *memoWindow[K]) locked(key K, u string, store bool) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dirty == nil {
		if m := w.read.Load(); m != nil {
			if v, ok := (*m)[key]; ok { // published since
				return v, true
			}
			w.dirty = maps.Clone(*m)
		} else {
			w.dirty = make(map[K]string)
		}
	}
	v, ok := w.dirty[key]
	if !ok && store && len(w.dirty) < maxMemo {
		w.dirty[key] = u
	}
	if w.misses++; w.misses >= len(w.dirty) {
		m := w.dirty
		w.read.Store(&m)
		w.dirty, w.misses = nil, 0
	}
	return v, ok
}
