package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestBudgetFIFO(t *testing.T) {
	b := newBudget(10)
	if !b.tryAcquire(6) {
		t.Fatal("tryAcquire(6) of 10 failed")
	}
	got := make(chan int, 2)
	go func() { b.acquire(context.Background(), 8); got <- 8 }()
	for waiting := 0; waiting == 0; {
		b.mu.Lock()
		waiting = b.waiters.Len()
		b.mu.Unlock()
		runtime.Gosched()
	}
	if b.tryAcquire(1) {
		t.Error("tryAcquire(1) overtook a waiter in line")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error)
	go func() { cancelled <- b.acquire(ctx, 1) }()
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("acquire on a cancelled context = %v, want context.Canceled", err)
	}
	b.release(6)
	if n := <-got; n != 8 || b.inUse() != 8 {
		t.Errorf("after release: granted %d, in use %d; want 8 and 8", n, b.inUse())
	}
	b.release(8)
	if b.inUse() != 0 {
		t.Errorf("in use %d after every release, want 0", b.inUse())
	}
}

// stalled yields n bytes, then blocks until release is closed, then fails.
type stalled struct {
	n       int
	release chan struct{}
}

func (s *stalled) Read(p []byte) (int, error) {
	if s.n > 0 {
		k := min(len(p), s.n)
		s.n -= k
		return k, nil
	}
	<-s.release
	return 0, errors.New("client gone")
}

// TestStalledStreamsHoldWhatTheySent: streams that send 40 KiB and stall
// take nothing from the budget and hold about what they sent, not a part.
func TestStalledStreamsHoldWhatTheySent(t *testing.T) {
	s := &Storage{budget: newBudget(DefaultBufferMemory), streamLimit: DefaultThreshold, opts: &Options{Transfer: TransferConfig{PartSize: DefaultPartSize}}}
	const streams = 200
	release := make(chan struct{})
	var started, done sync.WaitGroup
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for range streams {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			r := &stalled{n: 40 << 10, release: release}
			sr := &streamReader{r: &signalAfter{r: r, after: 40 << 10, wg: &started}, mem: s.newAllowance()}
			ps, _ := sr.readAhead(context.Background(), s.streamLimit, s.opts.Transfer.PartSize)
			sr.mem.free(ps...)
			sr.mem.close()
		}()
	}
	started.Wait()
	runtime.GC()
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	close(release)
	done.Wait()
	perStream := (int64(during.HeapInuse) - int64(before.HeapInuse)) / streams
	if perStream > 80<<10 {
		t.Errorf("a stream that sent 40 KiB holds %d KiB of heap, want at most 80 KiB", perStream>>10)
	}
	if n := s.budget.inUse(); n != 0 {
		t.Errorf("budget in use %d after the streams ended, want 0", n)
	}
	t.Logf("%d stalled streams of 40 KiB: %d KiB of heap each", streams, perStream>>10)
}

// signalAfter calls wg.Done once after bytes have been read.
type signalAfter struct {
	r     io.Reader
	after int
	wg    *sync.WaitGroup
	read  int
}

func (s *signalAfter) Read(p []byte) (int, error) {
	if s.read >= s.after {
		s.wg.Done()
		s.after = 1 << 62
	}
	n, err := s.r.Read(p)
	s.read += n
	return n, err
}

// TestAdmissionWaits: once the budget is spent, a new stream past its
// first 64 KiB waits (honouring ctx) instead of allocating, and goes on
// when memory is given back.
func TestAdmissionWaits(t *testing.T) {
	s := &Storage{budget: newBudget(MinBufferMemory), streamLimit: DefaultThreshold, opts: &Options{Transfer: TransferConfig{PartSize: DefaultPartSize}}}
	first := s.newAllowance()
	sr := &streamReader{r: bytes.NewReader(make([]byte, 6<<20)), mem: first}
	ps, err := sr.readAhead(context.Background(), s.streamLimit, s.opts.Transfer.PartSize)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	second := &streamReader{r: bytes.NewReader(make([]byte, 1<<20)), mem: s.newAllowance()}
	if _, err := second.readAhead(ctx, s.streamLimit, s.opts.Transfer.PartSize); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second stream with the budget spent: %v, want it to wait until its ctx ends", err)
	}
	if second.got > headLimit {
		t.Errorf("the waiting stream read %d bytes, want at most its first %d", second.got, headLimit)
	}
	third := &streamReader{r: bytes.NewReader(make([]byte, 1<<20)), mem: s.newAllowance()}
	got := make(chan error, 1)
	go func() {
		ps, err := third.readAhead(context.Background(), s.streamLimit, s.opts.Transfer.PartSize)
		third.mem.free(ps...)
		third.mem.close()
		got <- err
	}()
	first.free(ps...)
	first.close()
	if err := <-got; err != nil || third.got != 1<<20 {
		t.Errorf("after the first stream gave its memory back: read %d bytes, %v; want all 1 MiB", third.got, err)
	}
	if n := s.budget.inUse(); n != 0 {
		t.Errorf("budget in use %d, want 0", n)
	}
}
