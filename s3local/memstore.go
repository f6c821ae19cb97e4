package s3local

import (
	"errors"
	"io"
	"sort"
	"sync"
)

// MemoryStore is a Store that keeps everything in memory: a Server's
// default. Nothing survives the process. A body is held once, in segments
// of up to 1 MiB that are never copied as it grows; the sum of the bodies
// is bounded only by the memory of the process (a single body is bounded
// by Options.MaxObjectSize).
type MemoryStore struct {
	mu      sync.RWMutex
	buckets map[string]*memBucket
}

var _ Store = (*MemoryStore)(nil)

type memBucket struct {
	info    BucketInfo
	objects map[string]*memObject
	keys    sortedIndex
	uploads map[string]*memUpload
}

// memObject and memPart are immutable once stored: writes replace the
// pointer, so a reader keeps the bytes it opened.
type memObject struct {
	info ObjectInfo
	data *segments
}

type memUpload struct {
	info  UploadInfo // without Parts
	parts map[int]*memPart
}

type memPart struct {
	info PartInfo
	data *segments
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{buckets: make(map[string]*memBucket)}
}

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

// segmentReader is an ObjectReader over immutable segments.
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
	store *MemoryStore
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

func (b *memBlob) Discard() {
	b.taken = true
	b.data = nil
}

// take returns the bytes of a blob of m.
func (m *MemoryStore) take(body Blob) (*segments, error) {
	b, ok := body.(*memBlob)
	if !ok || b.store != m || b.taken {
		return nil, errors.New("s3local: the blob is not a pending blob of this MemoryStore")
	}
	b.taken = true
	data := b.data
	b.data = nil
	return data, nil
}

// bucket returns a bucket; the caller holds m.mu.
func (m *MemoryStore) bucket(name string) (*memBucket, error) {
	b := m.buckets[name]
	if b == nil {
		return nil, ErrNoSuchBucket
	}
	return b, nil
}

// CreateBucket implements Store.
func (m *MemoryStore) CreateBucket(info BucketInfo) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.buckets[info.Name]; ok {
		return ErrBucketExists
	}
	m.buckets[info.Name] = &memBucket{info: info, objects: map[string]*memObject{}, uploads: map[string]*memUpload{}}
	return nil
}

// Bucket implements Store.
func (m *MemoryStore) Bucket(name string) (BucketInfo, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, err := m.bucket(name)
	if err != nil {
		return BucketInfo{}, err
	}
	return b.info, nil
}

// DeleteBucket implements Store.
func (m *MemoryStore) DeleteBucket(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(name)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 {
		return ErrBucketNotEmpty
	}
	delete(m.buckets, name)
	return nil
}

// NewBlob implements Store.
func (m *MemoryStore) NewBlob(bucket string, size int64) (Blob, error) {
	return &memBlob{store: m, data: &segments{}, hint: size}, nil
}

// Put implements Store.
func (m *MemoryStore) Put(bucket string, info ObjectInfo, body Blob, opts PutOptions) error {
	data, err := m.take(body)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return err
	}
	if opts.Check != nil {
		var cur *ObjectInfo
		if o := b.objects[info.Key]; o != nil {
			cur = &o.info
		}
		if err := opts.Check(cur); err != nil {
			return err
		}
	}
	if opts.UploadID != "" {
		if b.uploads[opts.UploadID] == nil {
			return ErrNoSuchUpload
		}
		delete(b.uploads, opts.UploadID)
	}
	info.Size = data.size
	b.objects[info.Key] = &memObject{info: info, data: data}
	b.keys.insert(info.Key)
	return nil
}

// Open implements Store.
func (m *MemoryStore) Open(bucket, key string) (ObjectInfo, ObjectReader, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return ObjectInfo{}, nil, err
	}
	o := b.objects[key]
	if o == nil {
		return ObjectInfo{}, nil, ErrNoSuchKey
	}
	return o.info, segmentReader{o.data}, nil
}

// Delete implements Store.
func (m *MemoryStore) Delete(bucket, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return err
	}
	if _, ok := b.objects[key]; ok {
		delete(b.objects, key)
		b.keys.remove(key)
	}
	return nil
}

// List implements Store.
func (m *MemoryStore) List(bucket, prefix, after string, fn func(ObjectInfo) bool) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return err
	}
	b.keys.each(prefix, after, func(k string) bool { return fn(b.objects[k].info) })
	return nil
}

// CreateUpload implements Store.
func (m *MemoryStore) CreateUpload(bucket string, u UploadInfo) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return err
	}
	u.Parts = nil
	b.uploads[u.ID] = &memUpload{info: u, parts: map[int]*memPart{}}
	return nil
}

// upload returns an open upload; the caller holds m.mu.
func (m *MemoryStore) upload(bucket, id string) (*memUpload, error) {
	b, err := m.bucket(bucket)
	if err != nil {
		return nil, err
	}
	u := b.uploads[id]
	if u == nil {
		return nil, ErrNoSuchUpload
	}
	return u, nil
}

// describe returns u's info with its parts; the caller holds m.mu.
func (u *memUpload) describe() UploadInfo {
	info := u.info
	info.Parts = make([]PartInfo, 0, len(u.parts))
	for _, p := range u.parts {
		info.Parts = append(info.Parts, p.info)
	}
	sortParts(info.Parts)
	return info
}

// Upload implements Store.
func (m *MemoryStore) Upload(bucket, id string) (UploadInfo, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u, err := m.upload(bucket, id)
	if err != nil {
		return UploadInfo{}, err
	}
	return u.describe(), nil
}

// Uploads implements Store.
func (m *MemoryStore) Uploads(bucket string) ([]UploadInfo, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return nil, err
	}
	us := make([]UploadInfo, 0, len(b.uploads))
	for _, u := range b.uploads {
		us = append(us, u.describe())
	}
	sortUploads(us)
	return us, nil
}

// PutPart implements Store.
func (m *MemoryStore) PutPart(bucket, id string, p PartInfo, body Blob) error {
	data, err := m.take(body)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.upload(bucket, id)
	if err != nil {
		return err
	}
	p.Size = data.size
	u.parts[p.Number] = &memPart{info: p, data: data}
	return nil
}

// OpenPart implements Store.
func (m *MemoryStore) OpenPart(bucket, id string, number int) (PartInfo, ObjectReader, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u, err := m.upload(bucket, id)
	if err != nil {
		return PartInfo{}, nil, err
	}
	p := u.parts[number]
	if p == nil {
		return PartInfo{}, nil, ErrNoSuchKey
	}
	return p.info, segmentReader{p.data}, nil
}

// AbortUpload implements Store.
func (m *MemoryStore) AbortUpload(bucket, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.upload(bucket, id); err != nil {
		return err
	}
	delete(m.buckets[bucket].uploads, id)
	return nil
}
