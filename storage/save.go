package storage

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Conflict says what Save does when the name is already taken.
type Conflict uint8

// The conflict policies.
const (
	// ConflictDefault follows the storage's FileOverwrite: overwrite
	// when true, rename when false.
	ConflictDefault Conflict = iota
	// ConflictOverwrite replaces the existing object.
	ConflictOverwrite
	// ConflictRename stores under a new name: "_" and 7 random characters
	// of [A-Za-z0-9] before the extension.
	ConflictRename
	// ConflictFail returns an error that is ErrExist.
	ConflictFail
)

// SaveOptions adjusts one Save. A nil *SaveOptions is the zero value.
type SaveOptions struct {
	// Params are written on the object; each set field overrides the
	// storage's ObjectParameters and its ObjectParametersFunc. A set
	// ContentType skips detection.
	Params ObjectParameters

	// Conflict is the policy when the name is taken. Default: the
	// storage's FileOverwrite.
	Conflict Conflict

	// MaxLength, when positive, bounds the final name to that many
	// characters, like the max_length of Django's get_available_name:
	// the root of the name is cut to make room for the suffix.
	MaxLength int
}

// Info describes a stored object.
type Info struct {
	Name               string    // the name, relative to the location
	Key                string    // the S3 key
	Size               int64     // bytes stored (compressed size for gzip content)
	ModTime            time.Time // last modification, UTC; zero after Save
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	CacheControl       string
	ETag               string // as S3 returns it, quoted
	Metadata           map[string]string
}

// Save stores the bytes of r under name and returns the final name,
// relative to the location: name itself, or a new one when FileOverwrite
// is false and the name was taken. See Put, which Save calls.
func (s *Storage) Save(ctx context.Context, name string, r io.Reader, opts *SaveOptions) (string, error) {
	info, err := s.Put(ctx, name, r, opts)
	return info.Name, err
}

// Put stores the bytes of r under name and describes what it stored.
//
// The content type is decided before the first byte reaches S3: an
// explicit Params.ContentType, else DetectContentType on the name and the
// first bytes. Content whose type is in GzipContentTypes is compressed
// while streaming when Gzip is on and no ContentEncoding is set.
//
// Memory is bounded whatever the size of r: a body up to
// Transfer.Threshold goes in one PutObject (from memory, or from r
// directly when r is an io.ReaderAt and io.Seeker such as *os.File or a
// spool); a larger one goes in a multipart upload holding at most about
// PartSize × Concurrency bytes. Nothing is written to disk.
//
// When the name must not be overwritten the write is a conditional create
// (If-None-Match: *); if another writer wins (412), Put picks a new name
// and sends the body again: from memory, or by re-reading a seekable r. A
// stream larger than the threshold cannot be sent twice, so it claims its
// name first, as Django's FileSystemStorage does with O_EXCL: a small
// placeholder created with If-None-Match: * (a new name on 412, nothing
// sent yet), then replaced with If-Match on the placeholder's ETag. While
// it uploads, the name shows a one-line text/plain placeholder ("s3kit:
// upload in progress ..."); should a writer that overwrites replace it
// meanwhile, Put fails with ErrExist rather than overwrite that writer.
//
// If ctx is cancelled or S3 fails, nothing is left: no object (a claim is
// deleted, if it is still the claim), no open multipart upload (aborted on
// a context that outlives ctx).
func (s *Storage) Put(ctx context.Context, name string, r io.Reader, opts *SaveOptions) (Info, error) {
	if opts == nil {
		opts = &SaveOptions{}
	}
	clean, key, err := s.objectKey("save", name)
	if err != nil {
		return Info{}, err
	}
	policy := opts.Conflict
	if policy == ConflictDefault {
		policy = ConflictRename
		if s.overwrite {
			policy = ConflictOverwrite
		}
	}
	base := clean // what alternative names derive from
	if opts.MaxLength > 0 && utf8.RuneCountInString(clean) > opts.MaxLength {
		if policy == ConflictRename {
			clean, err = s.alternativeName(base, opts.MaxLength)
		} else {
			dir, file := splitDir(clean)
			root, ext := splitExt(file)
			clean, err = s.fitName(dir, root, ext, opts.MaxLength)
		}
		if err != nil {
			return Info{}, opError("save", key, err)
		}
		key = s.key(clean)
	}

	src, err := s.newSource(r)
	if err != nil {
		return Info{}, opError("save", key, err)
	}
	defer src.close()

	params, err := s.objectParams(clean, key, src.head, opts.Params)
	if err != nil {
		return Info{}, opError("save", key, err)
	}
	compress := s.gzip && params.ContentEncoding == "" && s.gzipTypes[mediaType(params.ContentType)]
	if compress {
		params.ContentEncoding = "gzip"
	}
	taken := func(err error) (Info, error) {
		return Info{}, &Error{Op: "save", Key: key, Err: err, kind: ErrExist}
	}

	// unconditional is set after a 501 to a conditional write: the same
	// name is tried once more checked-then-written, and only if that
	// works is the server taken to lack conditional writes (a 501 may be
	// about another header: tagging, object lock, a proxy).
	unconditional := false
	for attempt := 0; attempt < maxNameAttempts; attempt++ {
		if attempt > 0 {
			if clean, err = s.alternativeName(base, opts.MaxLength); err != nil {
				return Info{}, opError("save", key, err)
			}
			key = s.key(clean)
		}
		var w precondition
		cond := policy != ConflictOverwrite && s.conditional.Load() && !unconditional
		claim := cond && src.ra == nil && src.large(s.threshold)
		if policy != ConflictOverwrite && (!cond || !claim && src.large(s.threshold)) {
			// Without conditional writes this check is all there is; with
			// them it saves sending a large body to a name that is taken.
			ok, err := s.Exists(ctx, clean)
			if err != nil {
				return Info{}, err
			}
			if ok {
				if policy == ConflictFail {
					return taken(nil)
				}
				continue
			}
		}
		switch {
		case claim:
			etag, err := s.claim(ctx, key, &params)
			switch {
			case err == nil:
				w.ifMatch = etag
			case isKind(err, errPrecondition) || isKind(err, errConditionalBusy):
				if policy == ConflictFail {
					return taken(err)
				}
				continue
			case isKind(err, errNotImplemented):
				unconditional = true
				attempt-- // the same name again, checked this time
				continue
			default:
				return Info{}, opError("save", key, err)
			}
		case cond:
			w.ifNoneMatch = true
		}
		b, err := src.open()
		if err != nil {
			return Info{}, opError("save", key, err)
		}
		info, err := s.upload(ctx, key, b, &params, w, compress)
		if err != nil && claim {
			s.unclaim(ctx, key, w.ifMatch, &params)
		}
		switch {
		case err == nil:
			if unconditional && s.conditional.Load() {
				s.noConditionalWrites(ctx) // the write without the header worked
			}
			info.Name = clean
			return info, nil
		case claim && isKind(err, errPrecondition):
			return taken(fmt.Errorf("another writer replaced the claim on the name during the upload: %w", err))
		case cond && !claim && (isKind(err, errPrecondition) || isKind(err, errConditionalBusy)):
			s.log.DebugContext(ctx, "storage: name taken, renaming", "key", key)
			if policy == ConflictFail {
				return taken(err)
			}
		case cond && !claim && isKind(err, errNotImplemented):
			unconditional = true
			attempt-- // the same name again, checked this time
		default:
			return Info{}, opError("save", key, err)
		}
	}
	return Info{}, opError("save", key, fmt.Errorf("no free name after %d attempts", maxNameAttempts))
}

// precondition is the condition one write carries.
type precondition struct {
	ifNoneMatch bool   // create only
	ifMatch     string // replace only this ETag (a claim)
}

func (s *Storage) noConditionalWrites(ctx context.Context) {
	s.log.WarnContext(ctx, "storage: the server refuses conditional writes (If-None-Match); falling back to check-then-write, which concurrent writers can race", "bucket", s.bucket)
	s.conditional.Store(false)
}

// claim creates the small placeholder that reserves key for a stream,
// with the parameters of the object to come (so that a bucket policy
// requiring, say, encryption accepts it), but a text body of its own, no
// encoding or disposition, and Cache-Control no-store, so that nothing
// caches it. The body carries 128 random bits, so that the claim's ETag
// is its own: an empty file another writer stores meanwhile is not
// mistaken for it. It returns the claim's ETag.
func (s *Storage) claim(ctx context.Context, key string, p *ObjectParameters) (string, error) {
	var nonce [16]byte
	rand.Read(nonce[:])
	body := []byte("s3kit: upload in progress " + hex.EncodeToString(nonce[:]) + "\n")
	in := p.putInput(s.bucket, key)
	in.Body, in.ContentLength = bytes.NewReader(body), aws.Int64(int64(len(body)))
	in.ContentType, in.ContentEncoding, in.ContentDisposition = aws.String("text/plain; charset=utf-8"), nil, nil
	in.CacheControl = aws.String("no-store")
	in.IfNoneMatch = aws.String("*")
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// unclaim deletes a claim that was not replaced, on a context that
// outlives ctx. It checks the ETag first and sends If-Match too, so that
// the object of a writer that replaced the claim is never deleted, even
// on a server that ignores If-Match on DELETE.
func (s *Storage) unclaim(ctx context.Context, key, etag string, p *ObjectParameters) {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	head, err := s.client.HeadObject(cctx, &s3.HeadObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key),
		SSECustomerAlgorithm: str0(p.SSECustomerAlgorithm), SSECustomerKey: str0(p.SSECustomerKey), SSECustomerKeyMD5: str0(p.SSECustomerKeyMD5),
	})
	switch {
	case isKind(err, ErrNotExist):
		return // gone
	case err == nil && aws.ToString(head.ETag) != etag:
		return // no longer the claim
	}
	// The claim, or a HEAD that failed: If-Match guards the delete.
	_, err = s.client.DeleteObject(cctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), IfMatch: aws.String(etag)})
	if err != nil && !isKind(err, errPrecondition) && !isKind(err, ErrNotExist) {
		s.log.WarnContext(ctx, "storage: could not delete the claim of a failed upload; the placeholder stays", "key", key, "err", err)
	}
}

func splitDir(name string) (dir, file string) {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i+1], name[i+1:]
	}
	return "", name
}

// objectParams merges the storage's parameters, the hook's and the
// call's, then fills in the detected content type and encoding and the
// default ACL.
func (s *Storage) objectParams(name, key string, head []byte, call ObjectParameters) (ObjectParameters, error) {
	p := s.params
	detected, encoding := "", ""
	if call.ContentType == "" {
		detected, encoding = DetectContentType(name, head)
	}
	if s.paramsFunc != nil {
		ct := call.ContentType
		if ct == "" {
			ct = detected
		}
		h, err := s.paramsFunc(name, key, ct)
		if err != nil {
			return p, err
		}
		p = overlay(p, h)
	}
	p = overlay(p, call)
	if p.ContentType == "" {
		p.ContentType = detected
		if p.ContentEncoding == "" {
			p.ContentEncoding = encoding
		}
	}
	if p.ACL == "" {
		p.ACL = s.opts.DefaultACL
	}
	if err := validACL(p.ACL); err != nil {
		return p, err
	}
	return p, nil
}

// putInput maps parameters to a PutObjectInput. The manager copies the
// fields that CreateMultipartUpload and CompleteMultipartUpload share.
func (p *ObjectParameters) putInput(bucket, key string) *s3.PutObjectInput {
	in := &s3.PutObjectInput{
		Bucket:                    aws.String(bucket),
		Key:                       aws.String(key),
		ACL:                       types.ObjectCannedACL(p.ACL),
		CacheControl:              str0(p.CacheControl),
		ContentDisposition:        str0(p.ContentDisposition),
		ContentEncoding:           str0(p.ContentEncoding),
		ContentLanguage:           str0(p.ContentLanguage),
		ContentType:               str0(p.ContentType),
		Metadata:                  p.Metadata,
		StorageClass:              types.StorageClass(p.StorageClass),
		ServerSideEncryption:      types.ServerSideEncryption(p.ServerSideEncryption),
		SSEKMSKeyId:               str0(p.SSEKMSKeyId),
		SSEKMSEncryptionContext:   str0(p.SSEKMSEncryptionContext),
		BucketKeyEnabled:          p.BucketKeyEnabled,
		SSECustomerAlgorithm:      str0(p.SSECustomerAlgorithm),
		SSECustomerKey:            str0(p.SSECustomerKey),
		SSECustomerKeyMD5:         str0(p.SSECustomerKeyMD5),
		Tagging:                   str0(p.Tagging),
		WebsiteRedirectLocation:   str0(p.WebsiteRedirectLocation),
		ObjectLockMode:            types.ObjectLockMode(p.ObjectLockMode),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatus(p.ObjectLockLegalHoldStatus),
		ChecksumAlgorithm:         types.ChecksumAlgorithm(p.ChecksumAlgorithm),
		GrantFullControl:          str0(p.GrantFullControl),
		GrantRead:                 str0(p.GrantRead),
		GrantReadACP:              str0(p.GrantReadACP),
		GrantWriteACP:             str0(p.GrantWriteACP),
		RequestPayer:              types.RequestPayer(p.RequestPayer),
		ExpectedBucketOwner:       str0(p.ExpectedBucketOwner),
	}
	if !p.Expires.IsZero() {
		in.Expires = aws.Time(p.Expires)
	}
	if !p.ObjectLockRetainUntilDate.IsZero() {
		in.ObjectLockRetainUntilDate = aws.Time(p.ObjectLockRetainUntilDate)
	}
	return in
}

func str0(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// upload sends one attempt: a PutObject when the body is known to fit the
// threshold, the manager's concurrent ReadAt parts for a large seekable
// body, and putStream for the rest.
func (s *Storage) upload(ctx context.Context, key string, b body, p *ObjectParameters, w precondition, compress bool) (Info, error) {
	in := p.putInput(s.bucket, key)
	if w.ifNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if w.ifMatch != "" {
		in.IfMatch = aws.String(w.ifMatch)
	}
	info := Info{
		Key: key, ContentType: p.ContentType, ContentEncoding: p.ContentEncoding,
		ContentDisposition: p.ContentDisposition, CacheControl: p.CacheControl, Metadata: p.Metadata,
	}
	if compress {
		if b.size >= 0 && b.size <= s.threshold {
			buf, err := gzipBytes(b.reader(), b.size)
			if err != nil {
				return info, err
			}
			b = body{r: bytes.NewReader(buf), size: int64(len(buf))}
		} else {
			defer s.release(b.chunks...) // after the pipe has stopped reading them
			zr := newGzipPipe(b.reader())
			defer zr.stop()
			b = body{rest: zr, size: -1}
		}
	}
	var err error
	switch {
	case b.size >= 0 && b.size <= s.threshold:
		in.Body, in.ContentLength = b.reader(), aws.Int64(b.size)
		var out *s3.PutObjectOutput
		if out, err = s.client.PutObject(ctx, in); err == nil {
			info.Size, info.ETag = b.size, aws.ToString(out.ETag)
		}
	case b.r != nil:
		in.Body = b.r // an io.ReaderAt: the manager reads parts concurrently
		var out *manager.UploadOutput
		if out, err = s.uploader.Upload(ctx, in); err == nil {
			info.Size, info.ETag = b.size, aws.ToString(out.ETag)
		} else if failed := (manager.MultiUploadFailure)(nil); errors.As(err, &failed) && failed.UploadID() != "" {
			// The manager aborts on ctx, which fails once ctx is cancelled.
			s.abort(ctx, key, failed.UploadID())
		}
	default:
		info.ETag, info.Size, err = s.putStream(ctx, in, b.chunks, b.eof, b.rest)
	}
	return info, err
}

// abort aborts a multipart upload on a context that outlives ctx: the
// manager's own abort runs on ctx and fails once ctx is cancelled.
func (s *Storage) abort(ctx context.Context, key, uploadID string) {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	_, err := s.client.AbortMultipartUpload(cctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
	})
	if err != nil && !isNoSuchUpload(err) {
		s.log.WarnContext(ctx, "storage: abort multipart upload failed; the parts stay until a lifecycle rule removes them",
			"key", key, "upload_id", uploadID, "err", err)
	}
}

func isNoSuchUpload(err error) bool {
	var nsu *types.NoSuchUpload
	return errors.As(err, &nsu) || strings.Contains(err.Error(), "NoSuchUpload")
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// gzipBytes compresses a small body in memory. The gzip header carries no
// name and a zero mtime, so equal input gives equal output (and ETag).
func gzipBytes(r io.Reader, size int64) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(size/2) + 64)
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := io.Copy(zw, r); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gzipPipe compresses a body while the uploader reads it.
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

// source is the body of one Save, readable once more for every attempt
// after a lost race for the name, except a large stream.
type source struct {
	head []byte // the first bytes, for sniffing

	ra    io.ReaderAt // seekable input: from start, for size bytes
	start int64
	size  int64 // -1: a stream longer than the threshold

	chunks []chunk   // stream: the first parts, read ahead
	eof    bool      // stream: chunks hold all of it
	r      io.Reader // stream: the rest
	sent   int       // attempts so far
	s      *Storage
}

// body is what one attempt sends: r with a known size, or (a stream)
// the chunks read ahead and then rest.
type body struct {
	r      io.Reader
	size   int64
	chunks []chunk
	eof    bool
	rest   io.Reader
}

// reader returns the whole body as one reader.
func (b body) reader() io.Reader {
	if b.r != nil {
		return b.r
	}
	rs := make([]io.Reader, 0, len(b.chunks)+1)
	for _, c := range b.chunks {
		rs = append(rs, bytes.NewReader(c.bytes()))
	}
	if b.rest != nil && !b.eof {
		rs = append(rs, b.rest)
	}
	return io.MultiReader(rs...)
}

func (s *Storage) newSource(r io.Reader) (*source, error) {
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
				src := &source{ra: ra, start: start, size: end - start}
				src.head = make([]byte, min(src.size, sniffLen))
				if _, err := ra.ReadAt(src.head, start); err != nil && err != io.EOF {
					return nil, err
				}
				return src, nil
			}
		}
		// Not really seekable (a pipe, a terminal): read it as a stream.
	}
	chunks, n, rest, eof, err := s.fill(r, s.streamLimit)
	if err != nil {
		return nil, err
	}
	src := &source{chunks: chunks, eof: eof, r: rest, size: -1, s: s}
	if len(chunks) > 0 {
		src.head = chunks[0].bytes()[:min(chunks[0].n, sniffLen)]
	}
	if eof && n <= s.streamLimit {
		src.size = n
	}
	return src, nil
}

// large reports whether the body goes in a multipart upload.
func (src *source) large(threshold int64) bool {
	return src.size < 0 || src.size > threshold
}

// open returns the body for the next attempt.
func (src *source) open() (body, error) {
	attempt := src.sent
	src.sent++
	switch {
	case src.ra != nil:
		return body{r: io.NewSectionReader(src.ra, src.start, src.size), size: src.size}, nil
	case src.size >= 0:
		// Small: all in memory, readable any number of times.
		return body{r: chunksReader(src.chunks), size: src.size}, nil
	case attempt == 0:
		// The stream's chunks now belong to the upload.
		b := body{chunks: src.chunks, eof: src.eof, rest: src.r, size: -1}
		src.chunks = nil
		return b, nil
	}
	return body{}, errNoReplay
}

func (src *source) close() {
	if src.s != nil {
		src.s.release(src.chunks...)
		src.chunks = nil
	}
}
