package storage

// The manager's path: a large seekable body, uploaded by
// feature/s3/manager with concurrent ReadAt parts, through a client that
// adds the checksums.

import (
	"context"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// putSeekable uploads a large seekable body with feature/s3/manager,
// which reads its parts concurrently with ReadAt, copying nothing, through
// a managed client that sums each part before it is sent and completes
// the upload with the full-object checksum. The manager aborts a failed
// upload on ctx, which fails once ctx is cancelled: the upload is aborted
// again here, as a streamed one is. Sending such a body through
// multipartUpload instead, a section per part, measured level with the
// manager (bench/upload -what tm, 256 MiB spooled), so the manager keeps
// it.
func (w *write) putSeekable(ctx context.Context, in *s3.PutObjectInput, b body, info *Info) error {
	m := &managed{API: w.s.client, w: w, alg: w.checks.alg, sums: map[int32]sum{}, turn: newTurns()}
	if w.checks.sha {
		m.sha = sha256.New()
	}
	in.ChecksumAlgorithm = m.alg.sdk() // or the manager picks CRC32
	in.Body = b.r                      // an io.ReaderAt: the manager reads parts concurrently
	out, err := w.s.uploader.Upload(ctx, in, func(u *manager.Uploader) {
		u.S3 = m
		if m.alg == algNone {
			u.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		}
	})
	if err != nil {
		if failed := (manager.MultiUploadFailure)(nil); errors.As(err, &failed) && failed.UploadID() != "" {
			w.s.abort(ctx, w.key, failed.UploadID())
		}
		return err
	}
	w.sha256 = m.content
	info.Size, info.ETag = b.size, aws.ToString(out.ETag)
	return w.confirm(ctx, info, out, m.alg, m.full)
}

// managed is the client the manager uses for one Put. Before a part is
// sent it reads it once, summing it in the Put's algorithm and, when the
// Put computes the content's SHA-256, hashing it after the parts before
// it (the manager sends parts concurrently; their hashing takes turns).
// It creates the upload with its checksum type, and completes it with the
// part checksums, the FULL_OBJECT checksum (the part CRCs combined) and
// the size, after checking the content's SHA-256.
type managed struct {
	API
	w    *write
	alg  algorithm
	sha  hash.Hash // the content's SHA-256; nil unless asked
	turn *turns

	mu      sync.Mutex
	sums    map[int32]sum // by part number
	full    string        // the FULL_OBJECT checksum sent
	content []byte        // the content's SHA-256, at completion
}

func (m *managed) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	in.ChecksumAlgorithm, in.ChecksumType = m.alg.sdk(), m.alg.multipartType()
	return m.API.CreateMultipartUpload(ctx, in, optFns...)
}

func (m *managed) UploadPart(ctx context.Context, in *s3.UploadPartInput, optFns ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	num := aws.ToInt32(in.PartNumber)
	s, err := m.sumPart(ctx, num, in.Body)
	if err != nil {
		m.turn.fail(err)
		return nil, err
	}
	in.ChecksumAlgorithm = ""
	setChecksum(in, m.alg, s.value())
	out, err := m.API.UploadPart(ctx, in, append(optFns, sendOptions(m.alg, partPayload(s))...)...)
	if err != nil {
		m.turn.fail(err)
		return nil, err
	}
	m.mu.Lock()
	m.sums[num] = s
	m.mu.Unlock()
	return out, nil
}

// sumPart reads part num once and rewinds it: its sum, and its bytes
// into the content's SHA-256 in their turn.
func (m *managed) sumPart(ctx context.Context, num int32, body io.Reader) (sum, error) {
	rs, ok := body.(io.ReadSeeker)
	if !ok {
		return sum{}, errors.New("storage: the manager sent a part that cannot be read twice")
	}
	var s sum
	var err error
	if m.sha == nil {
		s, err = pass(ctx, rs, m.alg, nil)
	} else {
		if err = m.turn.wait(ctx, num); err != nil {
			return sum{}, err
		}
		s, err = pass(ctx, rs, m.alg, m.sha)
		if err == nil {
			m.turn.done(num)
		}
	}
	if err != nil {
		return sum{}, err
	}
	_, err = rs.Seek(0, io.SeekStart)
	return s, err
}

func (m *managed) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	if m.sha != nil {
		m.content = m.sha.Sum(nil)
		if err := m.w.checks.verify(m.content); err != nil {
			return nil, err
		}
	}
	m.mu.Lock()
	parts := in.MultipartUpload.Parts // in order: the manager sorts them
	sums := make([]sum, len(parts))
	var size int64
	for i := range parts {
		sums[i] = m.sums[aws.ToInt32(parts[i].PartNumber)]
		setChecksum(&parts[i], m.alg, sums[i].value())
		size += sums[i].n
	}
	m.mu.Unlock()
	m.full = completeChecksum(in, m.alg, sums, size)
	return m.API.CompleteMultipartUpload(ctx, in, optFns...)
}

// turns lets parts pass one after the other, in the order of their
// numbers (from 1), whatever the order they arrive in; a failure ends
// every wait.
type turns struct {
	mu    sync.Mutex
	next  int32
	moved chan struct{} // closed when next moves or a part fails
	err   error
}

func newTurns() *turns { return &turns{next: 1, moved: make(chan struct{})} }

// wait returns once it is part num's turn, or an error once a part failed
// or ctx is done.
func (t *turns) wait(ctx context.Context, num int32) error {
	for {
		t.mu.Lock()
		next, moved, err := t.next, t.moved, t.err
		t.mu.Unlock()
		switch {
		case err != nil:
			return err
		case next == num:
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// done gives the turn to the part after num.
func (t *turns) done(num int32) {
	t.mu.Lock()
	t.next = num + 1
	close(t.moved)
	t.moved = make(chan struct{})
	t.mu.Unlock()
}

// fail ends every wait with err.
func (t *turns) fail(err error) {
	t.mu.Lock()
	if t.err == nil {
		t.err = err
		close(t.moved)
		t.moved = make(chan struct{})
	}
	t.mu.Unlock()
}
