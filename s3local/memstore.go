package s3local

import (
	"bytes"
	"errors"
	"sync"
)

// MemoryStore is a Store that keeps everything in memory: a Server's
// default. Nothing survives the process. A body is held once, in a buffer
// of its size; the sum of the bodies is bounded only by the memory of the
// process (a single body is bounded by Options.MaxObjectSize).
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
	data []byte
}

type memUpload struct {
	info  UploadInfo // without Parts
	parts map[int]*memPart
}

type memPart struct {
	info PartInfo
	data []byte
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{buckets: make(map[string]*memBucket)}
}

// memPreallocate bounds the buffer a blob allocates from its size hint
// before any byte arrives; larger bodies grow it as they arrive.
const memPreallocate = 64 << 20

// memBlob stages a body in memory.
type memBlob struct {
	store *MemoryStore
	buf   bytes.Buffer
	taken bool
}

func (b *memBlob) Write(p []byte) (int, error) {
	if b.taken {
		return 0, errors.New("s3local: write to a blob already stored")
	}
	return b.buf.Write(p)
}

func (b *memBlob) Discard() {
	b.taken = true
	b.buf = bytes.Buffer{}
}

// take returns the bytes of a blob of m.
func (m *MemoryStore) take(body Blob) ([]byte, error) {
	b, ok := body.(*memBlob)
	if !ok || b.store != m || b.taken {
		return nil, errors.New("s3local: the blob is not a pending blob of this MemoryStore")
	}
	b.taken = true
	data := b.buf.Bytes()
	b.buf = bytes.Buffer{}
	return data, nil
}

// bytesReader is an ObjectReader over immutable bytes.
type bytesReader struct{ *bytes.Reader }

func (bytesReader) Close() error { return nil }

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
	b := &memBlob{store: m}
	if size > 0 {
		b.buf.Grow(int(min(size, memPreallocate)))
	}
	return b, nil
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
	info.Size = int64(len(data))
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
	return o.info, bytesReader{bytes.NewReader(o.data)}, nil
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
	p.Size = int64(len(data))
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
	return p.info, bytesReader{bytes.NewReader(p.data)}, nil
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
