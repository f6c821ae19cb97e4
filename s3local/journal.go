package s3local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// How a DiskStore commits a write of an object in one step (see
// DiskStore, "Writes"): the description goes first to a journal record,
// then one rename moves the body into place, then the record becomes the
// key's description. A record left by a crash tells the next open what to
// finish or to drop.

const (
	journalDir = sysDir + "/journal"
	tmpDir     = sysDir + "/tmp"
)

// journalRecord is a write being committed: the new description of the
// object, and what the write does besides placing its body. Renamed to
// the key's description at the end, it keeps these fields, which nothing
// reads there.
type journalRecord struct {
	sidecar
	Bucket string `json:"bucket"`
	// Staged is the received body, in tmpDir. The rename that moves it to
	// Path commits the write: while it is there, the write did not
	// happen.
	Staged string `json:"staged"`
	// Replaces is the body of the object replaced, when it is not at Path.
	Replaces string `json:"replaces,omitempty"`
	// Completes is the multipart upload the object completes.
	Completes string `json:"completes,omitempty"`
}

// pendingWrite is a committed write whose last steps failed.
type pendingWrite struct {
	rel string
	j   *journalRecord
}

// putObject implements backend: it stages the write (its journal record),
// commits it (the rename of its body), then finishes it. What fails to
// finish is retried before the next change of the key, at Close, and when
// the store opens.
func (d *DiskStore) putObject(bucket string, o, cur *object, body blob, u *upload) error {
	tmp, err := d.take(body)
	if err != nil {
		return err
	}
	if err := d.settle(bucket, o.info.Key); err != nil {
		os.Remove(tmp)
		return err
	}
	rel, j, err := d.stage(bucket, o, cur, tmp, u)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, d.abs(j.Path)); err != nil {
		d.abandon(rel, j)
		return err
	}
	if d.finish(rel, j) != nil {
		d.pending[[2]string{bucket, o.info.Key}] = pendingWrite{rel, j}
	}
	return nil
}

// stage decides where the body of o goes, describes it (setting o.body
// and o.info.Size), and writes the journal record of the write.
func (d *DiskStore) stage(bucket string, o, cur *object, tmp string, u *upload) (string, *journalRecord, error) {
	fi, err := os.Stat(tmp)
	if err != nil {
		return "", nil, err
	}
	path, err := d.placement(bucket, o.info.Key, cur)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(d.abs(metaRel(bucket, o.info.Key))), 0o755)
	}
	if err != nil {
		d.prune(path)
		return "", nil, err
	}
	o.info.Size = fi.Size()
	o.body = diskBody{path: path, mod: fi.ModTime()}
	j := &journalRecord{
		sidecar: sidecar{ObjectInfo: o.info, Path: path, ModTime: fi.ModTime()},
		Bucket:  bucket,
		Staged:  tmpDir + "/" + filepath.Base(tmp),
	}
	if cur != nil && cur.body.(diskBody).path != path {
		j.Replaces = cur.body.(diskBody).path
	}
	if u != nil {
		j.Completes = u.info.ID
	}
	rel := fmt.Sprintf("%s/%020d.json", journalDir, d.seq.Add(1))
	if err := d.writeJSON(rel, j); err != nil {
		d.prune(path)
		return "", nil, err
	}
	return rel, j, nil
}

// abandon drops a write that did not commit: its record first, then its
// body, so that a crash between the two leaves a record whose body is
// staged still, which the next open drops too.
func (d *DiskStore) abandon(rel string, j *journalRecord) {
	if err := os.Remove(d.abs(rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return
	}
	os.Remove(d.abs(j.Staged))
	d.prune(j.Path)
}

// finish does the last steps of a committed write: delete the body it
// replaced and the upload it completed, then rename its record to the
// key's description. Each step may be done again.
func (d *DiskStore) finish(rel string, j *journalRecord) error {
	if j.Replaces != "" {
		if err := os.Remove(d.abs(j.Replaces)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		d.prune(j.Replaces)
	}
	if j.Completes != "" {
		if err := d.removeUpload(j.Bucket, j.Completes); err != nil {
			return err
		}
	}
	meta := d.abs(metaRel(j.Bucket, j.Key))
	if err := os.MkdirAll(filepath.Dir(meta), 0o755); err != nil {
		return err
	}
	return os.Rename(d.abs(rel), meta)
}

// settle finishes the pending write of a key, if any; the caller holds
// the index's lock. A key whose last write cannot be finished is not
// changed again.
func (d *DiskStore) settle(bucket, key string) error {
	k := [2]string{bucket, key}
	p, ok := d.pending[k]
	if !ok {
		return nil
	}
	if err := d.finish(p.rel, p.j); err != nil {
		return err
	}
	delete(d.pending, k)
	return nil
}

// recoverJournal finishes or drops, in the order they were written, the
// writes a crash interrupted: a write whose body is still staged did not
// happen, one whose body was moved did.
func (d *DiskStore) recoverJournal() error {
	ents, err := os.ReadDir(d.abs(journalDir)) // sorted by name: by number
	if err != nil {
		return err
	}
	for _, e := range ents {
		rel := journalDir + "/" + e.Name()
		var j journalRecord
		if err := d.readJSON(rel, &j); err != nil || !j.valid() {
			return fmt.Errorf("%s is not a journal record of s3local (%v)", rel, err)
		}
		if _, err := os.Lstat(d.abs(j.Staged)); err == nil {
			d.abandon(rel, &j)
			if _, err := os.Lstat(d.abs(rel)); !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("dropping %s: %v", rel, err)
			}
			continue
		}
		if err := d.finish(rel, &j); err != nil {
			return fmt.Errorf("finishing %s: %w", rel, err)
		}
	}
	return nil
}

// clearTmp deletes the files of tmpDir, but the bodies that journal
// records name: a record left (a write that could not be dropped) must
// still find its body staged, or the next open would take the write as
// done.
func (d *DiskStore) clearTmp() error {
	keep := map[string]bool{}
	ents, err := os.ReadDir(d.abs(journalDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range ents {
		var j journalRecord
		if d.readJSON(journalDir+"/"+e.Name(), &j) == nil {
			keep[filepath.Base(j.Staged)] = true
		}
	}
	files, err := os.ReadDir(d.abs(tmpDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, f := range files {
		if !keep[f.Name()] {
			if err := os.RemoveAll(d.abs(tmpDir + "/" + f.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// valid reports whether every path of a record is one the record's key
// may use, so that a record changed by hand cannot make the store touch
// another file.
func (j *journalRecord) valid() bool {
	plain, _ := plainRel(j.Bucket, j.Key)
	place := func(p string) bool { return p != "" && (p == plain || p == fallbackRel(j.Bucket, j.Key)) }
	staged, ok := strings.CutPrefix(j.Staged, tmpDir+"/")
	return validBucketName(j.Bucket) && place(j.Path) && (j.Replaces == "" || place(j.Replaces)) &&
		(j.Completes == "" || validUploadID(j.Completes)) &&
		ok && staged != "" && !strings.ContainsAny(staged, `/\`) && staged != "." && staged != ".."
}
