package storage

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// FS returns a read-only io/fs view of the storage, rooted at its
// location, whose calls run on ctx. Directories are the "/"-separated
// prefixes of keys; a file and a directory of the same name show as the
// file. It implements fs.StatFS and fs.ReadDirFS and passes
// testing/fstest.TestFS. Files are *File values (so Seek and ReadAt
// work), which makes the view usable with http.FS.
func (s *Storage) FS(ctx context.Context) fs.FS { return &fsView{s: s, ctx: ctx} }

type fsView struct {
	s   *Storage
	ctx context.Context
}

var (
	_ fs.StatFS    = (*fsView)(nil)
	_ fs.ReadDirFS = (*fsView)(nil)
)

func (v *fsView) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name != "." {
		f, err := v.s.Open(v.ctx, name)
		if err == nil {
			return fsFile{f}, nil
		}
		if !errors.Is(err, ErrNotExist) {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	entries, err := v.readDir("open", name, false)
	if err != nil {
		return nil, err
	}
	return &fsDir{name: name, entries: entries}, nil
}

func (v *fsView) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if name != "." {
		info, err := v.s.Stat(v.ctx, name)
		if err == nil {
			return fileInfo{info}, nil
		}
		if !errors.Is(err, ErrNotExist) {
			return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
		}
		if _, err := v.readDir("stat", name, true); err != nil {
			return nil, err
		}
	}
	return dirInfo(path.Base(name)), nil
}

func (v *fsView) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	if name != "." {
		if _, err := v.s.Stat(v.ctx, name); err == nil {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
		}
	}
	return v.readDir("readdir", name, false)
}

// readDir lists a directory, sorted by name. A directory that lists
// nothing does not exist (the root always does). probe stops at the first
// page of one key.
func (v *fsView) readDir(op, name string, probe bool) ([]fs.DirEntry, error) {
	dir := name
	if dir == "." {
		dir = ""
	}
	prefix, err := v.s.dirPrefix(op, dir)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	var entries []fs.DirEntry
	seen := map[string]bool{}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(v.s.opts.BucketName), Prefix: str0(prefix), Delimiter: aws.String("/")}
	if probe {
		in.MaxKeys = aws.Int32(1)
	}
	for {
		page, err := v.s.client.ListObjectsV2(v.ctx, in)
		if err != nil {
			return nil, &fs.PathError{Op: op, Path: name, Err: opError(op, prefix, err)}
		}
		for _, o := range page.Contents {
			base := strings.TrimPrefix(aws.ToString(o.Key), prefix)
			if base == "" || strings.Contains(base, "/") {
				continue // the directory marker
			}
			seen[base] = true
			entries = append(entries, fs.FileInfoToDirEntry(fileInfo{Info{
				Name: path.Join(dir, base), Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size),
				ModTime: utcSecond(o.LastModified), ETag: aws.ToString(o.ETag),
			}}))
		}
		for _, p := range page.CommonPrefixes {
			base := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), prefix), "/")
			if base == "" || seen[base] {
				continue
			}
			entries = append(entries, fs.FileInfoToDirEntry(dirInfo(base)))
		}
		if probe || !aws.ToBool(page.IsTruncated) || aws.ToString(page.NextContinuationToken) == "" {
			break
		}
		in.ContinuationToken = page.NextContinuationToken
	}
	if name != "." && len(entries) == 0 {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	// A file named like a directory hides it.
	entries = slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return e.IsDir() && seen[e.Name()] })
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// fsFile adapts *File to fs.File.
type fsFile struct{ *File }

func (f fsFile) Stat() (fs.FileInfo, error) {
	info := f.info
	if f.decode {
		n, err := f.File.Size()
		if err != nil {
			return nil, err
		}
		info.Size = n
	}
	return fileInfo{info}, nil
}

// fileInfo is Info as an fs.FileInfo.
type fileInfo struct{ i Info }

func (fi fileInfo) Name() string       { return path.Base(fi.i.Name) }
func (fi fileInfo) Size() int64        { return fi.i.Size }
func (fi fileInfo) Mode() fs.FileMode  { return 0o444 }
func (fi fileInfo) ModTime() time.Time { return fi.i.ModTime }
func (fi fileInfo) IsDir() bool        { return false }
func (fi fileInfo) Sys() any           { return fi.i }

// dirInfo describes a directory: S3 has no metadata for prefixes.
type dirInfo string

func (d dirInfo) Name() string       { return string(d) }
func (d dirInfo) Size() int64        { return 0 }
func (d dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (d dirInfo) ModTime() time.Time { return time.Time{} }
func (d dirInfo) IsDir() bool        { return true }
func (d dirInfo) Sys() any           { return nil }

// fsDir is an open directory.
type fsDir struct {
	name    string
	entries []fs.DirEntry
	off     int
}

func (d *fsDir) Stat() (fs.FileInfo, error) { return dirInfo(path.Base(d.name)), nil }
func (d *fsDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *fsDir) Close() error { return nil }

func (d *fsDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}
