package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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

	// SHA256 makes Put compute the SHA-256 of the content (the bytes of
	// r, before any compression) in the pass that reads it, and return it
	// in Info.SHA256, whatever checksum S3 keeps.
	SHA256 bool

	// ExpectSHA256, when set, is the SHA-256 (32 bytes) the content must
	// have. Put computes the content's SHA-256 as it reads it and, when
	// it differs, stores nothing and fails with ErrDigestMismatch: a body
	// sent in one PutObject is then not sent at all, and a multipart
	// upload is aborted instead of completed. A body sent in one PutObject
	// without compression also carries it as its x-amz-checksum-sha256
	// (the object's checksum is then SHA256 rather than the storage's
	// algorithm), so that S3 checks the bytes it receives against it too.
	// It implies SHA256.
	ExpectSHA256 []byte
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
// Memory is bounded whatever the size of r. A seekable r (an io.ReaderAt
// and io.Seeker such as *os.File or a spool) is sent in place: in one
// PutObject up to Transfer.Threshold, else in concurrent ranged parts.
// Any other r is a stream, read into buffers that grow with the bytes
// read, within the Storage's BufferMemory: in one PutObject when it ends
// within the threshold, else in a multipart upload holding at most
// PartSize × Concurrency. A stream may wait for buffer memory; it honours
// ctx meanwhile. Nothing is written to disk.
//
// When the name must not be overwritten the write is a conditional create
// (If-None-Match: *); if another writer holds the name (412), Put picks a
// new name and sends the body again: from memory, or by re-reading a
// seekable r. A stream larger than the threshold cannot be sent twice, so
// it claims its name first, as Django's FileSystemStorage does with
// O_EXCL: a small placeholder created with If-None-Match: * (a new name on
// 412, nothing sent yet), then replaced with If-Match on the placeholder's
// ETag. While it uploads, the name shows a one-line text/plain
// placeholder ("s3kit: upload in progress ..."); should a writer that
// overwrites replace it meanwhile, Put fails with ErrExist rather than
// overwrite that writer.
//
// Every object Put writes carries a random write id in its metadata
// (x-amz-meta-s3kit-write-id, left out of Info.Metadata), so that when an
// answer is ambiguous — the SDK retried a write whose first answer was
// lost and the retry got 412 or NoSuchUpload, or every attempt failed —
// Put asks S3 what is at the key: its own object is success (or, when ctx
// is done, deleted), its own claim is deleted, and only another writer's
// object means the name is taken. A lost answer is never a second copy, a
// left claim or a false error.
//
// If ctx is cancelled or S3 fails, nothing is left: no object, no claim,
// no open multipart upload (aborted on a context that outlives ctx). One
// case cannot be cleaned: when the answer of a CreateMultipartUpload is
// lost, S3 holds an upload whose id nobody received; a lifecycle rule
// with AbortIncompleteMultipartUpload removes it (see the package doc).
func (s *Storage) Put(ctx context.Context, name string, r io.Reader, opts *SaveOptions) (Info, error) {
	if opts == nil {
		opts = &SaveOptions{}
	}
	w, err := s.newWrite(name, opts)
	if err != nil {
		return Info{}, err
	}
	in, err := openInput(r)
	if err != nil {
		return Info{}, opError("save", w.key, err)
	}
	if err := w.setParams(in.head, opts); err != nil {
		return Info{}, opError("save", w.key, err)
	}
	src, err := s.newSource(ctx, in, w.compress, &w.checks)
	if err != nil {
		return Info{}, opError("save", w.key, err)
	}
	defer src.close()
	return w.run(ctx, src)
}

// writeIDKey is the metadata key of the write id Put stores with every
// object (S3 sends it as x-amz-meta-s3kit-write-id).
const writeIDKey = "s3kit-write-id"

// write is one Put: what to write, the sequence of names it tries, and
// the state that spans its attempts.
type write struct {
	s        *Storage
	policy   Conflict // ConflictOverwrite, ConflictRename or ConflictFail
	base     string   // the cleaned name that alternatives derive from
	maxLen   int
	clean    string // the name being tried
	key      string // and its key
	params   ObjectParameters
	compress bool
	id       string // the write id, in the object's metadata
	checks   checks // the checksum and the SHA-256 of the content
	sha256   []byte // the content's SHA-256, once computed

	// unconditional is set after a 501 to a conditional write: the same
	// name is tried once more checked-then-written, and only if that
	// works is the server taken to lack conditional writes (a 501 may be
	// about another header: tagging, object lock, a proxy).
	unconditional bool
}

// newWrite resolves the name and the conflict policy; it sends nothing.
func (s *Storage) newWrite(name string, opts *SaveOptions) (*write, error) {
	clean, key, err := s.objectKey("save", name)
	if err != nil {
		return nil, err
	}
	w := &write{s: s, policy: s.conflictPolicy(opts.Conflict), base: clean, maxLen: opts.MaxLength, clean: clean, key: key}
	if clean, err = s.fitToLength(clean, w.policy, w.maxLen); err != nil {
		return nil, opError("save", key, err)
	}
	w.clean, w.key = clean, s.key(clean)
	var id [16]byte
	rand.Read(id[:])
	w.id = hex.EncodeToString(id[:])
	return w, nil
}

// setParams decides the object's parameters from the first bytes, and
// its checks.
func (w *write) setParams(head []byte, opts *SaveOptions) error {
	p, err := w.s.objectParams(w.clean, w.key, head, opts.Params)
	if err != nil {
		return err
	}
	w.compress = w.s.compresses(&p)
	if w.compress {
		p.ContentEncoding = "gzip"
	}
	if w.checks, err = w.s.newChecks(&p, opts, w.compress); err != nil {
		return err
	}
	md := make(map[string]string, len(p.Metadata)+1)
	for k, v := range p.Metadata {
		md[k] = v
	}
	md[writeIDKey] = w.id
	p.Metadata = md
	w.params = p
	return nil
}

// next is what a write does after an attempt.
type next uint8

const (
	finished next = iota // stored, or failed for good
	renamed              // the name is taken: try another
	again                // try the same name, checked-then-written
)

// run tries names until one is stored.
func (w *write) run(ctx context.Context, src *source) (Info, error) {
	for tries := 0; tries < maxNameAttempts; {
		info, then, err := w.attempt(ctx, src)
		switch then {
		case finished:
			if err != nil {
				return Info{}, opError("save", w.key, err)
			}
			if w.unconditional && w.s.conditional.Load() {
				w.s.noConditionalWrites(ctx) // the write without the header worked
			}
			info.Name = w.clean
			if w.checks.sha {
				info.SHA256 = hex.EncodeToString(w.sha256)
			}
			return info, nil
		case renamed:
			if w.policy == ConflictFail {
				return Info{}, &Error{Op: "save", Key: w.key, Err: err, kind: ErrExist}
			}
			w.s.opts.Logger.DebugContext(ctx, "storage: name taken, renaming", "key", w.key)
			clean, aerr := w.s.alternativeName(w.base, w.maxLen)
			if aerr != nil {
				return Info{}, opError("save", w.key, aerr)
			}
			w.clean, w.key = clean, w.s.key(clean)
			tries++
		case again:
			w.unconditional = true
		}
	}
	return Info{}, opError("save", w.key, fmt.Errorf("no free name after %d attempts", maxNameAttempts))
}

// attempt writes the body under the current name once.
func (w *write) attempt(ctx context.Context, src *source) (Info, next, error) {
	cond := w.policy != ConflictOverwrite && w.s.conditional.Load() && !w.unconditional
	claim := cond && src.large() // a stream that cannot be sent twice
	if w.policy != ConflictOverwrite && (!cond || !claim && src.ra != nil && src.size > w.s.opts.Transfer.Threshold) {
		// Without conditional writes this check is all there is; with
		// them it saves sending a large body to a name that is taken.
		ok, err := w.s.Exists(ctx, w.clean)
		switch {
		case err != nil:
			return Info{}, finished, err
		case ok:
			return Info{}, renamed, nil
		}
	}
	var pre precondition
	switch {
	case claim && src.sent > 0:
		return Info{}, finished, errNoReplay // never claim a name for a body already spent
	case claim:
		etag, then, err := w.claim(ctx)
		if then != finished || err != nil {
			return Info{}, then, err
		}
		pre.ifMatch = etag
	case cond:
		pre.ifNoneMatch = true
	}
	b, err := src.open()
	if err != nil {
		return Info{}, finished, err
	}
	info, err := w.upload(ctx, src, b, pre)
	if err == nil {
		return info, finished, nil
	}
	if isKind(err, ErrDigestMismatch) && pre.ifMatch == "" {
		return Info{}, finished, err // nothing sent, or an upload aborted
	}
	if cond && !claim && isKind(err, errNotImplemented) {
		return Info{}, again, nil
	}
	return w.settle(ctx, err, cond, pre.ifMatch)
}

// claim creates the placeholder that reserves the name for a stream. A
// claim refused with 412 may be this write's own, whose answer was lost
// and whose retry found it there: the write id tells.
func (w *write) claim(ctx context.Context) (string, next, error) {
	etag, err := w.s.claim(ctx, w.key, &w.params, w.checks.alg)
	if err == nil {
		return etag, finished, nil
	}
	if isKind(err, errNotImplemented) {
		return "", again, nil
	}
	refused := isKind(err, errPrecondition) || isKind(err, errConditionalBusy)
	found, state, herr := w.inspect(ctx, "")
	switch {
	case state == mine:
		return found.ETag, finished, nil // the claim is there: go on
	case herr != nil:
		return "", finished, err
	case state == foreign || refused:
		return "", renamed, err
	}
	return "", finished, err // nothing there: the claim did not land
}

// settle decides what a failed upload left behind. It runs on a context
// that outlives ctx, and may turn the failure into success.
func (w *write) settle(ctx context.Context, err error, cond bool, claimETag string) (Info, next, error) {
	refused := isKind(err, errPrecondition) || isKind(err, errConditionalBusy)
	found, state, herr := w.inspect(ctx, claimETag)
	switch {
	case herr != nil:
		if claimETag != "" {
			w.s.unclaim(ctx, w.key, claimETag, &w.params) // If-Match guarded
		}
		return Info{}, finished, err
	case state == mine && ctx.Err() == nil:
		// The write landed; its answer was lost, or a retry was refused
		// because of the write itself.
		w.s.opts.Logger.DebugContext(ctx, "storage: the write landed although its answer was an error", "key", w.key, "err", err)
		return found, finished, nil
	case state == mine:
		w.s.deleteIfMatch(ctx, w.key, found.ETag) // the caller is gone
		return Info{}, finished, err
	case state == myClaim:
		w.s.unclaim(ctx, w.key, claimETag, &w.params)
		return Info{}, finished, err
	case claimETag != "" && (state == foreign || cond && refused):
		// The claim was replaced or removed while the stream uploaded; the
		// stream is spent, so there is no renaming it.
		return Info{}, finished, &Error{Op: "save", Key: w.key, kind: ErrExist,
			Err: fmt.Errorf("the claim on the name was replaced or removed during the upload: %w", err)}
	case cond && refused:
		return Info{}, renamed, err // taken by another writer (or gone again)
	}
	return Info{}, finished, err
}

// owner is who holds a key.
type owner uint8

const (
	absent  owner = iota // no object
	mine                 // this write's object
	myClaim              // this write's claim, not replaced
	foreign              // another writer's object
)

// inspect asks S3 what is at the write's key, on a context that outlives
// ctx, retrying a few times when S3 cannot say. claimETag, when set, is
// the ETag of this write's claim.
func (w *write) inspect(ctx context.Context, claimETag string) (Info, owner, error) {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	var out *s3.HeadObjectOutput
	err := retry(cctx, func() (err error) {
		out, err = w.s.client.HeadObject(cctx, w.s.headInput(w.key, &w.params))
		if isKind(err, ErrNotExist) {
			return nil // an answer: nothing there
		}
		return err
	})
	switch {
	case err != nil:
		return Info{}, absent, err
	case out == nil:
		return Info{}, absent, nil
	}
	info := infoOf(w.clean, w.key, out)
	switch {
	case out.Metadata[writeIDKey] != w.id:
		return info, foreign, nil
	case claimETag != "" && info.ETag == claimETag:
		return info, myClaim, nil
	}
	return info, mine, nil
}

// precondition is the condition one write carries.
type precondition struct {
	ifNoneMatch bool   // create only
	ifMatch     string // replace only this ETag (a claim)
}

func (s *Storage) noConditionalWrites(ctx context.Context) {
	s.opts.Logger.WarnContext(ctx, "storage: the server refuses conditional writes (If-None-Match); falling back to check-then-write, which concurrent writers can race", "bucket", s.opts.BucketName)
	s.conditional.Store(false)
}

// claim creates the small placeholder that reserves key for a stream,
// with the parameters of the object to come (so that a bucket policy
// requiring, say, encryption accepts it, and with its write id), but a
// text body of its own, no encoding or disposition, and Cache-Control
// no-store, so that nothing caches it. The body carries 128 random bits,
// so that the claim's ETag is its own: an empty file another writer
// stores meanwhile is not mistaken for it. It returns the claim's ETag.
func (s *Storage) claim(ctx context.Context, key string, p *ObjectParameters, alg algorithm) (string, error) {
	var nonce [16]byte
	rand.Read(nonce[:])
	body := []byte("s3kit: upload in progress " + hex.EncodeToString(nonce[:]) + "\n")
	in := p.putInput(s.opts.BucketName, key)
	in.Body, in.ContentLength = bytes.NewReader(body), aws.Int64(int64(len(body)))
	in.ContentType, in.ContentEncoding, in.ContentDisposition = aws.String("text/plain; charset=utf-8"), nil, nil
	in.CacheControl = aws.String("no-store")
	in.IfNoneMatch = aws.String("*")
	in.ChecksumAlgorithm = ""
	sum := newSum(alg)
	sum.write(body)
	setChecksum(in, alg, sum.value())
	out, err := s.client.PutObject(ctx, in, sendOptions(alg, nil)...)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// upload sends one attempt: a PutObject when the body is known to fit
// one (putObject), putSeekable for a large seekable body and putStream
// for a large stream (multipart.go, managed.go). Each sends the checksum
// computed in the pass that reads the body, and checks the content's
// SHA-256 before the object is committed.
func (w *write) upload(ctx context.Context, src *source, b body, pre precondition) (Info, error) {
	s, p := w.s, &w.params
	in := p.putInput(s.opts.BucketName, w.key)
	in.ChecksumAlgorithm = "" // the checksum is computed here (w.checks)
	if pre.ifNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if pre.ifMatch != "" {
		in.IfMatch = aws.String(pre.ifMatch)
	}
	info := Info{
		Key: w.key, ContentType: p.ContentType, ContentEncoding: p.ContentEncoding,
		ContentDisposition: p.ContentDisposition, CacheControl: p.CacheControl, Metadata: userMetadata(p.Metadata),
	}
	var err error
	switch t := s.opts.Transfer; {
	case b.r != nil && (b.size <= t.Threshold || b.ra != nil && b.size <= t.PartSize):
		// A seekable body of one part: the manager would send it in one
		// PutObject too.
		err = w.putObject(ctx, in, src, b, &info)
	case b.ra != nil:
		err = w.putSeekable(ctx, in, b, &info)
	default:
		err = w.putStream(ctx, in, b, &info)
	}
	return info, err
}

// putObject sends a body that fits one PutObject with its checksum. A
// content without the SHA-256 expected is not sent.
func (w *write) putObject(ctx context.Context, in *s3.PutObjectInput, src *source, b body, info *Info) error {
	sums, err := src.bodySums(ctx, &w.checks)
	if err != nil {
		return err
	}
	w.sha256 = sums.content
	if err := w.checks.verify(sums.content); err != nil {
		return err
	}
	alg, value := w.checks.single(sums)
	setChecksum(in, alg, value)
	in.Body, in.ContentLength = b.r, aws.Int64(b.size)
	out, err := w.s.client.PutObject(ctx, in, sendOptions(alg, w.checks.payload(sums))...)
	if err != nil {
		return err
	}
	info.Size, info.ETag = b.size, aws.ToString(out.ETag)
	return w.confirm(ctx, info, out, alg, value)
}

// confirm records the checksum S3 answered with; when it is not the one
// sent, S3 holds other bytes than those sent, and the object is deleted.
func (w *write) confirm(ctx context.Context, info *Info, out any, alg algorithm, sent string) error {
	if err := info.confirm(out, alg, sent); err != nil {
		w.s.deleteIfMatch(ctx, info.Key, info.ETag)
		return err
	}
	return nil
}
