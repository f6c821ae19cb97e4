package s3local

import (
	"errors"
	"io"
	"sort"
)

// MemoryStore is a Store that keeps everything in memory: a Server's
// default. Nothing survives the process. A body is held once, in segments
// of up to 1 MiB that are never copied as it grows; the sum of the bodies
// is bounded only by the memory of the process (a single body is bounded
// by Options.MaxObjectSize).
type MemoryStore struct {
	idx *index
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{idx: newIndex(memBackend{})}
}

func (m *MemoryStore) storeIndex() *index { return m.idx }

// memSegment is the size of the segments of a body.
const memSegment = 1 << 20

// segments are the bytes of a body, in segments of up to memSegment bytes
// (the first may be smaller, sized by the blob's hint), so that a body
// grows without being copied, and no more than one segment is allocated
// ahead of the bytes received. It is immutable once stored.
type segments struct {
	segs [][]byte
	offs []int64 // offs[i] is the offset of segs[i]
	size int64
}

func (s *segments) write(p []byte, hint int64) {
	for len(p) > 0 {
		if n := len(s.segs); n == 0 || len(s.segs[n-1]) == cap(s.segs[n-1]) {
			c := memSegment
			if n == 0 && hint > 0 && hint < memSegment {
				c = int(hint)
			}
			s.segs = append(s.segs, make([]byte, 0, c))
			s.offs = append(s.offs, s.size)
		}
		last := &s.segs[len(s.segs)-1]
		k := min(cap(*last)-len(*last), len(p))
		*last = append(*last, p[:k]...)
		p = p[k:]
		s.size += int64(k)
	}
}

// segmentReader is an objectReader over immutable segments.
type segmentReader struct{ s *segments }

func (r segmentReader) ReadAt(p []byte, off int64) (int, error) {
	s := r.s
	if off < 0 {
		return 0, errors.New("s3local: negative offset")
	}
	if off >= s.size {
		return 0, io.EOF
	}
	i := sort.Search(len(s.offs), func(i int) bool { return s.offs[i] > off }) - 1
	n := 0
	for ; n < len(p) && i < len(s.segs); i++ {
		n += copy(p[n:], s.segs[i][off+int64(n)-s.offs[i]:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (segmentReader) Close() error { return nil }

// memBlob stages a body in memory.
type memBlob struct {
	data  *segments
	hint  int64
	taken bool
}

func (b *memBlob) Write(p []byte) (int, error) {
	if b.taken {
		return 0, errors.New("s3local: write to a blob already stored")
	}
	b.data.write(p, b.hint)
	return len(p), nil
}

func (b *memBlob) discard() {
	b.taken = true
	b.data = nil
}

// memBackend keeps the bytes of a MemoryStore: a body is its segments,
// which nothing changes once stored, so that every step is done by the
// index's maps.
type memBackend struct{}

// take returns the bytes of a blob.
func (memBackend) take(body blob) (*segments, error) {
	b, ok := body.(*memBlob)
	if !ok || b.taken {
		body.discard()
		return nil, errors.New("s3local: the blob is not a pending blob of a MemoryStore")
	}
	b.taken = true
	data := b.data
	b.data = nil
	return data, nil
}

func (memBackend) newBlob(size int64) (blob, error) {
	return &memBlob{data: &segments{}, hint: size}, nil
}

func (memBackend) open(body any) (objectReader, error) { return segmentReader{body.(*segments)}, nil }

func (memBackend) refresh(o *object, _ objectReader) (*object, error) { return o, nil }

func (memBackend) keep(string, *object) error { return nil }

func (memBackend) forget(string, *object) {}

func (memBackend) createBucket(BucketInfo) error { return nil }

func (memBackend) deleteBucket(string) error { return nil }

func (m memBackend) putObject(_ string, o, _ *object, body blob, _ *upload) error {
	data, err := m.take(body)
	if err != nil {
		return err
	}
	o.body, o.info.Size = data, data.size
	return nil
}

func (memBackend) deleteObject(string, *object) error { return nil }

func (memBackend) createUpload(string, UploadInfo) error { return nil }

func (m memBackend) putPart(_, _ string, p, _ *part, body blob) error {
	data, err := m.take(body)
	if err != nil {
		return err
	}
	p.body, p.info.Size = data, data.size
	return nil
}

func (memBackend) deleteUpload(string, *upload) error { return nil }
