package storage

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// File is an open object: an io.ReadSeekCloser and io.ReaderAt over its
// bytes that fetches them with ranged GETs, so it can be handed to
// http.ServeContent. Every GET after the first carries If-Match with the
// ETag seen at Open, so a File never mixes two versions of an object. A
// body cut mid-way (a reset connection, a short read) is resumed from the
// byte where it stopped, with If-Match, up to maxResumes times in a row
// without progress; a changed object fails the read instead.
//
// When the storage has Gzip on and the object is stored with
// Content-Encoding gzip, File reads the original bytes: Read decompresses,
// a seek backwards starts again from the first byte and a seek from the
// end reads the whole object once to learn its size.
//
// A read from the first byte to the end is checked against the object's
// checksum (by the SDK, with response_checksum_validation when_supported,
// its default): a damaged byte fails the read at the end with
// ErrChecksum. That holds for objects written in one PutObject and for
// multipart objects with a FULL_OBJECT checksum (what Put writes with a
// CRC), not for COMPOSITE ones (SHA1 or SHA256 multipart), nor for ranged
// reads (ReadAt, a Seek before reading, the rest of a body resumed after
// a cut), which S3 sends no checksum for. See # Integrity in the package
// documentation.
//
// The ctx given to Open is used for every request the File sends during
// its lifetime. A File is not safe for concurrent use, except ReadAt.
type File struct {
	s    *Storage
	ctx  context.Context
	info Info

	pos    int64
	raw    *rawBody // the stored bytes from raw.pos; nil until needed
	closed bool

	decode bool         // gzip: positions are in decoded bytes
	zr     *gzip.Reader // over raw from 0, when decode
	zpos   int64        // decoded position of zr
	dsize  int64        // decoded size, -1 until known
}

// maxResumes bounds the GETs sent in a row to resume a cut body.
const maxResumes = 3

// Open opens name for reading. The first GET is sent here, so a missing
// object fails now with ErrNotExist, and its body serves the first reads.
func (s *Storage) Open(ctx context.Context, name string) (*File, error) {
	clean, key, err := s.objectKey("open", name)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, s.getInput(key))
	if err != nil {
		return nil, opError("open", key, err)
	}
	f := &File{s: s, ctx: ctx, dsize: -1}
	var head s3.HeadObjectOutput // the headers a GET and a HEAD share
	copyFields(&head, out)
	head.ContentLength = out.ContentLength
	f.info = infoOf(clean, key, &head)
	f.raw = f.rawFrom(0, f.info.Size)
	f.raw.body = out.Body
	f.decode = *s.opts.Gzip && strings.EqualFold(f.info.ContentEncoding, "gzip")
	return f, nil
}

// rawBody reads the stored bytes [pos, end) of a File's object with
// ranged GETs pinned to its ETag, resuming a body that is cut.
type rawBody struct {
	f     *File
	body  io.ReadCloser // positioned at pos; nil until the next Read
	pos   int64
	end   int64
	fails int // GETs in a row that gave no byte
}

func (f *File) rawFrom(off, end int64) *rawBody { return &rawBody{f: f, pos: off, end: end} }

func (r *rawBody) Read(p []byte) (int, error) {
	if r.pos >= r.end {
		return 0, io.EOF
	}
	if int64(len(p)) > r.end-r.pos {
		p = p[:r.end-r.pos]
	}
	for {
		if r.body == nil {
			if err := r.open(); err != nil {
				return 0, err
			}
		}
		n, err := r.body.Read(p)
		r.pos += int64(n)
		switch {
		case r.pos >= r.end:
			if err == nil {
				// Read to io.EOF: the SDK checks a full GET's checksum there.
				var one [1]byte
				var k int
				k, err = r.body.Read(one[:])
				if k > 0 {
					err = errors.New("storage: the body is longer than its Content-Length")
				}
			}
			r.close()
			if err != nil && err != io.EOF {
				return n, opError("read", r.f.info.Key, err)
			}
			return n, nil
		case err == nil:
			if n > 0 {
				r.fails = 0
			}
			return n, nil
		}
		// Cut before its end (io.EOF included): resume from r.pos.
		r.close()
		if n > 0 {
			r.fails = 0
			return n, nil
		}
		if cerr := r.f.ctx.Err(); cerr != nil {
			return 0, opError("read", r.f.info.Key, cerr)
		}
		if r.fails++; r.fails > maxResumes {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, opError("read", r.f.info.Key, err)
		}
		r.f.s.opts.Logger.DebugContext(r.f.ctx, "storage: resuming a cut read", "key", r.f.info.Key, "offset", r.pos, "err", err)
	}
}

// open sends the ranged GET of [pos, end).
func (r *rawBody) open() error {
	in := r.f.s.getInput(r.f.info.Key)
	in.IfMatch = aws.String(r.f.info.ETag)
	if r.pos > 0 || r.end < r.f.info.Size {
		in.Range = aws.String("bytes=" + strconv.FormatInt(r.pos, 10) + "-" + strconv.FormatInt(r.end-1, 10))
	}
	out, err := r.f.s.client.GetObject(r.f.ctx, in)
	if err != nil {
		return opError("read", r.f.info.Key, err)
	}
	if in.Range != nil && !strings.HasPrefix(aws.ToString(out.ContentRange), "bytes "+strconv.FormatInt(r.pos, 10)+"-") {
		// A server (or proxy) that ignored the range would splice the
		// object's first bytes in.
		out.Body.Close()
		return opError("read", r.f.info.Key, fmt.Errorf("asked for bytes from %d, got Content-Range %q", r.pos, aws.ToString(out.ContentRange)))
	}
	r.body = out.Body
	return nil
}

func (r *rawBody) close() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

// Info returns what Open learned of the object. Size is the stored size.
func (f *File) Info() Info { return f.info }

// Name returns the object's name, relative to the location.
func (f *File) Name() string { return f.info.Name }

// Size returns the number of bytes Read yields: the stored size, or for a
// decoded gzip object its original size (found by reading it once).
func (f *File) Size() (int64, error) {
	if !f.decode {
		return f.info.Size, nil
	}
	if f.dsize < 0 {
		n, err := f.decodedSize()
		if err != nil {
			return 0, err
		}
		f.dsize = n
	}
	return f.dsize, nil
}

// ModTime returns the last modification time, UTC, to the second.
func (f *File) ModTime() time.Time { return f.info.ModTime }

// ContentType returns the stored Content-Type.
func (f *File) ContentType() string { return f.info.ContentType }

// ETag returns the object's ETag, quoted as S3 sends it.
func (f *File) ETag() string { return f.info.ETag }

// Read reads from the current position.
func (f *File) Read(p []byte) (int, error) {
	if f.closed {
		return 0, fs.ErrClosed
	}
	if f.decode {
		return f.readDecoded(p)
	}
	if f.pos >= f.info.Size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if f.raw == nil || f.raw.pos != f.pos {
		f.closeRaw()
		f.raw = f.rawFrom(f.pos, f.info.Size)
	}
	n, err := f.raw.Read(p)
	f.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (f *File) closeRaw() {
	if f.raw != nil {
		f.raw.close()
		f.raw = nil
	}
	f.zr = nil
}

// Seek sets the position for the next Read. It sends nothing; the next
// Read does.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	if f.closed {
		return 0, fs.ErrClosed
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = f.pos + offset
	case io.SeekEnd:
		size, err := f.Size()
		if err != nil {
			return 0, err
		}
		abs = size + offset
	default:
		return 0, errors.New("storage: seek: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("storage: seek: negative position")
	}
	f.pos = abs
	return abs, nil
}

// ReadAt reads len(p) bytes at off with a ranged GET (resumed if cut),
// independently of the position. It may be called concurrently. For a
// decoded gzip object it reads from the start on a fresh stream.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, fs.ErrClosed
	}
	if off < 0 {
		return 0, errors.New("storage: readat: negative offset")
	}
	if len(p) == 0 {
		return 0, nil
	}
	if f.decode {
		return f.readAtDecoded(p, off)
	}
	if off >= f.info.Size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), f.info.Size)
	r := f.rawFrom(off, end)
	defer r.close()
	n, err := io.ReadFull(r, p[:end-off])
	if err != nil {
		return n, err
	}
	if end-off < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// Close releases the connection. Reads after Close fail with fs.ErrClosed.
func (f *File) Close() error {
	if f.closed {
		return fs.ErrClosed
	}
	f.closed = true
	f.closeRaw()
	return nil
}

// readDecoded reads decoded bytes at f.pos, restarting the stream when
// the position moved backwards and skipping forward when it moved on.
func (f *File) readDecoded(p []byte) (int, error) {
	if f.zr == nil || f.zpos > f.pos {
		if err := f.restartDecoded(); err != nil {
			return 0, err
		}
	}
	if f.zpos < f.pos {
		if _, err := io.CopyN(io.Discard, f.zr, f.pos-f.zpos); err != nil {
			f.zpos = f.pos
			if err == io.EOF {
				return 0, io.EOF
			}
			return 0, decodeError(f.info.Key, err)
		}
		f.zpos = f.pos
	}
	n, err := f.zr.Read(p)
	f.pos += int64(n)
	f.zpos += int64(n)
	if err != nil && err != io.EOF {
		err = decodeError(f.info.Key, err)
	}
	return n, err
}

// decodeError wraps a gzip failure once; a read failure is already
// wrapped.
func decodeError(key string, err error) error { return opError("read", key, err) }

func (f *File) restartDecoded() error {
	if f.raw == nil || f.zr != nil || f.raw.pos != 0 {
		f.closeRaw()
		f.raw = f.rawFrom(0, f.info.Size)
	}
	zr, err := gzip.NewReader(f.raw)
	if err != nil {
		return decodeError(f.info.Key, err)
	}
	f.zr, f.zpos = zr, 0
	return nil
}

func (f *File) decodedSize() (int64, error) {
	r := f.rawFrom(0, f.info.Size)
	defer r.close()
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, decodeError(f.info.Key, err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		return 0, decodeError(f.info.Key, err)
	}
	return n, nil
}

func (f *File) readAtDecoded(p []byte, off int64) (int, error) {
	r := f.rawFrom(0, f.info.Size)
	defer r.close()
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, decodeError(f.info.Key, err)
	}
	if _, err := io.CopyN(io.Discard, zr, off); err != nil {
		if err == io.EOF {
			return 0, io.EOF
		}
		return 0, decodeError(f.info.Key, err)
	}
	n, err := io.ReadFull(zr, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}
