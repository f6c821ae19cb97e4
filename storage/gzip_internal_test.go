package storage

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
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
// leave its goroutine blocked.
func TestGzipPipeStop(t *testing.T) {
	pipe := newGzipPipe(bytes.NewReader(bytes.Repeat([]byte("x"), 10<<20)))
	buf := make([]byte, 100)
	if _, err := pipe.Read(buf); err != nil {
		t.Fatal(err)
	}
	pipe.stop() // returns only once the goroutine has finished
}
