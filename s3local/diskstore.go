package s3local

import (
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DiskStore is a Store in a directory, which survives restarts. Every
// object is a plain file under its key, so that a developer can look at it:
// object "photos/cat.jpg" of bucket "media" is the file
// media/photos/cat.jpg under the directory. What S3 knows about the object
// (size, ETag, headers, metadata, checksum) is a JSON file in the hidden
// directory .s3local, which no bucket or key can reach (bucket names do not
// start with a dot):
//
//	<dir>/<bucket>/<key>                          the bytes, when the key fits (below)
//	<dir>/.s3local/buckets/<bucket>.json          the bucket
//	<dir>/.s3local/meta/<bucket>/<hh>/<hash>.json the object's description
//	<dir>/.s3local/objects/<bucket>/<hh>/<hash>   the bytes, when the key does not fit
//	<dir>/.s3local/uploads/<bucket>/<id>/         an open multipart upload and its parts
//	<dir>/.s3local/tmp/                           bodies being received
//
// where <hash> is the hex SHA-256 of the key and <hh> its first two digits.
//
// S3 accepts keys that a directory tree cannot hold as they are: "a" and
// "a/b" both (a file and a directory of the same name), empty or "."
// segments ("a//b", "dir/", "./x"), control characters, segments longer
// than a file name may be, and, on case-insensitive filesystems, keys that
// differ only in case. So a key is stored at its plain path only when every
// "/"-separated segment is a portable file name (not empty, "." or "..",
// valid UTF-8, no control character or backslash, at most 255 bytes; on
// Windows also none of <>:"|?* and no reserved device name) and that path
// is free when the object is first written there. Otherwise its bytes go to
// .s3local/objects under the hash of the key. The description records where
// the bytes are, so every key S3 accepts round-trips, and the choice never
// moves an object that is already stored.
//
// A write goes to a temporary file in .s3local/tmp, then is renamed into
// place under the store's lock, with its description; readers keep the file
// they opened. Multipart parts are files too. Nothing is held in memory but
// the descriptions of the objects and uploads (no body), which are loaded
// when the store is opened. Files are not synced to disk: a crash of the
// machine may lose the last writes.
//
// A body changed or deleted by hand is noticed (by its size and
// modification time) when the store is opened and when the object is read:
// its ETag and checksum are computed again, or the object is forgotten.
// Files added by hand are not objects. One process at a time may use a
// directory; NewDiskStore takes a lock on it where the system has flock(2).
// On Windows, which cannot rename over a file that is open, replacing an
// object while it is being read fails.
type DiskStore struct {
	root string
	lock *os.File

	mu      sync.RWMutex
	buckets map[string]*diskBucket
	closed  bool
}

var _ Store = (*DiskStore)(nil)

// sysDir is the hidden directory of a DiskStore, beside the buckets.
const sysDir = ".s3local"

type diskBucket struct {
	info    BucketInfo
	objects map[string]*diskObject
	keys    sortedIndex
	uploads map[string]*diskUpload
}

// diskObject is the index entry of an object. It is immutable once stored.
type diskObject struct {
	info ObjectInfo
	path string    // the body, relative to the root, slash-separated
	mod  time.Time // the body's modification time when it was stored
}

// sidecar is the JSON description of an object.
type sidecar struct {
	ObjectInfo
	Path    string    `json:"path"`
	ModTime time.Time `json:"file_mod_time"`
}

type diskUpload struct {
	info  UploadInfo // without Parts
	parts map[int]PartInfo
}

// NewDiskStore opens the store in dir, creating the directory if needed,
// and loads the descriptions of its objects and uploads. Close it when done.
func NewDiskStore(dir string) (*DiskStore, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("s3local: %w", err)
	}
	d := &DiskStore{root: root, buckets: map[string]*diskBucket{}}
	if err := os.MkdirAll(d.abs(sysDir), 0o755); err != nil {
		return nil, fmt.Errorf("s3local: %w", err)
	}
	lock, err := os.OpenFile(d.abs(sysDir+"/lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("s3local: %w", err)
	}
	if err := lockFile(lock); err != nil {
		lock.Close()
		return nil, fmt.Errorf("%w: %s (%v)", ErrStoreInUse, root, err)
	}
	d.lock = lock
	// Bodies left by a crash are not objects: clean them.
	if err := os.RemoveAll(d.abs(sysDir + "/tmp")); err == nil {
		err = os.MkdirAll(d.abs(sysDir+"/tmp"), 0o755)
	}
	if err == nil {
		err = d.load()
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("s3local: opening %s: %w", root, err)
	}
	return d, nil
}

// Dir returns the absolute path of the store's directory.
func (d *DiskStore) Dir() string { return d.root }

// Close removes the bodies being received and releases the directory.
// The store must not be used afterwards.
func (d *DiskStore) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	err := os.RemoveAll(d.abs(sysDir + "/tmp"))
	if d.lock != nil {
		unlockFile(d.lock)
		if cerr := d.lock.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// load reads the buckets, objects and uploads of the directory.
func (d *DiskStore) load() error {
	ents, err := os.ReadDir(d.abs(sysDir + "/buckets"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validBucketName(name) {
			continue
		}
		var info BucketInfo
		if err := d.readJSON(bucketRel(name), &info); err != nil || info.Name != name {
			continue
		}
		b := &diskBucket{info: info, objects: map[string]*diskObject{}, uploads: map[string]*diskUpload{}}
		if err := d.loadObjects(b); err != nil {
			return err
		}
		if err := d.loadUploads(b); err != nil {
			return err
		}
		d.buckets[name] = b
	}
	return nil
}

// loadObjects reads the descriptions of b's objects, checking each against
// its body.
func (d *DiskStore) loadObjects(b *diskBucket) error {
	dir := d.abs(sysDir + "/meta/" + b.info.Name)
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if e.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		var sc sidecar
		if readJSONFile(p, &sc) != nil || filepath.Base(p) != keyHash(sc.Key)+".json" {
			return nil // not a description of ours
		}
		if plain, _ := plainRel(b.info.Name, sc.Key); sc.Path != plain && sc.Path != fallbackRel(b.info.Name, sc.Key) {
			return nil // never read a body outside the key's two places
		}
		o := &diskObject{info: sc.ObjectInfo, path: sc.Path, mod: sc.ModTime}
		f, err := os.Open(d.abs(o.path))
		if errors.Is(err, fs.ErrNotExist) {
			os.Remove(p) // the body was deleted by hand
			return nil
		}
		if err != nil {
			return err
		}
		n, err := check(o, f)
		f.Close()
		if err != nil {
			return err
		}
		if n != o {
			if err := d.writeSidecar(b.info.Name, n); err != nil {
				return err
			}
		}
		b.objects[o.info.Key] = n
		b.keys.insert(o.info.Key)
		return nil
	})
	if errors.Is(err, fs.SkipAll) {
		err = nil
	}
	return err
}

// check returns o, or, when its body f was changed by hand since o was
// stored, a new entry with the size, ETag and checksum of f.
func check(o *diskObject, f *os.File) (*diskObject, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() == o.info.Size && fi.ModTime().Equal(o.mod) {
		return o, nil
	}
	md5h, crc := md5.New(), crc64.New(crc64NVMETable)
	if _, err := io.Copy(io.MultiWriter(md5h, crc), io.NewSectionReader(f, 0, fi.Size())); err != nil {
		return nil, err
	}
	n := &diskObject{info: o.info, path: o.path, mod: fi.ModTime()}
	n.info.Size = fi.Size()
	n.info.ETag = quotedMD5(md5h.Sum(nil))
	n.info.LastModified = fi.ModTime().UTC()
	n.info.Checksum = Checksum{Algorithm: algCRC64NVME, Value: base64.StdEncoding.EncodeToString(crc.Sum(nil)), Type: checksumFullObject}
	n.info.Parts = nil
	return n, nil
}

// writeSidecar writes the description of o.
func (d *DiskStore) writeSidecar(bucket string, o *diskObject) error {
	return d.writeJSON(metaRel(bucket, o.info.Key), sidecar{ObjectInfo: o.info, Path: o.path, ModTime: o.mod})
}

// diskBlob stages a body in a temporary file.
type diskBlob struct {
	d     *DiskStore
	f     *os.File
	taken bool
}

func (b *diskBlob) Write(p []byte) (int, error) {
	if b.taken {
		return 0, errors.New("s3local: write to a blob already stored")
	}
	return b.f.Write(p)
}

func (b *diskBlob) Discard() {
	if !b.taken {
		b.taken = true
		b.f.Close()
		os.Remove(b.f.Name())
	}
}

// take closes a blob of d and returns the path of its file, which the
// caller renames or removes.
func (d *DiskStore) take(body Blob) (string, error) {
	b, ok := body.(*diskBlob)
	if !ok || b.d != d || b.taken {
		return "", errors.New("s3local: the blob is not a pending blob of this DiskStore")
	}
	b.taken = true
	if err := b.f.Close(); err != nil {
		os.Remove(b.f.Name())
		return "", err
	}
	return b.f.Name(), nil
}

// bucket returns a bucket; the caller holds d.mu.
func (d *DiskStore) bucket(name string) (*diskBucket, error) {
	if d.closed {
		return nil, errors.New("s3local: the DiskStore is closed")
	}
	b := d.buckets[name]
	if b == nil {
		return nil, ErrNoSuchBucket
	}
	return b, nil
}

// CreateBucket implements Store.
func (d *DiskStore) CreateBucket(info BucketInfo) error {
	if !validBucketName(info.Name) {
		return fmt.Errorf("s3local: invalid bucket name %q", info.Name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.bucket(info.Name); err == nil {
		return ErrBucketExists
	} else if !errors.Is(err, ErrNoSuchBucket) {
		return err
	}
	if err := os.MkdirAll(d.abs(info.Name), 0o755); err != nil {
		return err
	}
	if err := d.writeJSON(bucketRel(info.Name), info); err != nil {
		return err
	}
	d.buckets[info.Name] = &diskBucket{info: info, objects: map[string]*diskObject{}, uploads: map[string]*diskUpload{}}
	return nil
}

// Bucket implements Store.
func (d *DiskStore) Bucket(name string) (BucketInfo, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	b, err := d.bucket(name)
	if err != nil {
		return BucketInfo{}, err
	}
	return b.info, nil
}

// DeleteBucket implements Store. The bucket's directory goes too, unless
// files added by hand are left in it.
func (d *DiskStore) DeleteBucket(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := d.bucket(name)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 {
		return ErrBucketNotEmpty
	}
	if err := os.Remove(d.abs(bucketRel(name))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	delete(d.buckets, name)
	for _, dir := range []string{"meta", "objects", "uploads"} {
		os.RemoveAll(d.abs(sysDir + "/" + dir + "/" + name))
	}
	removeEmptyDirs(d.abs(name))
	return nil
}

// NewBlob implements Store: the blob is a file in .s3local/tmp.
func (d *DiskStore) NewBlob(bucket string, size int64) (Blob, error) {
	f, err := os.CreateTemp(d.abs(sysDir+"/tmp"), "blob-*")
	if err != nil {
		return nil, err
	}
	return &diskBlob{d: d, f: f}, nil
}

// Put implements Store.
func (d *DiskStore) Put(bucket string, info ObjectInfo, body Blob, opts PutOptions) error {
	tmp, err := d.take(body)
	if err != nil {
		return err
	}
	placed := false
	defer func() {
		if !placed {
			os.Remove(tmp)
		}
	}()
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := d.bucket(bucket)
	if err != nil {
		return err
	}
	cur := b.objects[info.Key]
	if opts.Check != nil {
		var ci *ObjectInfo
		if cur != nil {
			ci = &cur.info
		}
		if err := opts.Check(ci); err != nil {
			return err
		}
	}
	if opts.UploadID != "" && b.uploads[opts.UploadID] == nil {
		return ErrNoSuchUpload
	}
	rel, err := d.place(bucket, info.Key, cur, tmp)
	if err != nil {
		return err
	}
	placed = true
	o := &diskObject{info: info, path: rel}
	fi, err := os.Stat(d.abs(rel))
	if err == nil {
		o.info.Size, o.mod = fi.Size(), fi.ModTime()
		err = d.writeSidecar(bucket, o)
	}
	if err != nil {
		// The previous object stays. When its body was just replaced, its
		// modification time tells the next Open to describe it again.
		if cur == nil || cur.path != rel {
			os.Remove(d.abs(rel))
			d.prune(rel)
		}
		return err
	}
	if cur != nil && cur.path != rel {
		os.Remove(d.abs(cur.path))
		d.prune(cur.path)
	}
	b.objects[info.Key] = o
	b.keys.insert(info.Key)
	if opts.UploadID != "" {
		os.RemoveAll(d.abs(uploadRel(bucket, opts.UploadID)))
		delete(b.uploads, opts.UploadID)
	}
	return nil
}

// place renames the body tmp of key to its plain path when it can, else to
// its fallback path, and returns the path; the caller holds d.mu. The plain
// path is taken when it is the object's already, or when nothing is there.
func (d *DiskStore) place(bucket, key string, cur *diskObject, tmp string) (string, error) {
	if rel, ok := plainRel(bucket, key); ok {
		p := d.abs(rel)
		free := cur != nil && cur.path == rel
		if !free {
			_, err := os.Lstat(p)
			free = errors.Is(err, fs.ErrNotExist) // not a parent that is a file, nor another key's body
		}
		if free {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				if err := os.Rename(tmp, p); err == nil {
					return rel, nil
				}
			}
			d.prune(rel)
		}
	}
	rel := fallbackRel(bucket, key)
	if err := os.MkdirAll(filepath.Dir(d.abs(rel)), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, d.abs(rel)); err != nil {
		return "", err
	}
	return rel, nil
}

// Open implements Store. The reader is the body's file.
func (d *DiskStore) Open(bucket, key string) (ObjectInfo, ObjectReader, error) {
	d.mu.RLock()
	b, err := d.bucket(bucket)
	var o *diskObject
	var f *os.File
	if err == nil {
		if o = b.objects[key]; o == nil {
			err = ErrNoSuchKey
		} else {
			f, err = os.Open(d.abs(o.path))
		}
	}
	d.mu.RUnlock()
	if errors.Is(err, fs.ErrNotExist) {
		d.forget(bucket, o) // the body was deleted by hand
		return ObjectInfo{}, nil, ErrNoSuchKey
	}
	if err != nil {
		return ObjectInfo{}, nil, err
	}
	n, err := check(o, f)
	if err == nil && n != o {
		d.mu.Lock()
		if b.objects[key] == o { // else replaced meanwhile: f is still described by n
			if err = d.writeSidecar(bucket, n); err == nil {
				b.objects[key] = n
			}
		}
		d.mu.Unlock()
	}
	if err != nil {
		f.Close()
		return ObjectInfo{}, nil, err
	}
	return n.info, f, nil
}

// forget drops o, whose body is gone, unless it was replaced meanwhile.
func (d *DiskStore) forget(bucket string, o *diskObject) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if b := d.buckets[bucket]; b != nil && b.objects[o.info.Key] == o {
		os.Remove(d.abs(metaRel(bucket, o.info.Key)))
		delete(b.objects, o.info.Key)
		b.keys.remove(o.info.Key)
	}
}

// Delete implements Store.
func (d *DiskStore) Delete(bucket, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := d.bucket(bucket)
	if err != nil {
		return err
	}
	o := b.objects[key]
	if o == nil {
		return nil
	}
	if err := os.Remove(d.abs(metaRel(bucket, key))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	delete(b.objects, key)
	b.keys.remove(key)
	os.Remove(d.abs(o.path))
	d.prune(o.path)
	return nil
}

// List implements Store.
func (d *DiskStore) List(bucket, prefix, after string, fn func(ObjectInfo) bool) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	b, err := d.bucket(bucket)
	if err != nil {
		return err
	}
	b.keys.each(prefix, after, func(k string) bool { return fn(b.objects[k].info) })
	return nil
}
