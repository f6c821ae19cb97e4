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
	"sync/atomic"
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
//	<dir>/.s3local/journal/                       writes being committed
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
// # Writes
//
// A write is one atomic step, whatever happens to the process. Its body is
// received into a temporary file in .s3local/tmp, outside any lock. Then,
// under the store's lock, its whole description (with where the body
// goes) is written to a record in .s3local/journal, and one rename moves
// the body into place: that rename commits the write. Last, the body it
// replaced (when the key's bytes move between their two places) and the
// multipart upload it completed are deleted, and the record is renamed to
// be the key's description. When the store is opened, a record left by a
// crash is finished if its body was moved (the write happened) and dropped
// with its body if not (the write did not happen); then temporary files,
// and fallback bodies, parts and uploads that no description refers to,
// are deleted. So after the process is killed at any instant (SIGKILL, a
// panic) or a write fails (a full disk: the answer is a 500 InternalError),
// every object is one whole write: its bytes, ETag, type and metadata come
// from the same write, and an object that a write replaced is either the
// old one or the new one. A deletion deletes the body first, then the
// description; an object whose body is gone is forgotten. Keeping the
// bytes as a plain file under the key costs the separate description and
// this journal; a store that kept the description inside the body's file
// could commit with one rename and no journal, but its files would not be
// the objects' bytes.
//
// Files are not synced to the disk (fsync): a write is acknowledged once
// the kernel has it. A process kill loses nothing acknowledged. A crash of
// the machine (power loss, kernel panic) may lose the writes of the last
// seconds, whole, and, on file systems that may write a rename before the
// data of the file it moves, may leave an object's file with bytes its
// description does not describe (empty, short or zeros); when its size or
// modification time differ from the description, the store notices it
// when it opens and describes the file again (new ETag and checksum).
// Syncing each body and journal record before the rename, and the
// directories after, would make every acknowledged write survive a machine
// crash too, at the cost of a few milliseconds per write on most disks;
// this development store does not pay it.
//
// Multipart parts are files too, each named uniquely, and a part's
// description (its JSON file, written by a rename) is its commit. Nothing
// is held in memory but the descriptions of the objects and uploads (no
// body), which are loaded when the store is opened.
//
// A body changed or deleted by hand is noticed (by its size and
// modification time) when the store is opened and when the object is read:
// its ETag and checksum are computed again, or the object is forgotten.
// Files added by hand are not objects, and are left alone. One process at
// a time may use a directory; NewDiskStore takes a lock on it where the
// system has flock(2). On Windows, which cannot rename over a file that is
// open, replacing an object while it is being read fails.
type DiskStore struct {
	root string
	lock *os.File
	idx  *index
	seq  atomic.Uint64 // numbers the journal records

	// pending holds the records of committed writes whose last steps
	// failed, by bucket and key; guarded by idx.mu.
	pending map[[2]string]pendingWrite
}

var _ Store = (*DiskStore)(nil)

// sysDir is the hidden directory of a DiskStore, beside the buckets.
const sysDir = ".s3local"

// diskBody is where the bytes of an object are: a path relative to the
// root, slash-separated, and the file's modification time when it was
// stored.
type diskBody struct {
	path string
	mod  time.Time
}

// sidecar is the JSON description of an object.
type sidecar struct {
	ObjectInfo
	Path    string    `json:"path"`
	ModTime time.Time `json:"file_mod_time"`
}

// NewDiskStore opens the store in dir, creating the directory if needed:
// it finishes or drops the writes a crash interrupted, deletes what they
// left, and loads the descriptions of the objects and uploads. Close it
// when done.
func NewDiskStore(dir string) (*DiskStore, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("s3local: %w", err)
	}
	d := &DiskStore{root: root, pending: map[[2]string]pendingWrite{}}
	d.idx = newIndex(d)
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
	if err := d.repairAndLoad(); err != nil {
		d.Close()
		return nil, fmt.Errorf("s3local: opening %s: %w", root, err)
	}
	return d, nil
}

// repairAndLoad repairs what a crash left, then loads the directory.
func (d *DiskStore) repairAndLoad() error {
	for _, dir := range []string{journalDir, tmpDir} {
		if err := os.MkdirAll(d.abs(dir), 0o755); err != nil {
			return err
		}
	}
	if err := d.recoverJournal(); err != nil {
		return err
	}
	// Bodies being received when the process stopped are not objects.
	if err := d.clearTmp(); err != nil {
		return err
	}
	return d.load()
}

func (d *DiskStore) storeIndex() *index { return d.idx }

// Dir returns the absolute path of the store's directory.
func (d *DiskStore) Dir() string { return d.root }

// Close finishes what it can of the writes whose last steps failed,
// removes the bodies being received and releases the directory. The store
// must not be used afterwards.
func (d *DiskStore) Close() error {
	d.idx.mu.Lock()
	defer d.idx.mu.Unlock()
	if d.lock == nil {
		return nil
	}
	d.idx.closed = true
	var err error
	for k := range d.pending {
		if e := d.settle(k[0], k[1]); err == nil {
			err = e
		}
	}
	if e := d.clearTmp(); err == nil {
		err = e
	}
	os.Remove(d.abs(tmpDir)) // unless a record's body is staged there
	unlockFile(d.lock)
	if e := d.lock.Close(); err == nil {
		err = e
	}
	d.lock = nil
	return err
}

// load reads the buckets, objects and uploads of the directory, and
// deletes what belongs to no bucket.
func (d *DiskStore) load() error {
	ents, err := os.ReadDir(d.abs(sysDir + "/buckets"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validBucketName(name) {
			return fmt.Errorf("%s/buckets/%s is not a bucket of s3local", sysDir, e.Name())
		}
		var info BucketInfo
		if err := d.readJSON(bucketRel(name), &info); err != nil || info.Name != name {
			return fmt.Errorf("the description of bucket %s is unreadable: %v", name, err)
		}
		b := newBucketState(info)
		if err := d.loadObjects(b); err != nil {
			return err
		}
		if err := d.loadUploads(b); err != nil {
			return err
		}
		d.idx.buckets[name] = b
	}
	// What a deleted bucket left.
	for _, dir := range []string{"meta", "objects", "uploads"} {
		ents, err := os.ReadDir(d.abs(sysDir + "/" + dir))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		for _, e := range ents {
			if d.idx.buckets[e.Name()] == nil {
				if err := os.RemoveAll(d.abs(sysDir + "/" + dir + "/" + e.Name())); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// loadObjects reads the descriptions of b's objects, checking each against
// its body, then deletes the fallback bodies that none describes.
func (d *DiskStore) loadObjects(b *bucketState) error {
	bucket := b.info.Name
	err := walkFiles(d.abs(sysDir+"/meta/"+bucket), func(p string) error {
		var sc sidecar
		if err := readJSONFile(p, &sc); err != nil || filepath.Base(p) != keyHash(sc.Key)+".json" {
			return fmt.Errorf("%s is not a description of s3local (%v)", p, err)
		}
		if plain, _ := plainRel(bucket, sc.Key); sc.Path != plain && sc.Path != fallbackRel(bucket, sc.Key) {
			return fmt.Errorf("%s names a body outside its key's places", p)
		}
		o := &object{info: sc.ObjectInfo, body: diskBody{path: sc.Path, mod: sc.ModTime}}
		f, err := os.Open(d.abs(sc.Path))
		if errors.Is(err, fs.ErrNotExist) {
			return os.Remove(p) // deleted: by hand, or by a deletion a crash interrupted
		}
		if err != nil {
			return err
		}
		n, err := d.refresh(o, f)
		f.Close()
		if err == nil && n != o {
			err = d.keep(bucket, n)
		}
		if err != nil {
			return err
		}
		b.objects[sc.Key] = n
		b.keys.insert(sc.Key)
		return nil
	})
	if err != nil {
		return err
	}
	described := map[string]bool{}
	for _, o := range b.objects {
		described[d.abs(o.body.(diskBody).path)] = true
	}
	return walkFiles(d.abs(sysDir+"/objects/"+bucket), func(p string) error {
		if described[p] {
			return nil
		}
		return os.Remove(p)
	})
}

// walkFiles calls fn with every file under dir; a missing dir holds none.
func walkFiles(dir string, fn func(path string) error) error {
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		switch {
		case err != nil && p == dir && errors.Is(err, fs.ErrNotExist):
			return fs.SkipAll
		case err != nil:
			return err
		case e.IsDir():
			return nil
		}
		return fn(p)
	})
	if errors.Is(err, fs.SkipAll) {
		err = nil
	}
	return err
}

// refresh implements backend: it returns o, or, when its body r was
// changed by hand since o was stored, a new description with the size,
// ETag and checksum of r.
func (d *DiskStore) refresh(o *object, r objectReader) (*object, error) {
	f := r.(*os.File)
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := o.body.(diskBody)
	if fi.Size() == o.info.Size && fi.ModTime().Equal(b.mod) {
		return o, nil
	}
	md5h, crc := md5.New(), crc64.New(crc64NVMETable)
	if _, err := io.Copy(io.MultiWriter(md5h, crc), io.NewSectionReader(f, 0, fi.Size())); err != nil {
		return nil, err
	}
	n := &object{info: o.info, body: diskBody{path: b.path, mod: fi.ModTime()}}
	n.info.Size = fi.Size()
	n.info.ETag = quotedMD5(md5h.Sum(nil))
	n.info.LastModified = fi.ModTime().UTC()
	n.info.Checksum = Checksum{Algorithm: algCRC64NVME, Value: base64.StdEncoding.EncodeToString(crc.Sum(nil)), Type: checksumFullObject}
	n.info.Parts = nil
	return n, nil
}

// keep implements backend: it writes the description of o, by a rename.
func (d *DiskStore) keep(bucket string, o *object) error {
	if err := d.settle(bucket, o.info.Key); err != nil {
		return err
	}
	b := o.body.(diskBody)
	return d.writeJSON(metaRel(bucket, o.info.Key), sidecar{ObjectInfo: o.info, Path: b.path, ModTime: b.mod})
}

// forget implements backend: it deletes the description of o.
func (d *DiskStore) forget(bucket string, o *object) {
	os.Remove(d.abs(metaRel(bucket, o.info.Key)))
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

func (b *diskBlob) discard() {
	if !b.taken {
		b.taken = true
		b.f.Close()
		os.Remove(b.f.Name())
	}
}

// take closes a blob of d and returns the path of its file, which the
// caller renames or removes.
func (d *DiskStore) take(body blob) (string, error) {
	b, ok := body.(*diskBlob)
	if !ok || b.d != d || b.taken {
		body.discard()
		return "", errors.New("s3local: the blob is not a pending blob of this DiskStore")
	}
	b.taken = true
	if err := b.f.Close(); err != nil {
		os.Remove(b.f.Name())
		return "", err
	}
	return b.f.Name(), nil
}

// newBlob implements backend: the blob is a file in .s3local/tmp.
func (d *DiskStore) newBlob(int64) (blob, error) {
	f, err := os.CreateTemp(d.abs(tmpDir), "blob-*")
	if err != nil {
		return nil, err
	}
	return &diskBlob{d: d, f: f}, nil
}

// open implements backend. The reader is the body's file.
func (d *DiskStore) open(body any) (objectReader, error) {
	switch b := body.(type) {
	case diskBody:
		return os.Open(d.abs(b.path))
	case string: // a part
		return os.Open(d.abs(b))
	}
	return nil, fmt.Errorf("s3local: no body %v", body)
}

// createBucket implements backend: the bucket's directory, then its
// description.
func (d *DiskStore) createBucket(info BucketInfo) error {
	if !validBucketName(info.Name) {
		return fmt.Errorf("s3local: invalid bucket name %q", info.Name)
	}
	if err := os.MkdirAll(d.abs(info.Name), 0o755); err != nil {
		return err
	}
	return d.writeJSON(bucketRel(info.Name), info)
}

// deleteBucket implements backend: the bucket's description, then what
// it holds. The bucket's directory goes too, unless files added by hand
// are left in it.
func (d *DiskStore) deleteBucket(name string) error {
	if err := os.Remove(d.abs(bucketRel(name))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, dir := range []string{"meta", "objects", "uploads"} {
		os.RemoveAll(d.abs(sysDir + "/" + dir + "/" + name))
	}
	removeEmptyDirs(d.abs(name))
	return nil
}

// deleteObject implements backend: the body first, then the description,
// so that a crash between the two leaves a description without a body,
// which the next open forgets.
func (d *DiskStore) deleteObject(bucket string, o *object) error {
	if err := d.settle(bucket, o.info.Key); err != nil {
		return err
	}
	p := o.body.(diskBody).path
	if err := os.Remove(d.abs(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	d.prune(p)
	os.Remove(d.abs(metaRel(bucket, o.info.Key))) // if it stays, the next open forgets it
	return nil
}

// placement returns where the body of key goes, creating its directory:
// its plain path when it can, else its fallback path. The plain path is
// taken when it is the object's already, or when nothing is there.
func (d *DiskStore) placement(bucket, key string, cur *object) (string, error) {
	if rel, ok := plainRel(bucket, key); ok {
		if cur != nil && cur.body.(diskBody).path == rel {
			return rel, nil
		}
		p := d.abs(rel)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) { // not a parent that is a file, nor another key's body
			if os.MkdirAll(filepath.Dir(p), 0o755) == nil {
				return rel, nil
			}
			d.prune(rel)
		}
	}
	rel := fallbackRel(bucket, key)
	return rel, os.MkdirAll(filepath.Dir(d.abs(rel)), 0o755)
}
