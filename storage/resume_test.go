package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// TestReadResumes cuts the bodies of GETs mid-way: Read, ReadAt and the
// decoding reader of a gzip object resume from the byte where the body
// stopped and yield every byte once; a read that keeps being cut fails
// after a bounded number of GETs.
func TestReadResumes(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	for _, tc := range []struct {
		name  string
		cuts  int32 // GETs cut after at bytes of body
		at    int64
		gzip  bool
		fails bool
	}{
		{"once", 1, 100 << 10, false, false},
		{"three times", 3, 100 << 10, false, false},
		{"every GET, with progress", 1000, 100 << 10, false, false},
		{"gzip, twice", 2, 100 << 10, true, false},
		{"every GET, no byte", 1000, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gets, cut atomic.Int32
			intercept := func(op string, r *http.Request) *s3local.Error {
				if op != s3local.OpGetObject {
					return nil
				}
				gets.Add(1)
				if cut.Add(1) <= tc.cuts {
					return s3local.CutResponse(tc.at)
				}
				return nil
			}
			st, _ := memStorage(t, s3local.Options{Intercept: intercept}, storage.Options{
				Gzip: storage.Bool(tc.gzip), GzipContentTypes: []string{"application/octet-stream", "text/plain"},
			})
			ctx := context.Background()
			if _, err := st.Put(ctx, "f.txt", bytes.NewReader(data), nil); err != nil {
				t.Fatal(err)
			}
			cut.Store(0)
			gets.Store(0)
			f, err := st.Open(ctx, "f.txt")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := io.ReadAll(f)
			switch {
			case tc.fails && err == nil:
				t.Fatalf("a read cut at every GET succeeded")
			case tc.fails:
				if n := gets.Load(); n > 1+4 {
					t.Errorf("%d GETs for a read that cannot succeed, want at most 1 + 3 resumes + 1", n)
				}
				return
			case err != nil:
				t.Fatalf("ReadAll over cut bodies: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("ReadAll gave %d bytes, want the %d stored, unchanged", len(got), len(data))
			}
			if tc.gzip {
				return
			}
			cut.Store(0)
			buf := make([]byte, 300<<10)
			if n, err := f.ReadAt(buf, 5000); err != nil || !bytes.Equal(buf[:n], data[5000:5000+len(buf)]) {
				t.Errorf("ReadAt over a cut body = %d, %v; want the bytes at 5000", n, err)
			}
		})
	}
}

// TestReadChangedObject: a resumed read of an object replaced meanwhile
// fails rather than mix two versions.
func TestReadChangedObject(t *testing.T) {
	var srv *s3local.Server
	var gets atomic.Int32
	intercept := func(op string, r *http.Request) *s3local.Error {
		if op != s3local.OpGetObject {
			return nil
		}
		switch gets.Add(1) {
		case 1:
			return s3local.CutResponse(1000) // Open's GET
		case 2: // the resume: the object was replaced meanwhile
			if _, err := srv.PutObject(testBucket, "f.bin", bytes.Repeat([]byte("B"), 1<<20), nil); err != nil {
				t.Error(err)
			}
		}
		return nil
	}
	st, srv := memStorage(t, s3local.Options{Intercept: intercept}, storage.Options{})
	ctx := context.Background()
	if _, err := st.Put(ctx, "f.bin", bytes.NewReader(bytes.Repeat([]byte("A"), 1<<20)), nil); err != nil {
		t.Fatal(err)
	}
	f, err := st.Open(ctx, "f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err == nil || bytes.Contains(got, []byte("B")) {
		t.Fatalf("read across a replacement = %d bytes (B in it: %v), %v; want an error and no B", len(got), bytes.Contains(got, []byte("B")), err)
	}
	var se *storage.Error
	if !errors.As(err, &se) {
		t.Errorf("error %v is not a *storage.Error", err)
	}
}
