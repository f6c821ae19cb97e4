package handler

import (
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// deadlines records the read deadlines a client sets.
type deadlines struct{ set []time.Time }

func (d *deadlines) SetReadDeadline(t time.Time) error {
	d.set = append(d.set, t)
	return nil
}

func (d *deadlines) last() time.Time { return d.set[len(d.set)-1] }

// clockedReader checks, at each read from the connection, that the
// deadline in force lets the client take IdleTimeout, whatever time the
// handler spent before the read.
type clockedReader struct {
	t     *testing.T
	clock *fakeClock
	d     *deadlines
	idle  time.Duration
	limit time.Time
	reads int
}

func (r *clockedReader) Read(p []byte) (int, error) {
	r.reads++
	left := r.d.last().Sub(r.clock.t)
	if left < r.idle && (r.limit.IsZero() || r.d.last().Before(r.limit)) {
		r.t.Errorf("read %d may wait %v for the client, want at least IdleTimeout (%v)", r.reads, left, r.idle)
	}
	if !r.limit.IsZero() && r.d.last().After(r.limit) {
		r.t.Errorf("read %d has a deadline %v past the server's ReadTimeout", r.reads, r.d.last().Sub(r.limit))
	}
	return copy(p, strings.Repeat("x", len(p))), nil
}

// TestClientDeadlines drives the idle timeout on a fake clock: the time
// the handler spends between reads (an S3 upload of a minute) never counts
// against the client, the deadline moves at most about four times per
// IdleTimeout of steady reading, and never past the server's ReadTimeout.
func TestClientDeadlines(t *testing.T) {
	const idle = 30 * time.Second
	for _, limit := range []time.Duration{0, 60 * time.Second} {
		clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		d := &deadlines{}
		c := &client{rc: d, now: clock.now, idle: idle, cancel: func() {}}
		src := &clockedReader{t: t, clock: clock, d: d, idle: idle}
		if limit > 0 {
			c.limit = clock.t.Add(limit)
			src.limit = c.limit
		}
		c.src = src
		d.SetReadDeadline(c.next(clock.t))
		buf := make([]byte, 10)
		start := clock.t
		// Steady reads 100 ms apart, a minute of the handler's own work
		// (an S3 upload) in the middle, until the server's ReadTimeout.
		for i := 0; i < 1000 && (c.limit.IsZero() || clock.t.Add(100*time.Millisecond).Before(c.limit)); i++ {
			clock.t = clock.t.Add(100 * time.Millisecond)
			c.Read(buf)
			if i == 500 {
				clock.t = clock.t.Add(time.Minute)
			}
		}
		elapsed := clock.t.Sub(start)
		if moves := len(d.set); moves > 4*int(elapsed/idle)+2 {
			t.Errorf("limit %v: the deadline moved %d times in %v of reading, want about 4 per IdleTimeout", limit, moves, elapsed)
		}
		if src.reads < 500 {
			t.Fatalf("limit %v: only %d reads", limit, src.reads)
		}
	}
}
