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
// .s3local/uploads, holding upload.json and, for each part, its bytes and
// their description.

// CreateUpload implements Store.
func (d *DiskStore) CreateUpload(bucket string, u UploadInfo) error {
	if !validUploadID(u.ID) {
		return fmt.Errorf("s3local: invalid upload ID %q", u.ID)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := d.bucket(bucket)
	if err != nil {
		return err
	}
	u.Parts = nil
	if err := d.writeJSON(uploadRel(bucket, u.ID)+"/upload.json", u); err != nil {
		return err
	}
	b.uploads[u.ID] = &diskUpload{info: u, parts: map[int]PartInfo{}}
	return nil
}

// upload returns an open upload; the caller holds d.mu.
func (d *DiskStore) upload(bucket, id string) (*diskUpload, error) {
	b, err := d.bucket(bucket)
	if err != nil {
		return nil, err
	}
	u := b.uploads[id]
	if u == nil {
		return nil, ErrNoSuchUpload
	}
	return u, nil
}

// describe returns u's info with its parts; the caller holds d.mu.
func (u *diskUpload) describe() UploadInfo {
	info := u.info
	info.Parts = make([]PartInfo, 0, len(u.parts))
	for _, p := range u.parts {
		info.Parts = append(info.Parts, p)
	}
	sortParts(info.Parts)
	return info
}

// Upload implements Store.
func (d *DiskStore) Upload(bucket, id string) (UploadInfo, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	u, err := d.upload(bucket, id)
	if err != nil {
		return UploadInfo{}, err
	}
	return u.describe(), nil
}

// Uploads implements Store.
func (d *DiskStore) Uploads(bucket string) ([]UploadInfo, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	b, err := d.bucket(bucket)
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

// PutPart implements Store: the part is a file in the upload's directory.
func (d *DiskStore) PutPart(bucket, id string, p PartInfo, body Blob) error {
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
	if p.Number < 1 || p.Number > maxPartNumber {
		return errors.New("s3local: part number " + strconv.Itoa(p.Number) + " out of range")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	u, err := d.upload(bucket, id)
	if err != nil {
		return err
	}
	rel := partRel(bucket, id, p.Number)
	if err := os.Rename(tmp, d.abs(rel)); err != nil {
		return err
	}
	placed = true
	fi, err := os.Stat(d.abs(rel))
	if err == nil {
		p.Size = fi.Size()
		err = d.writeJSON(rel+".json", p)
	}
	if err != nil {
		os.Remove(d.abs(rel))
		delete(u.parts, p.Number)
		return err
	}
	u.parts[p.Number] = p
	return nil
}

// OpenPart implements Store.
func (d *DiskStore) OpenPart(bucket, id string, number int) (PartInfo, ObjectReader, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	u, err := d.upload(bucket, id)
	if err != nil {
		return PartInfo{}, nil, err
	}
	p, ok := u.parts[number]
	if !ok {
		return PartInfo{}, nil, ErrNoSuchKey
	}
	f, err := os.Open(d.abs(partRel(bucket, id, number)))
	if err != nil {
		return PartInfo{}, nil, err
	}
	return p, f, nil
}

// AbortUpload implements Store.
func (d *DiskStore) AbortUpload(bucket, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.upload(bucket, id); err != nil {
		return err
	}
	delete(d.buckets[bucket].uploads, id)
	return os.RemoveAll(d.abs(uploadRel(bucket, id)))
}

// loadUploads reads b's open uploads and their parts.
func (d *DiskStore) loadUploads(b *diskBucket) error {
	ents, err := os.ReadDir(d.abs(sysDir + "/uploads/" + b.info.Name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		id := e.Name()
		var info UploadInfo
		if !validUploadID(id) || d.readJSON(uploadRel(b.info.Name, id)+"/upload.json", &info) != nil || info.ID != id {
			continue
		}
		u := &diskUpload{info: info, parts: map[int]PartInfo{}}
		parts, err := os.ReadDir(d.abs(uploadRel(b.info.Name, id)))
		if err != nil {
			return err
		}
		for _, pe := range parts {
			n, err := strconv.Atoi(strings.TrimSuffix(pe.Name(), ".json"))
			if err != nil || n < 1 || n > maxPartNumber || !strings.HasSuffix(pe.Name(), ".json") {
				continue
			}
			rel := partRel(b.info.Name, id, n)
			var p PartInfo
			if d.readJSON(rel+".json", &p) != nil || p.Number != n {
				continue
			}
			if fi, err := os.Stat(d.abs(rel)); err == nil && fi.Size() == p.Size {
				u.parts[n] = p
			}
		}
		b.uploads[id] = u
	}
	return nil
}
