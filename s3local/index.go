package s3local

import (
	"errors"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

// index is the bookkeeping of a store, the same for both stores: the
// buckets, the ordered keys of each, the open uploads with their parts,
// and the rule that commits a write. It holds descriptions and handles to
// bytes, never bytes: its backend keeps those (in memory, or in files)
// and, for the disk store, makes each change durable before the index
// shows it.
//
// Every change runs under the index's lock, from its check to its last
// step in the backend, so that a write condition is evaluated against the
// object the write replaces, and readers see an object before or after a
// write, never between.
type index struct {
	be backend

	mu      sync.RWMutex
	buckets map[string]*bucketState
	closed  bool
}

// backend keeps the bytes of a store. The index calls the methods that
// change something under its write lock, open under its read lock; each
// either does all it says or nothing the index can see. A method that
// takes a blob takes it whatever the outcome.
type backend interface {
	// newBlob returns a blob to stage a body of about size bytes.
	newBlob(size int64) (blob, error)
	// open returns a reader of a body.
	open(body any) (objectReader, error)
	// refresh returns o, or a new description of o's object when its
	// bytes r were changed by other means (a file edited by hand).
	refresh(o *object, r objectReader) (*object, error)
	// keep records o, a new description of the object's bytes (by
	// refresh, or new tags); forget deletes the record of o, whose bytes
	// are gone.
	keep(bucket string, o *object) error
	forget(bucket string, o *object)

	createBucket(info BucketInfo) error
	deleteBucket(name string) error
	// putObject stores body as the bytes of o, setting o.body and
	// o.info.Size, in place of cur (nil when the key is new), and ends
	// the upload u (nil when none) with its parts, in one step.
	putObject(bucket string, o, cur *object, body blob, u *upload) error
	// deleteObject deletes o and its bytes.
	deleteObject(bucket string, o *object) error

	createUpload(bucket string, u UploadInfo) error
	// putPart stores body as the bytes of p, setting p.body and
	// p.info.Size, in place of cur (nil when the part is new).
	putPart(bucket, id string, p, cur *part, body blob) error
	// deleteUpload deletes u and its parts.
	deleteUpload(bucket string, u *upload) error
}

type bucketState struct {
	info    BucketInfo
	objects map[string]*object
	keys    sortedIndex
	uploads map[string]*upload
}

func newBucketState(info BucketInfo) *bucketState {
	return &bucketState{info: info, objects: map[string]*object{}, uploads: map[string]*upload{}}
}

// object is a stored object: its description and its backend's handle to
// its bytes. It is immutable once stored: a write replaces the pointer,
// so that a reader keeps the bytes it opened.
type object struct {
	info ObjectInfo
	body any
}

// upload is an open multipart upload.
type upload struct {
	info  UploadInfo // without Parts
	parts map[int]*part
}

// part is an uploaded part; immutable once stored, as object is.
type part struct {
	info PartInfo
	body any
}

func newIndex(be backend) *index {
	return &index{be: be, buckets: map[string]*bucketState{}}
}

// bucket returns a bucket; the caller holds x.mu.
func (x *index) bucket(name string) (*bucketState, error) {
	if x.closed {
		return nil, errClosed
	}
	b := x.buckets[name]
	if b == nil {
		return nil, ErrNoSuchBucket
	}
	return b, nil
}

// upload returns an open upload; the caller holds x.mu.
func (x *index) upload(bucket, id string) (*bucketState, *upload, error) {
	b, err := x.bucket(bucket)
	if err != nil {
		return nil, nil, err
	}
	u := b.uploads[id]
	if u == nil {
		return nil, nil, ErrNoSuchUpload
	}
	return b, u, nil
}

// close makes every later call fail.
func (x *index) close() {
	x.mu.Lock()
	x.closed = true
	x.mu.Unlock()
}

func (x *index) createBucket(info BucketInfo) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, err := x.bucket(info.Name); err == nil {
		return ErrBucketExists
	} else if !errors.Is(err, ErrNoSuchBucket) {
		return err
	}
	if err := x.be.createBucket(info); err != nil {
		return err
	}
	x.buckets[info.Name] = newBucketState(info)
	return nil
}

func (x *index) bucketInfo(name string) (BucketInfo, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	b, err := x.bucket(name)
	if err != nil {
		return BucketInfo{}, err
	}
	return b.info, nil
}

// bucketList returns the buckets ordered by name.
func (x *index) bucketList() ([]BucketInfo, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errClosed
	}
	out := make([]BucketInfo, 0, len(x.buckets))
	for _, b := range x.buckets {
		out = append(out, b.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// deleteBucket deletes a bucket that holds no object, with its open
// uploads, or fails with ErrBucketNotEmpty.
func (x *index) deleteBucket(name string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	b, err := x.bucket(name)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 {
		return ErrBucketNotEmpty
	}
	if err := x.be.deleteBucket(name); err != nil {
		return err
	}
	delete(x.buckets, name)
	return nil
}

func (x *index) newBlob(size int64) (blob, error) { return x.be.newBlob(size) }

// put is the commit rule: under the lock, it runs opts.check against the
// object there, checks that the upload opts.uploadID is open, then has
// the backend store body as the object info describes, ending the upload
// in the same step. It takes body, whatever the outcome.
func (x *index) put(bucket string, info ObjectInfo, body blob, opts putOptions) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	b, cur, u, err := x.admit(bucket, info.Key, opts)
	if err != nil {
		body.discard()
		return err
	}
	o := &object{info: info}
	if err := x.be.putObject(bucket, o, cur, body, u); err != nil {
		return err
	}
	b.objects[info.Key] = o
	b.keys.insert(info.Key)
	if u != nil {
		delete(b.uploads, u.info.ID)
	}
	return nil
}

// admit evaluates the conditions of a put of key; the caller holds x.mu.
func (x *index) admit(bucket, key string, opts putOptions) (*bucketState, *object, *upload, error) {
	b, err := x.bucket(bucket)
	if err != nil {
		return nil, nil, nil, err
	}
	cur := b.objects[key]
	if opts.check != nil {
		var ci *ObjectInfo
		if cur != nil {
			ci = &cur.info
		}
		if err := opts.check(ci); err != nil {
			return nil, nil, nil, err
		}
	}
	var u *upload
	if opts.uploadID != "" {
		if u = b.uploads[opts.uploadID]; u == nil {
			return nil, nil, nil, ErrNoSuchUpload
		}
	}
	return b, cur, u, nil
}

// open returns the description and the bytes of an object. Bytes changed
// by other means are described again; bytes gone make the object
// missing.
func (x *index) open(bucket, key string) (ObjectInfo, objectReader, error) {
	x.mu.RLock()
	b, err := x.bucket(bucket)
	var o *object
	var r objectReader
	if err == nil {
		if o = b.objects[key]; o == nil {
			err = ErrNoSuchKey
		} else {
			r, err = x.be.open(o.body)
		}
	}
	x.mu.RUnlock()
	if o != nil && errors.Is(err, fs.ErrNotExist) {
		x.drop(bucket, o)
		return ObjectInfo{}, nil, ErrNoSuchKey
	}
	if err != nil {
		return ObjectInfo{}, nil, err
	}
	n, err := x.be.refresh(o, r)
	if err == nil && n != o {
		x.mu.Lock()
		if b.objects[key] == o { // else replaced meanwhile: r is still described by n
			if err = x.be.keep(bucket, n); err == nil {
				b.objects[key] = n
			}
		}
		x.mu.Unlock()
	}
	if err != nil {
		r.Close()
		return ObjectInfo{}, nil, err
	}
	return n.info, r, nil
}

// drop forgets o, whose bytes are gone, unless it was replaced meanwhile.
func (x *index) drop(bucket string, o *object) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if b := x.buckets[bucket]; b != nil && b.objects[o.info.Key] == o {
		x.be.forget(bucket, o)
		delete(b.objects, o.info.Key)
		b.keys.remove(o.info.Key)
	}
}

// setTagging replaces the tags of an object, and nothing else.
func (x *index) setTagging(bucket, key, tagging string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	b, err := x.bucket(bucket)
	if err != nil {
		return err
	}
	o := b.objects[key]
	if o == nil {
		return ErrNoSuchKey
	}
	n := &object{info: o.info, body: o.body}
	n.info.Tagging = tagging
	if err := x.be.keep(bucket, n); err != nil {
		return err
	}
	b.objects[key] = n
	return nil
}

// delete deletes an object; a missing object is not an error.
func (x *index) delete(bucket, key string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	b, err := x.bucket(bucket)
	if err != nil {
		return err
	}
	o := b.objects[key]
	if o == nil {
		return nil
	}
	if err := x.be.deleteObject(bucket, o); err != nil {
		return err
	}
	delete(b.objects, key)
	b.keys.remove(key)
	return nil
}

// list calls fn with each object of bucket whose key starts with prefix
// and sorts after after, in UTF-8 binary order of keys, until fn returns
// false. fn must not call the index.
func (x *index) list(bucket, prefix, after string, fn func(ObjectInfo) bool) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	b, err := x.bucket(bucket)
	if err != nil {
		return err
	}
	b.keys.each(prefix, after, func(k string) bool { return fn(b.objects[k].info) })
	return nil
}

// createUpload records a new multipart upload; u.Parts is ignored.
func (x *index) createUpload(bucket string, u UploadInfo) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	b, err := x.bucket(bucket)
	if err != nil {
		return err
	}
	u.Parts = nil
	if err := x.be.createUpload(bucket, u); err != nil {
		return err
	}
	b.uploads[u.ID] = &upload{info: u, parts: map[int]*part{}}
	return nil
}

// describe returns u's info with its parts by ascending number; the
// caller holds the index's lock.
func (u *upload) describe() UploadInfo {
	info := u.info
	info.Parts = make([]PartInfo, 0, len(u.parts))
	for _, p := range u.parts {
		info.Parts = append(info.Parts, p.info)
	}
	sort.Slice(info.Parts, func(i, j int) bool { return info.Parts[i].Number < info.Parts[j].Number })
	return info
}

// uploadInfo describes an open upload, with its parts when withParts is
// set: they cost a copy and a sort, which UploadPart, called up to 10000
// times per upload, does not pay.
func (x *index) uploadInfo(bucket, id string, withParts bool) (UploadInfo, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, u, err := x.upload(bucket, id)
	if err != nil {
		return UploadInfo{}, err
	}
	if !withParts {
		return u.info, nil
	}
	return u.describe(), nil
}

// uploadList describes the open uploads of bucket, ordered by key, then
// initiation time, then ID (as ListMultipartUploads returns them), with
// their parts when withParts is set.
func (x *index) uploadList(bucket string, withParts bool) ([]UploadInfo, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	b, err := x.bucket(bucket)
	if err != nil {
		return nil, err
	}
	us := make([]UploadInfo, 0, len(b.uploads))
	for _, u := range b.uploads {
		if withParts {
			us = append(us, u.describe())
		} else {
			us = append(us, u.info)
		}
	}
	sort.Slice(us, func(i, j int) bool {
		a, c := us[i], us[j]
		if a.Key != c.Key {
			return a.Key < c.Key
		}
		if !a.Initiated.Equal(c.Initiated) {
			return a.Initiated.Before(c.Initiated)
		}
		return a.ID < c.ID
	})
	return us, nil
}

// putPart stores body as part p.Number of an open upload, replacing any
// part of that number. It takes body, whatever the outcome.
func (x *index) putPart(bucket, id string, p PartInfo, body blob) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, u, err := x.upload(bucket, id)
	if err != nil {
		body.discard()
		return err
	}
	np := &part{info: p}
	if err := x.be.putPart(bucket, id, np, u.parts[p.Number], body); err != nil {
		return err
	}
	u.parts[p.Number] = np
	return nil
}

// openPart returns the description and the bytes of a part; a missing
// part is ErrNoSuchKey.
func (x *index) openPart(bucket, id string, number int) (PartInfo, objectReader, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, u, err := x.upload(bucket, id)
	if err != nil {
		return PartInfo{}, nil, err
	}
	p := u.parts[number]
	if p == nil {
		return PartInfo{}, nil, ErrNoSuchKey
	}
	r, err := x.be.open(p.body)
	if err != nil {
		return PartInfo{}, nil, err
	}
	return p.info, r, nil
}

// abortUpload deletes an open upload and its parts.
func (x *index) abortUpload(bucket, id string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	b, u, err := x.upload(bucket, id)
	if err != nil {
		return err
	}
	if err := x.be.deleteUpload(bucket, u); err != nil {
		return err
	}
	delete(b.uploads, id)
	return nil
}

// sortedIndex is a sorted set of keys.
type sortedIndex []string

// insert adds key unless it is there.
func (s *sortedIndex) insert(key string) {
	i := sort.SearchStrings(*s, key)
	if i < len(*s) && (*s)[i] == key {
		return
	}
	*s = append(*s, "")
	copy((*s)[i+1:], (*s)[i:])
	(*s)[i] = key
}

// remove deletes key if it is there.
func (s *sortedIndex) remove(key string) {
	i := sort.SearchStrings(*s, key)
	if i < len(*s) && (*s)[i] == key {
		*s = append((*s)[:i], (*s)[i+1:]...)
	}
}

// each calls fn with the keys that start with prefix and sort after
// after, in order, until fn returns false.
func (s sortedIndex) each(prefix, after string, fn func(key string) bool) {
	start := max(prefix, after)
	for i := sort.SearchStrings(s, start); i < len(s); i++ {
		k := s[i]
		if k <= after {
			continue
		}
		if !strings.HasPrefix(k, prefix) || !fn(k) {
			return
		}
	}
}
