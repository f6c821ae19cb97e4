package handler_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

// smallSaver reads a stream as slowly as it comes, through a 256-byte
// buffer: what it holds is not the handler's.
type smallSaver struct{}

func (smallSaver) Put(_ context.Context, name string, r io.Reader, _ *storage.SaveOptions) (storage.Info, error) {
	var buf [256]byte
	var n int64
	for {
		m, err := r.Read(buf[:])
		n += int64(m)
		if err == io.EOF {
			return storage.Info{Name: name, Size: n}, nil
		}
		if err != nil {
			return storage.Info{}, err
		}
	}
}

func (smallSaver) Delete(context.Context, string) error { return nil }

// countingBody reports once its reader, having read target bytes, reads
// again: the handler has done all it can with them and waits for more.
type countingBody struct {
	io.ReadCloser
	n, target int
	once      sync.Once
	wg        *sync.WaitGroup
}

func (c *countingBody) Read(p []byte) (int, error) {
	if c.n >= c.target {
		c.once.Do(c.wg.Done)
	}
	n, err := c.ReadCloser.Read(p)
	c.n += n
	return n, err
}

// stalledHeap opens n connections that each send sent of a body that
// declares declared bytes, waits until each handler, having read all
// they sent, waits in a read for more, and returns the heap they hold,
// per connection.
func stalledHeap(t *testing.T, h http.Handler, n int, ctype string, declared int, sent []byte) float64 {
	var wg sync.WaitGroup
	wg.Add(n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &countingBody{ReadCloser: r.Body, target: len(sent), wg: &wg}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // and the pools' victims
	runtime.ReadMemStats(&before)
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
		fmt.Fprintf(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ctype, declared)
		c.Write(sent)
	}
	wg.Wait()
	runtime.GC()
	runtime.ReadMemStats(&after)
	for _, c := range conns {
		c.Close()
	}
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// TestUploadStalledMemory: what a request holds while its client stalls
// after sending 40 KiB of a file, beyond what net/http itself holds for a
// stalled body (about 14 KiB, both ends of the loopback connection
// counted). Stream mode holds no read-ahead and no spool: about 9 KiB of
// the handler's (the multipart reader's 4 KiB buffer, the sniffed head);
// Spool mode about 75 KiB: the 40 KiB received, in a buffer that doubled
// as it grew. The README and the package documentation state the figures
// this test logs.
func TestUploadStalledMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 600 connections")
	}
	const n = 200
	body, ctype := form(filepart("f", "big.bin", strings.Repeat("x", 1<<20)))
	sent := body[:40<<10]
	base := stalledHeap(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf [256]byte
		for {
			if _, err := r.Body.Read(buf[:]); err != nil {
				return
			}
		}
	}), n, ctype, len(body), sent)
	for _, tc := range []struct {
		mode handler.Mode
		max  float64 // the handler's own bytes per stalled request
	}{
		{handler.Stream, 16 << 10},
		{handler.Spool, 2*float64(len(sent)) + 16<<10}, // what was received, and the spool's room to grow
	} {
		h, _ := handler.NewUploadHandler(smallSaver{}, handler.Options{Mode: tc.mode, TempDir: t.TempDir()})
		own := stalledHeap(t, h, n, ctype, len(body), sent) - base
		t.Logf("%s: the handler holds %.0f bytes per stalled request (net/http %.0f)", tc.mode, own, base)
		if own > tc.max {
			t.Errorf("%s: a request stalled after %d bytes holds %.0f bytes of the handler's, want at most %.0f", tc.mode, len(sent), own, tc.max)
		}
	}
}
