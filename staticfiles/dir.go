package staticfiles

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/s3kit/s3kit/storage"
)

// Dir is a directory on disk as a Destination, like Django's STATIC_ROOT
// with ManifestStaticFilesStorage: Collect into it, then serve it or
// read its manifest with ReadManifestFile. The ETag of a file is the
// quoted hex MD5 of its bytes, computed when Walk lists it. Names are
// checked with storage.CleanName, so none escapes the directory.
type Dir string

// Put writes the bytes of r to the file name (through a temporary file
// renamed into place, so that a reader never sees half a file). opts is
// ignored: a directory keeps no headers.
func (d Dir) Put(ctx context.Context, name string, r io.Reader, opts *storage.SaveOptions) (storage.Info, error) {
	p, clean, err := d.path(name)
	if err != nil {
		return storage.Info{}, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return storage.Info{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return storage.Info{}, err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is none
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		return storage.Info{}, fmt.Errorf("staticfiles: write %s: %w", clean, err)
	}
	return storage.Info{Name: clean, Key: clean, Size: n, ETag: `"` + hex.EncodeToString(h.Sum(nil)) + `"`}, nil
}

// Walk calls fn with every file under dir (Name, Key, Size, ModTime,
// ETag), in lexical order.
func (d Dir) Walk(ctx context.Context, dir string, fn func(storage.Info) error) error {
	root := string(d)
	if dir != "" {
		p, _, err := d.path(dir)
		if err != nil {
			return err
		}
		root = p
	}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipAll // nothing collected yet
			}
			return err
		}
		if e.IsDir() || !e.Type().IsRegular() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(string(d), p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(filepath.Base(p), ".tmp-") {
			return nil
		}
		info, err := fileInfo(p, rel)
		if err != nil {
			return err
		}
		return fn(info)
	})
	return err
}

func fileInfo(p, name string) (storage.Info, error) {
	f, err := os.Open(p)
	if err != nil {
		return storage.Info{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return storage.Info{}, err
	}
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return storage.Info{}, err
	}
	return storage.Info{Name: name, Key: name, Size: st.Size(), ModTime: st.ModTime().UTC(),
		ETag: `"` + hex.EncodeToString(h.Sum(nil)) + `"`}, nil
}

// Delete removes the file name; a missing file is not an error.
func (d Dir) Delete(ctx context.Context, name string) error {
	p, _, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// FS returns the directory as an fs.FS, for LoadManifest.
func (d Dir) FS(ctx context.Context) fs.FS { return os.DirFS(string(d)) }

// path returns the file path of name and the cleaned name.
func (d Dir) path(name string) (string, string, error) {
	clean, err := storage.CleanName(name)
	if err != nil {
		return "", "", err
	}
	if clean == "" {
		return "", "", fmt.Errorf("staticfiles: empty name: %w", storage.ErrInvalidName)
	}
	return filepath.Join(string(d), filepath.FromSlash(clean)), clean, nil
}
