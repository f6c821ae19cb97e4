package storage

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// memoSigner counts the signatures of each key.
type memoSigner struct {
	mu    sync.Mutex
	count map[string]int
}

func (s *memoSigner) sign(id int64, key string) func() (string, error) {
	return func() (string, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.count == nil {
			s.count = map[string]int{}
		}
		s.count[key]++
		return fmt.Sprintf("https://example.com/%s?window=%d&n=%d", key, id, s.count[key]), nil
	}
}

func (s *memoSigner) signed(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[key]
}

// TestURLMemo: every key is signed once per window, then found, whatever
// the order of new keys and look-ups; a new window signs again.
func TestURLMemo(t *testing.T) {
	var m urlMemo[string]
	var s memoSigner
	keys := make([]string, 300)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	first := map[string]string{}
	for i, k := range keys {
		u, err := m.get(1, nil, k, s.sign(1, k))
		if err != nil {
			t.Fatal(err)
		}
		first[k] = u
		for _, old := range keys[:i+1] { // every earlier key is found
			if v, _ := m.get(1, nil, old, s.sign(1, old)); v != first[old] {
				t.Fatalf("after %d keys: %s = %q, want %q", i+1, old, v, first[old])
			}
		}
	}
	for _, k := range keys {
		if n := s.signed(k); n != 1 {
			t.Errorf("%s signed %d times in one window, want 1", k, n)
		}
	}
	if u, _ := m.get(2, nil, "k0", s.sign(2, "k0")); u == first["k0"] || s.signed("k0") != 2 {
		t.Errorf("k0 in the next window = %q (signed %d times): want a new URL", u, s.signed("k0"))
	}
	owner := new(int)
	if u, _ := m.get(2, owner, "k0", s.sign(2, "k0")); s.signed("k0") != 3 {
		t.Errorf("k0 for other credentials = %q (signed %d times): want a new URL", u, s.signed("k0"))
	}
}

// TestURLMemoConcurrent: goroutines asking for the same keys at once get
// one URL per key, signed at most once per goroutine racing for it, and
// found afterwards without signing (run with -race).
func TestURLMemoConcurrent(t *testing.T) {
	var m urlMemo[string]
	var s memoSigner
	const goroutines, keys = 8, 200
	got := make([][]string, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			got[g] = make([]string, keys)
			for i := range keys {
				k := fmt.Sprintf("k%d", (i*7+g)%keys)
				u, err := m.get(1, nil, k, s.sign(1, k))
				if err != nil {
					t.Error(err)
					return
				}
				got[g][(i*7+g)%keys] = u
			}
		})
	}
	wg.Wait()
	var resigned atomic.Int32
	for i := range keys {
		k := fmt.Sprintf("k%d", i)
		if n := s.signed(k); n < 1 || n > goroutines {
			t.Errorf("%s signed %d times", k, n)
		}
		u, _ := m.get(1, nil, k, func() (string, error) { resigned.Add(1); return "", nil })
		for g := range goroutines {
			if got[g][i] != u {
				t.Errorf("%s: goroutine %d got %q, the memo holds %q", k, g, got[g][i], u)
			}
		}
	}
	if n := resigned.Load(); n != 0 {
		t.Errorf("%d keys signed again after they were all memoised", n)
	}
}

// TestURLMemoBound: at most maxMemo URLs are kept per window; the others
// are signed every time.
func TestURLMemoBound(t *testing.T) {
	var m urlMemo[int]
	signs := 0
	sign := func() (string, error) { signs++; return fmt.Sprint("u", signs), nil }
	for k := range maxMemo + 50 {
		m.get(1, nil, k, sign)
	}
	if signs != maxMemo+50 {
		t.Fatalf("%d signatures for %d keys", signs, maxMemo+50)
	}
	m.get(1, nil, 0, sign)
	m.get(1, nil, maxMemo+10, sign)
	m.get(1, nil, maxMemo+10, sign)
	if signs != maxMemo+52 {
		t.Errorf("%d signatures, want %d: the first key found, the one past the bound signed twice", signs, maxMemo+52)
	}
	w := m.cur.Load()
	w.mu.Lock()
	n := len(*w.read.Load())
	if w.dirty != nil {
		n = len(w.dirty)
	}
	w.mu.Unlock()
	if n != maxMemo {
		t.Errorf("%d URLs memoised, want the bound %d", n, maxMemo)
	}
}
