package handler

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// chunky gives at most the next size of sizes per read, counting reads.
type chunky struct {
	data  []byte
	sizes []int
	reads int
	asked []int // len(p) of each read
}

func (c *chunky) Read(p []byte) (int, error) {
	c.reads++
	c.asked = append(c.asked, len(p))
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(p)
	if len(c.sizes) > 0 {
		n = min(n, c.sizes[0])
		c.sizes = c.sizes[1:]
	}
	n = copy(p, c.data[:min(n, len(c.data))])
	c.data = c.data[n:]
	return n, nil
}

// TestBodyReadAhead: the read-ahead is taken while data flows, and given
// back once a read comes back short and its bytes are consumed, so that a
// client that pauses pins no buffer of the handler's.
func TestBodyReadAhead(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	t.Run("flowing", func(t *testing.T) {
		src := &chunky{data: data}
		b := &body{src: src, budget: -1}
		var got bytes.Buffer
		buf := make([]byte, 4096)
		for {
			n, err := b.Read(buf)
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("read %d bytes, not the %d written", got.Len(), len(data))
		}
		// 1 MiB in 64 KiB reads: 16, one direct 4 KiB read first, EOF.
		if src.reads > len(data)/readAheadSize+3 {
			t.Errorf("%d reads from the client for %d bytes read 4 KiB at a time, want about %d", src.reads, len(data), len(data)/readAheadSize)
		}
		if b.buf != nil {
			t.Errorf("the read-ahead is still held at EOF")
		}
	})
	t.Run("quiet", func(t *testing.T) {
		// The client sends 40 KiB, then bytes in small pieces: after the
		// short read the buffer goes back, and reads go straight through.
		sizes := []int{4096, 36 << 10}
		for range 50 {
			sizes = append(sizes, 100)
		}
		src := &chunky{data: data[:40<<10+5000], sizes: sizes}
		b := &body{src: src, budget: -1}
		buf := make([]byte, 4096)
		var held []bool
		for {
			_, err := b.Read(buf)
			held = append(held, b.buf != nil)
			if err != nil {
				break
			}
		}
		if !held[1] {
			t.Errorf("the read-ahead was not taken after a full read")
		}
		if last := held[len(held)-2]; last {
			t.Errorf("the read-ahead is held while the client sends little")
		}
		for i, n := range src.asked[2:] {
			if n != len(buf) {
				t.Errorf("read %d asked the client for %d bytes, want the caller's %d (no read-ahead)", i+2, n, len(buf))
				break
			}
		}
	})
	t.Run("error after data", func(t *testing.T) {
		boom := errors.New("reset")
		b := &body{src: io.MultiReader(bytes.NewReader(data[:10]), errReader{boom}), budget: -1, flowing: true}
		p := make([]byte, 4)
		var got []byte
		var err error
		for err == nil {
			var n int
			n, err = b.Read(p)
			got = append(got, p[:n]...)
		}
		if !bytes.Equal(got, data[:10]) || err != boom {
			t.Errorf("Read = %q, %v; want %q, %v", got, err, data[:10], boom)
		}
		if _, again := b.Read(p); again != boom {
			t.Errorf("Read after the error = %v, want it again", again)
		}
	})
	t.Run("header budget", func(t *testing.T) {
		b := &body{src: bytes.NewReader(data), budget: 10}
		n, err := io.ReadFull(b, make([]byte, 20))
		if n != 10 || err != errHeaderSize {
			t.Errorf("ReadFull past the budget = %d, %v; want 10, %v", n, err, errHeaderSize)
		}
	})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
