package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Streams (bodies that are not an io.ReaderAt) are uploaded here rather
// than by feature/s3/manager: the manager allocates fresh part buffers for
// every upload and copies the first part twice, which on a loopback
// server costs a third of the throughput. Here every byte is copied once,
// from the reader into a part buffer, and the buffers come from a free
// list of the Storage, so that a stream holds at most Concurrency of them
// and a server's memory stays flat from one upload to the next.
// Nothing goes to disk: a stream that must not overwrite claims its name
// before it starts (see Put) instead of keeping a copy to send again.

// chunk is a part buffer and how much of it is filled.
type chunk struct {
	buf *[]byte
	n   int
}

func (c chunk) bytes() []byte { return (*c.buf)[:c.n] }

func (s *Storage) getBuf() *[]byte {
	select {
	case b := <-s.bufs:
		return b
	default:
		b := make([]byte, s.partSize)
		return &b
	}
}

// release gives part buffers back to the free list; what does not fit,
// and the small buffers of small bodies, are left to the collector.
func (s *Storage) release(cs ...chunk) {
	for _, c := range cs {
		if c.buf != nil && int64(len(*c.buf)) == s.partSize {
			select {
			case s.bufs <- c.buf:
			default:
			}
		}
	}
}

// readChunk fills one part buffer from r. eof reports that r is done;
// an empty final chunk is released and returned with a nil buf.
func (s *Storage) readChunk(r io.Reader) (c chunk, eof bool, err error) {
	c.buf = s.getBuf()
	c.n, err = io.ReadFull(r, *c.buf)
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		eof, err = true, nil
	default:
		s.release(c)
		return chunk{}, false, err
	}
	if c.n == 0 {
		s.release(c)
		c = chunk{}
	}
	return c, eof, nil
}

// smallRead is how much a stream is read into a buffer of its own size
// before a part buffer is taken, so that a small body does not hold one.
const smallRead = 32 << 10

// fill reads r until it knows whether r holds more than limit bytes: the
// chunks read and, when eof is false (more than limit), the reader of the
// rest. It reads at most one byte past the first limit bytes rounded up to
// whole parts: a body of exactly one part does not take a second buffer.
func (s *Storage) fill(r io.Reader, limit int64) (cs []chunk, total int64, rest io.Reader, eof bool, err error) {
	head := make([]byte, min(smallRead, limit+1))
	n, err := io.ReadFull(r, head)
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		if n == 0 {
			return nil, 0, r, true, nil
		}
		return []chunk{{buf: &head, n: n}}, int64(n), r, true, nil // not a part buffer: release skips it
	default:
		return nil, 0, nil, false, err
	}
	// Larger: continue in a part buffer that starts with head.
	c := chunk{buf: s.getBuf(), n: n}
	copy(*c.buf, head)
	m, err := io.ReadFull(r, (*c.buf)[n:])
	c.n += m
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		eof = true
	default:
		s.release(c)
		return nil, 0, nil, false, err
	}
	cs, total = []chunk{c}, int64(c.n)
	for total < limit && !eof {
		if c, eof, err = s.readChunk(r); err != nil {
			s.release(cs...)
			return nil, 0, nil, false, err
		}
		if c.buf != nil {
			cs = append(cs, c)
			total += int64(c.n)
		}
	}
	if total <= limit && !eof {
		// Exactly limit so far: one more byte tells.
		var one [1]byte
		switch k, err := io.ReadFull(r, one[:]); {
		case err == io.EOF:
			eof = true
		case err != nil:
			s.release(cs...)
			return nil, 0, nil, false, err
		default:
			r = io.MultiReader(bytes.NewReader(one[:k]), r)
		}
	}
	return cs, total, r, eof, nil
}

// chunksReader returns a reader over the bytes of the chunks, without
// copying them; it seeks, so the SDK can hash a body before it sends it.
func chunksReader(cs []chunk) io.ReadSeeker {
	if len(cs) == 1 {
		return bytes.NewReader(cs[0].bytes())
	}
	return &multiChunk{cs: cs, size: total(cs)}
}

type multiChunk struct {
	cs        []chunk
	size, off int64
}

func (m *multiChunk) Read(p []byte) (int, error) {
	off := m.off
	for _, c := range m.cs {
		if off < int64(c.n) {
			n := copy(p, c.bytes()[off:])
			m.off += int64(n)
			return n, nil
		}
		off -= int64(c.n)
	}
	return 0, io.EOF
}

func (m *multiChunk) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += m.off
	case io.SeekEnd:
		offset += m.size
	}
	if offset < 0 {
		return 0, errors.New("storage: seek: negative position")
	}
	m.off = offset
	return offset, nil
}

// putStream uploads the chunks already read and then the rest of r. It
// owns the chunks from the call on. Given no chunks, it reads r until it
// knows whether the body fits the threshold; otherwise eof says whether
// the chunks are all of it. A body that fits goes in one PutObject; a
// larger one in a multipart upload that is aborted, on a context that
// outlives ctx, if anything fails.
func (s *Storage) putStream(ctx context.Context, in *s3.PutObjectInput, pre []chunk, eof bool, r io.Reader) (etag string, size int64, err error) {
	if pre == nil && !eof {
		if pre, _, r, eof, err = s.fill(r, s.streamLimit); err != nil {
			return "", 0, err
		}
	}
	if n := total(pre); eof && n <= s.streamLimit {
		defer s.release(pre...)
		in.Body, in.ContentLength = chunksReader(pre), aws.Int64(n)
		out, err := s.client.PutObject(ctx, in)
		if err != nil {
			return "", 0, err
		}
		return aws.ToString(out.ETag), n, nil
	}

	create := &s3.CreateMultipartUploadInput{}
	copyFields(create, in)
	if create.ChecksumAlgorithm == "" {
		create.ChecksumAlgorithm = s.checksum
	}
	created, err := s.client.CreateMultipartUpload(ctx, create)
	if err != nil {
		s.release(pre...)
		return "", 0, err
	}
	uploadID := created.UploadId

	pctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu    sync.Mutex
		parts []types.CompletedPart
		wg    sync.WaitGroup
		work  = make(chan job)
		// A slot is taken before a part buffer is filled and given back
		// when its upload is done: at most Concurrency buffers, reading
		// overlapping the other uploads.
		slots = make(chan struct{}, s.concurrency)
	)
	for range s.concurrency {
		wg.Go(func() {
			for j := range work {
				out, err := s.client.UploadPart(pctx, &s3.UploadPartInput{
					Bucket: in.Bucket, Key: in.Key, UploadId: uploadID, PartNumber: aws.Int32(j.num),
					Body: bytes.NewReader(j.c.bytes()), ContentLength: aws.Int64(int64(j.c.n)),
					ChecksumAlgorithm:    create.ChecksumAlgorithm,
					SSECustomerAlgorithm: in.SSECustomerAlgorithm, SSECustomerKey: in.SSECustomerKey, SSECustomerKeyMD5: in.SSECustomerKeyMD5,
					ExpectedBucketOwner: in.ExpectedBucketOwner, RequestPayer: in.RequestPayer,
				})
				s.release(j.c)
				<-slots
				if err != nil {
					cancel(err)
					continue
				}
				part := types.CompletedPart{PartNumber: aws.Int32(j.num)}
				copyFields(&part, out)
				mu.Lock()
				parts = append(parts, part)
				mu.Unlock()
			}
		})
	}
	acquire := func() bool {
		if pctx.Err() != nil {
			return false // a part failed: read no more of the body
		}
		select {
		case slots <- struct{}{}:
			return true
		case <-pctx.Done():
			return false
		}
	}
	var num int32
	send := func(c chunk) { // with a slot taken
		num++
		size += int64(c.n)
		work <- job{num, c} // a worker is free: there are as many as slots
	}
	for i, c := range pre {
		if !acquire() {
			s.release(pre[i:]...)
			break
		}
		send(c)
	}
	for !eof && acquire() {
		var c chunk
		if c, eof, err = s.readChunk(r); err != nil {
			<-slots
			cancel(err)
			break
		}
		if c.buf == nil {
			<-slots
			break
		}
		send(c)
	}
	close(work)
	wg.Wait()
	if err := context.Cause(pctx); err != nil {
		s.abort(ctx, aws.ToString(in.Key), aws.ToString(uploadID))
		return "", 0, err
	}
	slices.SortFunc(parts, func(a, b types.CompletedPart) int { return int(aws.ToInt32(a.PartNumber) - aws.ToInt32(b.PartNumber)) })
	complete := &s3.CompleteMultipartUploadInput{}
	copyFields(complete, in)
	complete.UploadId, complete.MultipartUpload = uploadID, &types.CompletedMultipartUpload{Parts: parts}
	out, err := s.client.CompleteMultipartUpload(ctx, complete)
	if err != nil {
		s.abort(ctx, aws.ToString(in.Key), aws.ToString(uploadID))
		return "", 0, err
	}
	return aws.ToString(out.ETag), size, nil
}

type job struct {
	num int32
	c   chunk
}

func total(cs []chunk) (n int64) {
	for _, c := range cs {
		n += int64(c.n)
	}
	return n
}

// copyFields sets every field of *dst that *src has under the same name
// and type and that is set in src (the SDK's inputs share most fields).
// Body and checksums of the whole object are never copied.
func copyFields(dst, src any) {
	d, sv := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	st := sv.Type()
	for i := range st.NumField() {
		f := st.Field(i)
		if !f.IsExported() || f.Name == "Body" || f.Name == "ContentLength" || f.Name == "ContentMD5" {
			continue
		}
		if src := sv.Field(i); !src.IsZero() {
			if df := d.FieldByName(f.Name); df.IsValid() && df.Type() == f.Type && df.CanSet() {
				df.Set(src)
			}
		}
	}
}

var errNoReplay = errors.New("storage: the body cannot be sent twice")
