package handler_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3kit/s3kit/handler"
)

// idleServer serves h on a loopback server with no ReadTimeout (unless
// readTimeout says otherwise). With hide, the handler sees a
// ResponseWriter that cannot set read deadlines, so that it falls back to
// its watched reads. done gets a value each time the handler returns.
func idleServer(t *testing.T, h http.Handler, hide bool, readTimeout time.Duration) (addr string, done chan struct{}) {
	t.Helper()
	done = make(chan struct{}, 10)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { done <- struct{}{} }()
		if hide {
			w = struct{ http.ResponseWriter }{w} // no Unwrap: no deadlines
		}
		h.ServeHTTP(w, r)
	}))
	srv.Config.ReadTimeout = readTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), done
}

// stall sends a request that declares a body of declared bytes, sends the
// first bytes of it and then nothing, and returns the answer. When
// released is set, it waits until released reports true, then closes its
// side of the connection before it reads the answer.
func stall(t *testing.T, addr, ctype string, declared int, sent []byte, released func() bool) (int, answer) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ctype, declared)
	if _, err := conn.Write(sent); err != nil {
		t.Fatal(err)
	}
	if released != nil {
		for deadline := time.Now().Add(20 * time.Second); !released(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the stalled request's work was never released")
			}
		}
		conn.(*net.TCPConn).CloseWrite()
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // a bound on the wait, not a timing check
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled request: %v", err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("answer %d is not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, a
}

// openIn lists the files this process holds open in dir.
func openIn(dir string) []string {
	var held []string
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		if dest, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(dest, dir) {
			held = append(held, dest)
		}
	}
	return held
}

// syncBuffer is a bytes.Buffer for a logger that writes from the
// handler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitDone(t *testing.T, done chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the handler did not return")
	}
}

// TestUploadIdleTimeout: a client that sends 40 KiB of a file and stalls
// is answered 408 after IdleTimeout, on a server with no ReadTimeout, in
// both modes; nothing is stored, no upload stays open, no spool file
// stays. Behind a writer that hides the read deadlines ("watched"), the
// work is released after IdleTimeout all the same, and the 408 goes out
// once the client closes its side (net/http holds the answer until then).
func TestUploadIdleTimeout(t *testing.T) {
	body, ctype := form(field("title", "x"), filepart("f", "big.bin", strings.Repeat("x", 1<<20)))
	sent := body[:40<<10]
	for _, mode := range modes {
		for _, hide := range []bool{false, true} {
			name := mode.String() + "/deadline"
			if hide {
				name = mode.String() + "/watched"
			}
			t.Run(name, func(t *testing.T) {
				s := newMemSaver()
				tmp := t.TempDir()
				logs := &syncBuffer{}
				h, err := handler.NewUploadHandler(s, handler.Options{Mode: mode, TempDir: tmp, SpoolMemory: 8 << 10,
					IdleTimeout: 200 * time.Millisecond, Logger: slogTo(logs)})
				if err != nil {
					t.Fatal(err)
				}
				addr, done := idleServer(t, h, hide, 0)
				var released func() bool
				if hide {
					released = func() bool {
						gaveUp := strings.Contains(logs.String(), "code="+handler.CodeRequestTimeout)
						return gaveUp && s.open.Load() == 0 && len(openIn(tmp)) == 0 && len(s.names()) == 0
					}
				}
				status, a := stall(t, addr, ctype, len(body), sent, released)
				if status != http.StatusRequestTimeout || a.Error.Code != handler.CodeRequestTimeout {
					t.Errorf("stalled upload = %d %q, want 408 %q", status, a.Error.Code, handler.CodeRequestTimeout)
				}
				waitDone(t, done)
				if n := s.names(); len(n) != 0 {
					t.Errorf("stored %q after a stall, want nothing", n)
				}
				if mode == handler.Stream && s.started.Load() != 1 {
					t.Errorf("Put was called %d times before the stall, want 1 (an upload in flight)", s.started.Load())
				}
				if n := s.open.Load(); n != 0 {
					t.Errorf("%d uploads still open after the answer", n)
				}
				if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
					t.Errorf("temp dir holds %d files", len(ents))
				}
				if held := openIn(tmp); len(held) != 0 {
					t.Errorf("spool files still open: %q", held)
				}
			})
		}
	}
}

// TestUploadIdleTimeoutServerBound: the handler never moves the read
// deadline past the server's ReadTimeout.
func TestUploadIdleTimeoutServerBound(t *testing.T) {
	body, ctype := form(filepart("f", "big.bin", strings.Repeat("x", 1<<20)))
	h, _ := handler.NewUploadHandler(newMemSaver(), handler.Options{Mode: handler.Stream, IdleTimeout: time.Hour})
	addr, done := idleServer(t, h, false, 300*time.Millisecond)
	status, a := stall(t, addr, ctype, len(body), body[:40<<10], nil)
	if status != http.StatusRequestTimeout || a.Error.Code != handler.CodeRequestTimeout {
		t.Errorf("stalled upload past the server's ReadTimeout = %d %q, want 408 %q", status, a.Error.Code, handler.CodeRequestTimeout)
	}
	waitDone(t, done)
}

// TestUploadIdleTimeoutOwnTime: time the handler spends between reads
// (the Saver uploading, or pausing its reads) is not the client's: a
// request whose client never pauses succeeds however slow the Saver. The
// Saver pauses past 1¼ IdleTimeout, so that a deadline not moved before
// the next read would have passed; IdleTimeout is a second, which a
// client sending from memory on loopback never waits unless it hangs.
// TestClientDeadlines checks the same on a fake clock.
func TestUploadIdleTimeoutOwnTime(t *testing.T) {
	const idle = time.Second
	var wg sync.WaitGroup // the cases run at once: they mostly sleep
	defer wg.Wait()
	for _, mode := range modes {
		for _, hide := range []bool{false, true} {
			wg.Go(func() {
				t.Run(fmt.Sprintf("%s/hide=%v", mode, hide), func(t *testing.T) {
					s := newMemSaver()
					s.put = func(_ context.Context, _ string, r io.Reader) error {
						if mode == handler.Stream {
							io.ReadFull(r, make([]byte, 5000)) // then pause with the body half read
						}
						time.Sleep(idle + idle/2)
						return nil
					}
					h, _ := handler.NewUploadHandler(s, handler.Options{Mode: mode, TempDir: t.TempDir(), IdleTimeout: idle})
					addr, done := idleServer(t, h, hide, 0)
					body, ctype := form(filepart("a", "a.bin", strings.Repeat("a", 200<<10)), filepart("b", "b.bin", strings.Repeat("b", 200<<10)))
					resp, err := http.Post("http://"+addr+"/upload", ctype, strings.NewReader(string(body)))
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						t.Errorf("upload with a slow Saver = %d, want 201", resp.StatusCode)
					}
					waitDone(t, done)
				})
			})
		}
	}
}

// TestUploadIdleTimeoutRecorder: without a server (a ResponseRecorder and
// a body that never ends), the watched reads still give up.
func TestUploadIdleTimeoutRecorder(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s := newMemSaver()
			h, _ := handler.NewUploadHandler(s, handler.Options{Mode: mode, TempDir: t.TempDir(), IdleTimeout: 50 * time.Millisecond})
			body, ctype := form(filepart("f", "big.bin", strings.Repeat("x", 100<<10)))
			pr, pw := io.Pipe()
			go pw.Write(body[:50<<10]) // and never more
			defer pw.Close()
			r, _ := http.NewRequest(http.MethodPost, "/upload", pr)
			r.Header.Set("Content-Type", ctype)
			w, a := serve(t, h, r)
			if w.Code != http.StatusRequestTimeout || a.Error.Code != handler.CodeRequestTimeout {
				t.Errorf("ServeHTTP(stalled body) = %d %q, want 408 %q", w.Code, a.Error.Code, handler.CodeRequestTimeout)
			}
			if n := s.names(); len(n) != 0 || s.open.Load() != 0 {
				t.Errorf("stored %q, %d uploads open, want nothing", n, s.open.Load())
			}
		})
	}
}
