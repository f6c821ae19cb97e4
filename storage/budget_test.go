package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// TestTightBudget: more large streams than the budget can carry at full
// speed all finish, intact: streams wait for memory in line and never for
// each other in a circle.
func TestTightBudget(t *testing.T) {
	st, srv := memStorage(t, s3local.Options{}, storage.Options{
		BufferMemory: storage.MinBufferMemory,
		Transfer:     storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 1 << 20, Concurrency: 3},
	})
	const streams = 6
	var wg sync.WaitGroup
	errs := make([]error, streams)
	data := make([][]byte, streams)
	for i := range streams {
		data[i] = bytes.Repeat([]byte{byte('a' + i)}, 12<<20+i)
		wg.Go(func() {
			_, errs[i] = st.Put(context.Background(), fmt.Sprint("s", i), struct{ io.Reader }{bytes.NewReader(data[i])}, nil)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("stream %d: %v", i, err)
			continue
		}
		if o, ok := srv.Object(testBucket, fmt.Sprint("s", i)); !ok || !bytes.Equal(o.Body, data[i]) {
			t.Errorf("stream %d: stored %d bytes, want %d", i, len(o.Body), len(data[i]))
		}
	}
}
