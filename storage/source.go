package storage

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"sync"
)

// source is the body of one Put, readable once more for every attempt
// after a lost race for the name, except a large stream.
type source struct {
	// Seekable input, sent as it is: size bytes from start.
	ra    io.ReaderAt
	start int64

	// A stream (or a compressed body): the first parts read ahead, and
	// the reader of the rest (sr.eof tells whether there is any).
	parts []part
	sr    *streamReader
	mem   *allowance
	zip   *gzipPipe // compressing the input, when it is compressed

	size int64 // -1: a stream longer than the storage's streamLimit
	sent int   // attempts so far

	// content hashes a stream's content (before compression) as it is
	// read, when the Put computes its SHA-256; sums are the sums of a body
	// sent in one PutObject, once computed.
	content hash.Hash
	sums    *bodySums
}

// input is a Put's body before it is read ahead: seekable (ra) or not
// (r), and its first bytes, for sniffing.
type input struct {
	ra    io.ReaderAt
	start int64
	size  int64
	r     io.Reader
	head  []byte
}

// openInput sniffs r: an io.ReaderAt and io.Seeker (an *os.File, a
// spool) is read in place; anything else as a stream, whose first bytes
// are read here.
func openInput(r io.Reader) (input, error) {
	ra, ok := r.(interface {
		io.ReaderAt
		io.Seeker
	})
	if _, remote := r.(*File); remote {
		// A File's ReadAt is a ranged GET: the manager's small parallel
		// reads would each be a request. Read it as a stream.
		ok = false
	}
	if ok {
		if start, err := ra.Seek(0, io.SeekCurrent); err == nil {
			if end, err := ra.Seek(0, io.SeekEnd); err == nil {
				end = max(end, start) // positioned past its end: an empty body
				in := input{ra: ra, start: start, size: end - start}
				in.head = make([]byte, min(in.size, sniffLen))
				if _, err := ra.ReadAt(in.head, start); err != nil && err != io.EOF {
					return input{}, err
				}
				return in, nil
			}
		}
		// Not really seekable (a pipe, a terminal): read it as a stream.
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return input{}, err
	}
	head = head[:n]
	return input{r: io.MultiReader(bytes.NewReader(head), r), head: head, size: -1}, nil
}

// newSource makes the source of a Put: a seekable input as it is, and a
// stream (or any input to compress, which is a stream of compressed
// bytes) read ahead under the budget until the storage knows whether it
// fits one PutObject. A stream's parts are summed in c.alg as they are
// read, and its content hashed with SHA-256 when c asks for it.
func (s *Storage) newSource(ctx context.Context, in input, compress bool, c *checks) (*source, error) {
	if in.ra != nil && !compress {
		return &source{ra: in.ra, start: in.start, size: in.size}, nil
	}
	r := in.r
	if in.ra != nil {
		r = io.NewSectionReader(in.ra, in.start, in.size)
	}
	src := &source{mem: s.newAllowance(), size: -1}
	if c.sha {
		src.content = sha256.New()
		r = &hashReader{r: r, h: src.content}
	}
	if compress {
		src.zip = newGzipPipe(r)
		r = src.zip
	}
	src.sr = &streamReader{r: r, mem: src.mem, alg: c.alg}
	var err error
	src.parts, err = src.sr.readAhead(ctx, s.streamLimit, s.opts.Transfer.PartSize)
	if err != nil {
		src.close()
		return nil, err
	}
	if n := total(src.parts); src.sr.eof && n <= s.streamLimit {
		src.size = n
	}
	return src, nil
}

// readAhead reads parts of partSize until more than limit bytes are read,
// the stream ends, or the budget is short (the body is then taken as
// large: it goes in a multipart upload).
func (sr *streamReader) readAhead(ctx context.Context, limit, partSize int64) ([]part, error) {
	var ps []part
	var p part
	for !sr.eof && total(ps)+p.n <= limit {
		if p.n == partSize {
			ps, p = append(ps, p), part{}
		}
		shortAt := int64(MinPartSize)
		if len(ps) > 0 {
			shortAt = 0 // nothing of this stream is in flight to give memory back: go multipart now
		}
		err := sr.fill(ctx, &p, min(partSize, limit+1-total(ps)), shortAt)
		if err == errShort {
			break
		}
		if err != nil {
			sr.mem.free(append(ps, p)...)
			return nil, err
		}
	}
	if p.n > 0 {
		ps = append(ps, p)
	}
	return ps, nil
}

// large reports whether the body goes in a multipart upload.
func (src *source) large() bool { return src.size < 0 }

// body is what one attempt sends: size bytes of r, or (a large stream)
// the parts read ahead and then the rest of the stream.
type body struct {
	r     io.ReadSeeker // size bytes; nil for a large stream
	ra    io.ReaderAt   // seekable input, for concurrent parts
	size  int64
	parts []part
	sr    *streamReader
	mem   *allowance

	content hash.Hash // a large stream's content hash, final once sr.eof
}

var errNoReplay = errors.New("storage: the body cannot be sent twice")

// open returns the body for the next attempt.
func (src *source) open() (body, error) {
	attempt := src.sent
	src.sent++
	switch {
	case src.ra != nil:
		return body{r: io.NewSectionReader(src.ra, src.start, src.size), ra: src.ra, size: src.size}, nil
	case src.size >= 0:
		// Small: all in memory, readable any number of times.
		return body{r: newPartsReader(src.parts...), size: src.size}, nil
	case attempt == 0:
		// The stream's parts now belong to the upload.
		b := body{parts: src.parts, sr: src.sr, mem: src.mem, size: -1, content: src.content}
		src.parts = nil
		return b, nil
	}
	return body{}, errNoReplay
}

// bodySums returns the sums of a body sent in one PutObject, computed
// once: for a small stream from the sums of its parts, taken as they were
// read; for a seekable body in one pass over it, which reads it ahead of
// the SDK (the SDK would read it to compute a checksum header anyway).
func (src *source) bodySums(ctx context.Context, c *checks) (bodySums, error) {
	if src.sums != nil {
		return *src.sums, nil
	}
	var b bodySums
	var err error
	switch {
	case src.ra != nil:
		var sha hash.Hash
		if c.sha {
			sha = sha256.New()
		}
		b.object, err = pass(ctx, io.NewSectionReader(src.ra, src.start, src.size), c.alg, sha)
		if sha != nil {
			b.content = sha.Sum(nil)
		}
	case len(src.parts) == 1:
		b.object = src.parts[0].sum
	case c.alg.crc() || c.alg == algNone || len(src.parts) == 0:
		b.object = newSum(c.alg)
		for _, p := range src.parts {
			if c.alg.crc() {
				b.object = b.object.then(p.sum)
			}
		}
	default: // SHA1 or SHA256 over several parts read ahead: one more pass, in memory
		b.object, err = pass(ctx, newPartsReader(src.parts...), c.alg, nil)
	}
	if err != nil {
		return b, err
	}
	if src.content != nil {
		b.content = src.content.Sum(nil)
	}
	src.sums = &b
	return b, nil
}

func (src *source) close() {
	if src.mem != nil {
		src.mem.free(src.parts...)
		src.parts = nil
		src.mem.close()
	}
	if src.zip != nil {
		src.zip.stop()
	}
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// gzipPipe compresses a body while the upload reads it. The gzip header
// carries no name and a zero mtime, so equal input gives equal output
// (and ETag).
type gzipPipe struct {
	*io.PipeReader
	done chan struct{}
}

func newGzipPipe(src io.Reader) *gzipPipe {
	pr, pw := io.Pipe()
	g := &gzipPipe{PipeReader: pr, done: make(chan struct{})}
	go func() {
		defer close(g.done)
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(pw)
		_, err := io.Copy(zw, src)
		if err == nil {
			err = zw.Close()
		}
		zw.Reset(nil)
		gzipWriters.Put(zw)
		pw.CloseWithError(err)
	}()
	return g
}

// stop unblocks and waits for the compressing goroutine.
func (g *gzipPipe) stop() {
	g.PipeReader.CloseWithError(errors.New("storage: upload ended"))
	<-g.done
}
