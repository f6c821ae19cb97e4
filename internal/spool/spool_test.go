package spool

import (
	"bytes"
	"io"
	"os"
	"testing"
)

func TestSpool(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10_000) // 100 kB
	for _, tc := range []struct {
		name   string
		limit  int64
		onDisk bool
	}{
		{"memory", 1 << 20, false},
		{"rolls over", 4096, true},
		{"disk from the first byte", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := New(tc.limit, dir)
			if n, err := s.ReadFrom(bytes.NewReader(data)); err != nil || n != int64(len(data)) {
				t.Fatalf("ReadFrom = %d, %v; want %d, nil", n, err, len(data))
			}
			if s.OnDisk() != tc.onDisk || s.Size() != int64(len(data)) {
				t.Errorf("OnDisk() = %v, Size() = %d; want %v, %d", s.OnDisk(), s.Size(), tc.onDisk, len(data))
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("the temp file is visible in %s: it should be unlinked at creation", dir)
			}
			got, err := io.ReadAll(s.Reader())
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("Reader gave %d bytes, %v; want the %d written", len(got), err, len(data))
			}
			p := make([]byte, 20)
			if n, err := s.ReadAt(p, int64(len(data))-10); n != 10 || err != io.EOF || !bytes.Equal(p[:n], data[len(data)-10:]) {
				t.Errorf("ReadAt past the end = %d, %v; want 10, EOF", n, err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if _, err := s.Write([]byte("x")); err == nil {
				t.Errorf("Write after Close succeeded")
			}
			s.Close() // twice is fine
		})
	}
}
