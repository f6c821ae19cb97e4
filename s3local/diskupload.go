package s3local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// The multipart uploads of a DiskStore: a directory per upload under
// .s3local/uploads, holding upload.json and, for each part, its bytes in
// a file named uniquely ("<number>-<random>") and its description
// ("<number>.json") naming that file. Writing the description (by a
// rename) commits the part; the bytes it replaced are deleted after.
// Deleting upload.json ends the upload; its directory goes after.

// partRecord is the JSON description of a part.
type partRecord struct {
	PartInfo
	// File is the name of the part's bytes in the upload's directory;
	// "" in stores written before parts had unique names: "%05d".
	File string `json:"file,omitempty"`
}

// createUpload implements backend.
func (d *DiskStore) createUpload(bucket string, u UploadInfo) error {
	if !validUploadID(u.ID) {
		return fmt.Errorf("s3local: invalid upload ID %q", u.ID)
	}
	dir := uploadRel(bucket, u.ID)
	if err := os.MkdirAll(d.abs(dir), 0o755); err != nil {
		return err
	}
	return d.writeJSON(dir+"/upload.json", u)
}

// putPart implements backend: the bytes go to a new file of the upload's
// directory, then the part's description names it.
func (d *DiskStore) putPart(bucket, id string, p, cur *part, body blob) error {
	tmp, err := d.take(body)
	if err != nil {
		return err
	}
	if p.info.Number < 1 || p.info.Number > maxPartNumber {
		os.Remove(tmp)
		return errors.New("s3local: part number " + strconv.Itoa(p.info.Number) + " out of range")
	}
	name := fmt.Sprintf("%05d-%s", p.info.Number, randomHex(8))
	rel := uploadRel(bucket, id) + "/" + name
	if err := os.Rename(tmp, d.abs(rel)); err != nil {
		os.Remove(tmp)
		return err
	}
	fi, err := os.Stat(d.abs(rel))
	if err == nil {
		p.info.Size = fi.Size()
		err = d.writeJSON(partRel(bucket, id, p.info.Number)+".json", partRecord{PartInfo: p.info, File: name})
	}
	if err != nil {
		os.Remove(d.abs(rel))
		return err
	}
	p.body = rel
	if cur != nil {
		os.Remove(d.abs(cur.body.(string))) // if it stays, the next open deletes it
	}
	return nil
}

// deleteUpload implements backend.
func (d *DiskStore) deleteUpload(bucket string, u *upload) error {
	return d.removeUpload(bucket, u.info.ID)
}

// removeUpload ends an upload: upload.json first, then the rest, which
// the next open deletes if a crash stops it. A missing upload is not an
// error.
func (d *DiskStore) removeUpload(bucket, id string) error {
	dir := uploadRel(bucket, id)
	if err := os.Remove(d.abs(dir + "/upload.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.RemoveAll(d.abs(dir))
}

// loadUploads reads b's open uploads and their parts, and deletes the
// uploads that were ended and the files no part describes.
func (d *DiskStore) loadUploads(b *bucketState) error {
	ents, err := os.ReadDir(d.abs(sysDir + "/uploads/" + b.info.Name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		id, dir := e.Name(), uploadRel(b.info.Name, e.Name())
		var info UploadInfo
		err := d.readJSON(dir+"/upload.json", &info)
		switch {
		case errors.Is(err, fs.ErrNotExist) || !validUploadID(id):
			if err := os.RemoveAll(d.abs(dir)); err != nil { // ended, or never begun
				return err
			}
			continue
		case err != nil || info.ID != id:
			return fmt.Errorf("%s/upload.json is unreadable (%v)", dir, err)
		}
		u := &upload{info: info, parts: map[int]*part{}}
		if err := d.loadParts(dir, u); err != nil {
			return err
		}
		b.uploads[id] = u
	}
	return nil
}

// loadParts reads the parts of the upload in dir, and deletes the files
// that no part describes.
func (d *DiskStore) loadParts(dir string, u *upload) error {
	files, err := os.ReadDir(d.abs(dir))
	if err != nil {
		return err
	}
	described := map[string]bool{"upload.json": true}
	for _, f := range files {
		n, err := strconv.Atoi(strings.TrimSuffix(f.Name(), ".json"))
		if err != nil || n < 1 || n > maxPartNumber || !strings.HasSuffix(f.Name(), ".json") {
			continue
		}
		var p partRecord
		if err := d.readJSON(dir+"/"+f.Name(), &p); err != nil || p.Number != n {
			return fmt.Errorf("%s/%s is not a part of s3local (%v)", dir, f.Name(), err)
		}
		if p.File == "" {
			p.File = fmt.Sprintf("%05d", n)
		}
		if strings.ContainsAny(p.File, `/\`) || p.File == ".." {
			return fmt.Errorf("%s/%s names a file outside its upload", dir, f.Name())
		}
		fi, err := os.Stat(d.abs(dir + "/" + p.File))
		if err != nil || fi.Size() != p.Size {
			continue // its description is deleted below
		}
		described[f.Name()], described[p.File] = true, true
		u.parts[n] = &part{info: p.PartInfo, body: dir + "/" + p.File}
	}
	for _, f := range files {
		if !described[f.Name()] {
			if err := os.RemoveAll(d.abs(dir + "/" + f.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
