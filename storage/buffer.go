package storage

import (
	linkedlist "container/list"
	"context"
	"errors"
	"io"
	"sync"
)

// Memory of streamed bodies.
//
// A stream (a body that is not an io.ReaderAt, or one that is compressed
// on the way) is read into segments taken as its bytes arrive: 16 KiB
// segments for its first 64 KiB, then 256 KiB ones, so that what a stream
// holds grows with what its client has sent. The first 64 KiB of every
// stream are free; beyond them a stream must be admitted by the Storage's
// budget (BufferMemory): it reserves MinPartSize plus one segment at once,
// waiting in line, honouring ctx, while the budget is spent. The
// reservation is a promise, not memory: segments are still taken as bytes
// arrive. With it an admitted stream can always fill a part of the
// smallest size S3 accepts, send it and so give memory back: streams never
// wait on each other in a circle. Beyond its reservation a stream grows
// only while the budget has room; when it has none, it sends the part it
// is filling as soon as that part reaches MinPartSize, or waits for one of
// its own parts in flight to finish.
//
// So the Storage holds at most BufferMemory bytes of streamed bodies, plus
// 64 KiB for each stream that has not yet been admitted, and one stream
// at most PartSize × Concurrency (plus one segment).

const (
	headSegment = 16 << 10  // the segments of a stream's first headLimit bytes
	headLimit   = 64 << 10  // what a stream may hold before it is admitted
	segmentSize = 256 << 10 // the segments after that, taken from the budget
)

var (
	headSegments = sync.Pool{New: func() any { return new([headSegment]byte) }}
	bigSegments  = sync.Pool{New: func() any { return new([segmentSize]byte) }}
)

// segment is a buffer of headSegment or segmentSize bytes, n of them
// filled.
type segment struct {
	head *[headSegment]byte
	big  *[segmentSize]byte
	n    int
}

func (g segment) buf() []byte {
	if g.head != nil {
		return g.head[:]
	}
	return g.big[:]
}

func (g segment) bytes() []byte { return g.buf()[:g.n] }

// part is the bytes of one part, or of a whole small body, in segments,
// and their sum in the Put's checksum algorithm, taken as they were read.
type part struct {
	segs []segment
	n    int64
	sum  sum
}

// budget is a FIFO weighted semaphore of bytes, shared by the streams of
// a Storage (the shape of golang.org/x/sync/semaphore, which the core
// does not import).
type budget struct {
	mu      sync.Mutex
	size    int64
	cur     int64
	waiters linkedlist.List // of *waiter, in arrival order
}

type waiter struct {
	n     int64
	ready chan struct{} // closed when granted
}

func newBudget(size int64) *budget { return &budget{size: size} }

// acquire waits, in line, until n bytes are free, or ctx is done.
func (b *budget) acquire(ctx context.Context, n int64) error {
	b.mu.Lock()
	if b.size-b.cur >= n && b.waiters.Len() == 0 {
		b.cur += n
		b.mu.Unlock()
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	elem := b.waiters.PushBack(w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready:
			// Granted meanwhile: give it back.
			b.cur -= n
			b.notify()
		default:
			front := b.waiters.Front() == elem
			b.waiters.Remove(elem)
			if front {
				b.notify() // the next in line may fit now
			}
		}
		b.mu.Unlock()
		return context.Cause(ctx)
	}
}

// tryAcquire takes n bytes if they are free and nobody waits in line.
func (b *budget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.size-b.cur >= n && b.waiters.Len() == 0 {
		b.cur += n
		return true
	}
	return false
}

func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.cur -= n
	if b.cur < 0 {
		panic("storage: budget released more than it gave")
	}
	b.notify()
	b.mu.Unlock()
}

// notify grants waiters in order while they fit. b.mu is held.
func (b *budget) notify() {
	for {
		front := b.waiters.Front()
		if front == nil {
			return
		}
		w := front.Value.(*waiter)
		if b.size-b.cur < w.n {
			return // FIFO: nobody overtakes the first in line
		}
		b.cur += w.n
		b.waiters.Remove(front)
		close(w.ready)
	}
}

// inUse reports the bytes granted, for tests.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cur
}

// allowance is one stream's share of the budget: held bytes granted, used
// of them in live segments. Parts are given back from the upload
// goroutines, so it is safe for concurrent use.
type allowance struct {
	b       *budget
	reserve int64 // kept from admission to close: MinPartSize + one segment

	mu    sync.Mutex
	held  int64
	used  int64
	freed chan struct{} // a token when segments were given back
}

func (s *Storage) newAllowance() *allowance {
	return &allowance{b: s.budget, reserve: MinPartSize + segmentSize, freed: make(chan struct{}, 1)}
}

// errShort means the budget has no room now for another segment.
var errShort = errors.New("storage: buffer budget spent")

// take accounts for one big segment: within what is held, else by
// admission (waiting in line, the first time), else from what the budget
// has free. It returns errShort when the budget has no room now.
func (a *allowance) take(ctx context.Context) error {
	a.mu.Lock()
	if a.used+segmentSize <= a.held {
		a.used += segmentSize
		a.mu.Unlock()
		return nil
	}
	admitted := a.held > 0
	a.mu.Unlock()
	if !admitted {
		if err := a.b.acquire(ctx, a.reserve); err != nil {
			return err
		}
		a.mu.Lock()
		a.held += a.reserve
		a.used += segmentSize
		a.mu.Unlock()
		return nil
	}
	if !a.b.tryAcquire(segmentSize) {
		return errShort
	}
	a.mu.Lock()
	a.held += segmentSize
	a.used += segmentSize
	a.mu.Unlock()
	return nil
}

// give returns n bytes of big segments, and to the budget what the
// allowance holds beyond its reservation.
func (a *allowance) give(n int64) {
	if n == 0 {
		return
	}
	a.mu.Lock()
	a.used -= n
	excess := a.held - max(a.used, a.reserve)
	if excess > 0 {
		a.held -= excess
	} else {
		excess = 0
	}
	a.mu.Unlock()
	a.b.release(excess)
	select {
	case a.freed <- struct{}{}:
	default:
	}
}

// close returns everything held; no segment may be live.
func (a *allowance) close() {
	a.mu.Lock()
	held := a.held
	a.held, a.used = 0, 0
	a.mu.Unlock()
	a.b.release(held)
}

// streamReader reads a stream into parts under an allowance, summing
// each part in alg.
type streamReader struct {
	r   io.Reader
	mem *allowance
	alg algorithm
	got int64 // bytes read so far
	eof bool
}

// fill reads into p until it holds max bytes or the stream ends. When
// the budget is short it returns errShort once p holds at least
// MinPartSize bytes (a part S3 accepts), and otherwise waits for a
// segment given back (by a part of this stream in flight) or ctx.
func (sr *streamReader) fill(ctx context.Context, p *part, max, shortAt int64) error {
	if p.n == 0 {
		p.sum = newSum(sr.alg)
	}
	for !sr.eof && p.n < max {
		g, err := sr.segment(ctx, p, shortAt)
		if err != nil {
			return err
		}
		want := min(int64(len(g.buf())), max-p.n)
		g.n, err = io.ReadFull(sr.r, g.buf()[:want])
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			sr.eof = true
		default:
			sr.mem.recycle(g)
			return err
		}
		if g.n == 0 {
			sr.mem.recycle(g)
			continue
		}
		p.segs = append(p.segs, g)
		p.sum.write(g.bytes())
		p.n += int64(g.n)
		sr.got += int64(g.n)
	}
	return nil
}

// segment returns an empty segment for the next bytes of the stream.
func (sr *streamReader) segment(ctx context.Context, p *part, shortAt int64) (segment, error) {
	if sr.got < headLimit {
		return segment{head: headSegments.Get().(*[headSegment]byte)}, nil
	}
	for {
		err := sr.mem.take(ctx)
		if err == nil {
			return segment{big: bigSegments.Get().(*[segmentSize]byte)}, nil
		}
		if err != errShort {
			return segment{}, err
		}
		if p.n >= shortAt {
			return segment{}, errShort
		}
		select {
		case <-sr.mem.freed:
		case <-ctx.Done():
			return segment{}, context.Cause(ctx)
		}
	}
}

// recycle returns one segment to its pool and its bytes to the budget.
func (a *allowance) recycle(g segment) {
	if g.head != nil {
		headSegments.Put(g.head)
		return
	}
	if g.big != nil {
		bigSegments.Put(g.big)
		a.give(segmentSize)
	}
}

// free recycles the segments of parts.
func (a *allowance) free(ps ...part) {
	for _, p := range ps {
		for _, g := range p.segs {
			a.recycle(g)
		}
	}
}

// partsReader reads the bytes of parts without copying them; it seeks,
// so the SDK can hash and resend a body.
type partsReader struct {
	segs []segment
	size int64
	off  int64
	i    int   // segment holding off, when off < size
	base int64 // offset of segment i
}

func newPartsReader(ps ...part) *partsReader {
	r := &partsReader{}
	for _, p := range ps {
		r.segs = append(r.segs, p.segs...)
		r.size += p.n
	}
	return r
}

func (r *partsReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	for r.off-r.base >= int64(r.segs[r.i].n) {
		r.base += int64(r.segs[r.i].n)
		r.i++
	}
	n := copy(p, r.segs[r.i].bytes()[r.off-r.base:])
	r.off += int64(n)
	return n, nil
}

func (r *partsReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	}
	if offset < 0 {
		return 0, errors.New("storage: seek: negative position")
	}
	r.off, r.i, r.base = offset, 0, 0
	return offset, nil
}

func total(ps []part) (n int64) {
	for _, p := range ps {
		n += p.n
	}
	return n
}
