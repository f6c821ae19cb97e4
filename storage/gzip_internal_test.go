package storage

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"io"
	"sync/atomic"
	"testing"
	"time"
)

func FuzzGzipRoundTrip(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("body { color: red }"))
	f.Add(bytes.Repeat([]byte("abc"), 50000))
	f.Add([]byte{0x1f, 0x8b, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		compress := func() []byte {
			pipe := newGzipPipe(bytes.NewReader(data))
			defer pipe.stop()
			out, err := io.ReadAll(pipe)
			if err != nil {
				t.Fatalf("gzip pipe: %v", err)
			}
			return out
		}
		mem, again := compress(), compress()
		if !bytes.Equal(mem, again) {
			t.Fatalf("two compressions of the same %d bytes differ: ETags would too", len(data))
		}
		zr, err := gzip.NewReader(bytes.NewReader(mem))
		if err != nil {
			t.Fatalf("gzip.NewReader: %v", err)
		}
		if zr.Header.Name != "" || !zr.Header.ModTime.IsZero() {
			t.Fatalf("gzip header carries name %q, mtime %v; want none, for stable ETags", zr.Header.Name, zr.Header.ModTime)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip of %d bytes gave %d bytes, %v", len(data), len(got), err)
		}
	})
}

// TestGzipPipeStop checks that abandoning a pipe mid-stream does not
// leave its goroutine blocked: stop returns (a generous deadline fails
// only on a hang), the goroutine has ended, it stopped reading the source
// early instead of compressing all of it, and the pipe reads no more.
func TestGzipPipeStop(t *testing.T) {
	const size = 10 << 20
	src := &countingReader{r: bytes.NewReader(randomBytes(size))}
	pipe := newGzipPipe(src)
	buf := make([]byte, 100)
	if _, err := io.ReadFull(pipe, buf); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	go func() { pipe.stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(60 * time.Second):
		t.Fatal("stop did not return: the compressing goroutine is blocked")
	}
	select {
	case <-pipe.done:
	default:
		t.Fatal("stop returned before the compressing goroutine ended")
	}
	if n := src.n.Load(); n >= size/2 {
		t.Errorf("the goroutine read %d of the %d source bytes after the pipe was abandoned at 100; want it stopped early", n, size)
	}
	if n, err := pipe.Read(buf); n != 0 || err == nil {
		t.Errorf("Read after stop = %d, %v; want 0 and an error", n, err)
	}
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// randomBytes returns n bytes that do not compress.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
