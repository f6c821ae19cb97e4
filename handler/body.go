package handler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// The request body is read through these layers, from the connection up:
//
//	r.Body → [watched] → http.MaxBytesReader → client → body → multipart.Reader
//
// client is where read errors become answers (*Error) and where the idle
// timeout is kept with read deadlines; watched keeps it instead when the
// ResponseWriter cannot set deadlines; body buffers the multipart reader's
// small reads while data flows and bounds what a part header may read.

// client reads the request body from the connection. Every read error
// becomes an *Error here, at the read that saw it, and the request's work
// is cancelled; with IdleTimeout and a ResponseWriter that can set read
// deadlines, each read may wait for the client between IdleTimeout and
// 1¼ IdleTimeout. Time between reads (the handler uploading to S3) is not
// counted.
type client struct {
	src      io.Reader
	rc       deadliner        // nil: no deadlines to keep
	now      func() time.Time // the clock: time.Now, a fake in tests
	idle     time.Duration
	deadline time.Time          // the read deadline set last
	limit    time.Time          // the server's ReadTimeout, from the handler's start; zero: none
	maxBody  int64              // MaxRequestSize, for the 413's message
	cancel   context.CancelFunc // stops the request's work
	failed   *Error             // the first failure, answered to every later read
	digest   *requestDigest     // the request's Content-Digest, hashed as it is read; nil: none
}

// openBody sets up the layers for r. cancel stops the request's work when
// the body fails.
func (h *UploadHandler) openBody(w http.ResponseWriter, r *http.Request, cancel context.CancelFunc) (*body, *client) {
	idle := h.opts.IdleTimeout // -1: off
	c := &client{idle: idle, maxBody: h.opts.MaxRequestSize, cancel: cancel, now: time.Now}
	var src io.ReadCloser = r.Body
	if idle > 0 {
		now := c.now()
		if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 {
			c.limit = now.Add(srv.ReadTimeout)
		}
		c.rc = http.NewResponseController(w)
		if err := c.rc.SetReadDeadline(c.next(now)); err != nil {
			c.rc = nil // http.ErrNotSupported: a writer that hides the connection
			src = newWatched(src, idle)
			h.noDeadlines.Do(func() {
				h.opts.Logger.WarnContext(r.Context(), "handler: the ResponseWriter cannot set read deadlines; a stalled body is abandoned after IdleTimeout, but net/http sends the answer only once the client sends or closes (give the writer an Unwrap method)",
					"writer", fmt.Sprintf("%T", w))
			})
		}
	}
	if h.opts.MaxRequestSize >= 0 {
		src = http.MaxBytesReader(w, src, h.opts.MaxRequestSize)
	}
	c.src = src
	return &body{src: c, budget: -1}, c
}

// Read reads from the connection, keeping the deadline ahead of the read.
func (c *client) Read(p []byte) (int, error) {
	if c.failed != nil {
		return 0, c.failed
	}
	if c.rc != nil && !c.deadline.Equal(c.limit) { // at the server's ReadTimeout it stays
		if now := c.now(); c.deadline.Sub(now) < c.idle {
			c.rc.SetReadDeadline(c.next(now))
		}
	}
	n, err := c.src.Read(p)
	if c.digest != nil {
		c.digest.write(p[:n])
	}
	if err != nil && err != io.EOF {
		return n, c.fail(err)
	}
	return n, err
}

// deadliner sets the read deadline of the connection:
// *http.ResponseController, or a recorder in tests.
type deadliner interface {
	SetReadDeadline(time.Time) error
}

// next returns the deadline of a read that starts at now, and keeps it:
// 1¼ IdleTimeout away, so that it moves at most about four times per
// IdleTimeout of reading, and never past the server's ReadTimeout.
func (c *client) next(now time.Time) time.Time {
	d := now.Add(c.idle + c.idle/4)
	if !c.limit.IsZero() && d.After(c.limit) {
		d = c.limit
	}
	c.deadline = d
	return d
}

// fail turns a read error into its answer, keeps it and stops the
// request's work: a body that failed is never read again.
func (c *client) fail(err error) *Error {
	var he *Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he): // watched gave up
		c.failed = he
	case errors.As(err, &mbe):
		c.failed = errRequestTooLarge(c.maxBody)
	case isTimeout(err):
		c.failed = errTimeout
	default: // truncated, reset, or otherwise broken
		c.failed = errMalformed
	}
	c.cancel()
	return c.failed
}

// done gives the server's own reads after the handler (the rest of the
// body, the next request's header) a fresh IdleTimeout, whatever time the
// handler spent since its last read.
func (c *client) done() {
	if c.rc != nil && c.failed == nil {
		c.rc.SetReadDeadline(c.next(c.now()))
	}
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// watched keeps the idle timeout when the ResponseWriter cannot set read
// deadlines: each read runs in a goroutine of its own, and a read that
// waits longer than IdleTimeout is left behind with errTimeout, so that
// the request's work stops and its memory, spool and upload are released.
// The body is then closed, which ends the abandoned read where the body
// allows it; its buffer is never touched again.
//
// The net/http server cannot do that much: its body's Close, and the
// writing of the answer, wait for the abandoned read, which ends only
// when the client sends more, closes, or the server's ReadTimeout passes.
// The 408 goes out then.
type watched struct {
	src    io.ReadCloser
	idle   time.Duration
	timer  *time.Timer
	done   chan readResult // the result of the read in flight
	buf    []byte          // what the read in flight reads into
	pooled *[]byte         // buf's pooled array, for reads of more than small
	busy   bool            // a read is in flight
	gone   bool            // gave up: every read fails
	small  [4096]byte      // for the multipart reader's own reads
}

type readResult struct {
	n   int
	err error
}

func newWatched(src io.ReadCloser, idle time.Duration) *watched {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &watched{src: src, idle: idle, timer: t, done: make(chan readResult, 1)}
}

func (w *watched) Read(p []byte) (int, error) {
	if w.gone {
		return 0, errTimeout
	}
	if !w.busy {
		w.start(len(p))
	}
	w.timer.Reset(w.idle)
	select {
	case res := <-w.done:
		w.timer.Stop()
		w.busy = false
		n := copy(p, w.buf[:res.n])
		if w.pooled != nil {
			readAheads.Put(w.pooled)
			w.pooled = nil
		}
		return n, res.err
	case <-w.timer.C:
		w.gone = true
		go w.src.Close() // may wait for the abandoned read, not the handler
		return 0, errTimeout
	}
}

// start begins a read of at most n bytes in a goroutine.
func (w *watched) start(n int) {
	w.buf = w.small[:]
	if n > len(w.small) {
		w.pooled = readAheads.Get().(*[]byte)
		w.buf = *w.pooled
	}
	buf := w.buf[:min(n, len(w.buf))]
	w.busy = true
	go func() {
		n, err := w.src.Read(buf)
		w.done <- readResult{n, err}
	}()
}

// Close closes the body, unless a read was abandoned: then it is closing.
func (w *watched) Close() error {
	if w.gone {
		return nil
	}
	return w.src.Close()
}

// readAheadSize is the read-ahead of the body while data flows: the
// multipart reader reads at most 4 KiB at a time, and one read of 64 KiB
// from the connection serves sixteen of them.
const readAheadSize = 64 << 10

// readAheads are the read-ahead buffers of the bodies that are receiving
// data at full speed.
var readAheads = sync.Pool{New: func() any { b := make([]byte, readAheadSize); return &b }}

// body is the request body as the multipart reader reads it. While data
// flows (the last read from the client filled all it was given), it reads
// ahead 64 KiB at a time into a pooled buffer; once the client is quiet
// (a read came back short) and the buffer is drained, the buffer goes back
// to the pool, and reads go straight into the multipart reader's own
// buffer. A client that stalls after sending slowly therefore holds no
// read-ahead; one that stalls right after a full read holds one (64 KiB).
//
// It also bounds what the multipart reader may read while it parses a part
// header (budget).
type body struct {
	src     io.Reader
	buf     *[]byte // the read-ahead; nil while the client is quiet
	r, w    int     // buf[r:w] is buffered
	err     error   // the error of the last read, returned once buf is drained
	flowing bool
	budget  int64 // bytes that may still be read; -1: no bound
}

func (b *body) Read(p []byte) (int, error) {
	if b.budget < 0 {
		return b.read(p)
	}
	if b.budget == 0 {
		return 0, errHeaderSize
	}
	if int64(len(p)) > b.budget {
		p = p[:b.budget]
	}
	n, err := b.read(p)
	b.budget -= int64(n)
	return n, err
}

func (b *body) read(p []byte) (int, error) {
	if b.r == b.w {
		if b.err != nil {
			return 0, b.err
		}
		if !b.flowing || len(p) >= readAheadSize {
			n, err := b.src.Read(p)
			b.flowing = n > 0 && n == len(p)
			b.err = err
			return n, err
		}
		b.fill()
		if b.r == b.w {
			return 0, b.err
		}
	}
	n := copy(p, (*b.buf)[b.r:b.w])
	b.r += n
	if b.r == b.w && !b.flowing {
		b.release()
	}
	return n, nil
}

// fill reads ahead into the pooled buffer.
func (b *body) fill() {
	if b.buf == nil {
		b.buf = readAheads.Get().(*[]byte)
	}
	n, err := b.src.Read(*b.buf)
	b.r, b.w, b.err = 0, n, err
	b.flowing = n == len(*b.buf)
	if n == 0 {
		b.release()
	}
}

// release gives the read-ahead back to the pool, dropping what it still
// buffers (at the end of the request, nothing reads it).
func (b *body) release() {
	if b.buf != nil {
		readAheads.Put(b.buf)
		b.buf, b.r, b.w = nil, 0, 0
	}
}

// headerBudget is what the multipart reader may read while it parses a
// part header: the header, and one read-ahead of its own 4 KiB buffer.
func (h *UploadHandler) headerBudget() int64 { return h.opts.MaxPartHeaderSize + 4096 }
