package spool

import (
	"errors"
	"io"
	"os"
)

// File is a write-once, read-many buffer. The zero value is not usable;
// call New.
type File struct {
	limit int64
	dir   string
	mem   []byte
	f     *os.File
	name  string // set while the file could not be unlinked at creation
	size  int64
	err   error
}

// New returns an empty File that keeps up to limit bytes in memory and
// rolls over to a temporary file in dir ("" for os.TempDir) beyond that.
// A limit of 0 writes to disk from the first byte.
func New(limit int64, dir string) *File {
	return &File{limit: limit, dir: dir}
}

// Write appends p, rolling over to disk when the memory limit is passed.
func (s *File) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.f == nil && s.size+int64(len(p)) <= s.limit {
		if need := len(s.mem) + len(p); need > cap(s.mem) {
			// Double (within the limit): append's growth under many small
			// writes is about 1.25x, which costs a copy every few KiB.
			grown := make([]byte, len(s.mem), min(max(need, 2*cap(s.mem), 4096), int(s.limit)))
			copy(grown, s.mem)
			s.mem = grown
		}
		s.mem = append(s.mem, p...)
		s.size += int64(len(p))
		return len(p), nil
	}
	if s.f == nil {
		if err := s.rollover(); err != nil {
			s.err = err
			return 0, err
		}
	}
	n, err := s.f.Write(p)
	s.size += int64(n)
	if err != nil {
		s.err = err
	}
	return n, err
}

// ReadFrom copies r into the spool, through a buffer of its own size
// class; it lets io.Copy skip an extra buffer.
func (s *File) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, 64<<10)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			m, werr := s.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (s *File) rollover() error {
	f, err := os.CreateTemp(s.dir, "s3kit-spool-*")
	if err != nil {
		return err
	}
	if err := os.Remove(f.Name()); err != nil {
		s.name = f.Name() // removed at Close instead
	}
	if _, err := f.Write(s.mem); err != nil {
		f.Close()
		s.removeName()
		return err
	}
	s.f, s.mem = f, nil
	return nil
}

// ReadAt reads from the spooled bytes.
func (s *File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("spool: negative offset")
	}
	if s.f != nil {
		if off >= s.size {
			return 0, io.EOF
		}
		if rest := s.size - off; int64(len(p)) > rest {
			n, err := s.f.ReadAt(p[:rest], off)
			if err == nil {
				err = io.EOF
			}
			return n, err
		}
		return s.f.ReadAt(p, off)
	}
	if off >= int64(len(s.mem)) {
		return 0, io.EOF
	}
	n := copy(p, s.mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Size returns the number of bytes written.
func (s *File) Size() int64 { return s.size }

// OnDisk reports whether the spool rolled over to a temporary file.
func (s *File) OnDisk() bool { return s.f != nil }

// Reader returns a reader over the spooled bytes that is also an
// io.ReaderAt and an io.Seeker.
func (s *File) Reader() *io.SectionReader { return io.NewSectionReader(s, 0, s.size) }

// Close releases the memory and the temporary file. It is safe to call
// more than once.
func (s *File) Close() error {
	s.mem = nil
	var err error
	if s.f != nil {
		err = s.f.Close()
		s.f = nil
	}
	s.removeName()
	if s.err == nil {
		s.err = os.ErrClosed
	}
	return err
}

func (s *File) removeName() {
	if s.name != "" {
		os.Remove(s.name)
		s.name = ""
	}
}
