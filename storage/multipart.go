package storage

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Streams are uploaded here rather than by feature/s3/manager: the
// manager allocates fresh part buffers for every upload and copies the
// first part twice, which on a loopback server costs a third of the
// throughput. Here every byte is copied once, from the reader into a
// segment (buffer.go), and a part is sent from its segments as they are.
// Nothing goes to disk: a stream that must not overwrite claims its name
// before it starts (see Put) instead of keeping a copy to send again.

// putStream uploads a large stream in a multipart upload: the parts read
// ahead, then the rest of the stream, each with the checksum summed as it
// was read. Once the stream has ended, the content's SHA-256 is checked
// before the upload is completed. It owns the parts from the call on. The
// upload is aborted, on a context that outlives ctx, if anything fails.
func (w *write) putStream(ctx context.Context, in *s3.PutObjectInput, b body, info *Info) error {
	u, err := w.s.startUpload(ctx, in, b.mem, w.checks.alg)
	if err != nil {
		b.mem.free(b.parts...)
		return err
	}
	u.uploadParts(b)
	if b.content != nil && b.sr.eof && u.ctx.Err() == nil {
		w.sha256 = b.content.Sum(nil)
		if err := w.checks.verify(w.sha256); err != nil {
			u.cancel(err)
		}
	}
	out, err := u.finish(ctx)
	if err != nil {
		u.abort(ctx)
		return err
	}
	info.Size, info.ETag = u.size, aws.ToString(out.ETag)
	return w.confirm(ctx, info, out, u.alg, u.full)
}

// multipartUpload is one multipart upload of a stream, a lifecycle in
// named steps (as tusd's s3store: NewUpload, uploadParts, FinishUpload):
// startUpload creates it and starts Concurrency workers; uploadParts
// hands the parts to them, one send each; finish waits for the workers
// and completes the upload with its parts in order; abort removes it.
type multipartUpload struct {
	s   *Storage
	in  *s3.PutObjectInput // the object's fields
	id  *string            // the UploadId
	alg algorithm          // of the part checksums
	// full is the FULL_OBJECT checksum sent at completion: the part
	// CRCs combined.
	full string

	// ctx is cancelled, with the failure as its cause, by the first
	// failed part; no more of the body is read then.
	ctx    context.Context
	cancel context.CancelCauseFunc
	mem    *allowance // the parts' memory goes back to it once sent
	work   chan job
	// A slot is taken before a part is filled and given back when its
	// upload is done: at most Concurrency parts, reading overlapping the
	// other uploads. There are as many workers as slots.
	slots chan struct{}
	wg    sync.WaitGroup

	num  int32 // parts sent
	size int64 // bytes sent

	mu    sync.Mutex
	parts []sentPart // as the workers finish them
}

// sentPart is a part S3 has, and its checksum.
type sentPart struct {
	types.CompletedPart
	sum sum
}

// startUpload creates the multipart upload of in, with part checksums of
// alg (a FULL_OBJECT checksum for a CRC, COMPOSITE for SHA1 and SHA256),
// and starts its workers.
func (s *Storage) startUpload(ctx context.Context, in *s3.PutObjectInput, mem *allowance, alg algorithm) (*multipartUpload, error) {
	create := &s3.CreateMultipartUploadInput{}
	copyFields(create, in)
	create.ChecksumAlgorithm, create.ChecksumType = alg.sdk(), alg.multipartType()
	out, err := s.client.CreateMultipartUpload(ctx, create)
	if err != nil {
		return nil, err
	}
	n := s.opts.Transfer.Concurrency
	u := &multipartUpload{s: s, in: in, id: out.UploadId, alg: alg,
		mem: mem, work: make(chan job), slots: make(chan struct{}, n)}
	u.ctx, u.cancel = context.WithCancelCause(ctx)
	for range n {
		u.wg.Go(u.worker)
	}
	return u, nil
}

// uploadParts sends the parts read ahead, then the rest of the stream
// part by part, until the stream ends or the upload fails. The last part
// read ahead is filled on when the stream goes on.
func (u *multipartUpload) uploadParts(b body) {
	pending, cur := b.parts, part{}
	if n := len(pending); n > 0 && !b.sr.eof {
		pending, cur = pending[:n-1], pending[n-1]
	}
	for i, p := range pending {
		if !u.acquire() {
			u.mem.free(pending[i:]...)
			u.mem.free(cur)
			return
		}
		u.send(p)
	}
	for !b.sr.eof && u.acquire() {
		err := b.sr.fill(u.ctx, &cur, u.s.opts.Transfer.PartSize, MinPartSize)
		if err == errShort {
			err = nil // the budget is spent: send what is there (at least MinPartSize)
		}
		if err != nil || cur.n == 0 {
			u.release()
			if err != nil {
				u.cancel(err)
			}
			break
		}
		u.send(cur)
		cur = part{}
	}
	u.mem.free(cur) // what a failed acquire or fill left
}

// acquire takes a slot for the next part; false once the upload failed.
func (u *multipartUpload) acquire() bool {
	if u.ctx.Err() != nil {
		return false // a part failed: read no more of the body
	}
	select {
	case u.slots <- struct{}{}:
		return true
	case <-u.ctx.Done():
		return false
	}
}

func (u *multipartUpload) release() { <-u.slots }

// send hands p, with a slot taken, to a worker (one is free: there are
// as many as slots).
func (u *multipartUpload) send(p part) {
	if u.num == MaxParts {
		u.mem.free(p)
		u.release()
		u.cancel(fmt.Errorf("storage: the stream needs more than %d parts (S3's limit): raise multipart_chunksize or buffer_memory", MaxParts))
		return
	}
	u.num++
	u.size += p.n
	u.work <- job{u.num, p}
}

// worker uploads parts until uploadParts is done, giving back each
// part's memory and slot; a failed part cancels the upload.
func (u *multipartUpload) worker() {
	for j := range u.work {
		err := u.uploadPart(j)
		u.mem.free(j.p)
		u.release()
		if err != nil {
			u.cancel(err)
		}
	}
}

// uploadPart sends one part with the checksum summed as it was read.
func (u *multipartUpload) uploadPart(j job) error {
	in := u.in
	part := &s3.UploadPartInput{
		Bucket: in.Bucket, Key: in.Key, UploadId: u.id, PartNumber: aws.Int32(j.num),
		Body: newPartsReader(j.p), ContentLength: aws.Int64(j.p.n),
		SSECustomerAlgorithm: in.SSECustomerAlgorithm, SSECustomerKey: in.SSECustomerKey, SSECustomerKeyMD5: in.SSECustomerKeyMD5,
		ExpectedBucketOwner: in.ExpectedBucketOwner, RequestPayer: in.RequestPayer,
	}
	setChecksum(part, u.alg, j.p.sum.value())
	out, err := u.s.client.UploadPart(u.ctx, part, sendOptions(u.alg, partPayload(j.p.sum))...)
	if err != nil {
		return err
	}
	done := sentPart{CompletedPart: types.CompletedPart{PartNumber: aws.Int32(j.num)}, sum: j.p.sum}
	copyFields(&done.CompletedPart, out)
	setChecksum(&done.CompletedPart, u.alg, j.p.sum.value())
	u.mu.Lock()
	u.parts = append(u.parts, done)
	u.mu.Unlock()
	return nil
}

// partPayload is the SigV4 payload hash of a part when its checksum is
// already one: SHA256.
func partPayload(s sum) []byte {
	if s.alg == algSHA256 {
		return s.digest()
	}
	return nil
}

// finish waits for the workers and, when every part was sent, completes
// the upload on ctx with its parts in order and, for a CRC, the
// FULL_OBJECT checksum of the whole object and its size, which S3
// checks against what it assembled.
func (u *multipartUpload) finish(ctx context.Context) (*s3.CompleteMultipartUploadOutput, error) {
	close(u.work)
	u.wg.Wait()
	err := context.Cause(u.ctx)
	u.cancel(nil)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(u.parts, func(a, b sentPart) int { return int(aws.ToInt32(a.PartNumber) - aws.ToInt32(b.PartNumber)) })
	complete := &s3.CompleteMultipartUploadInput{}
	copyFields(complete, u.in)
	parts := make([]types.CompletedPart, len(u.parts))
	sums := make([]sum, len(u.parts))
	for i, p := range u.parts {
		parts[i], sums[i] = p.CompletedPart, p.sum
	}
	complete.UploadId, complete.MultipartUpload = u.id, &types.CompletedMultipartUpload{Parts: parts}
	u.full = completeChecksum(complete, u.alg, sums, u.size)
	return u.s.client.CompleteMultipartUpload(ctx, complete)
}

// completeChecksum sets the checksum type of a completion and, for a CRC,
// the FULL_OBJECT checksum (the part CRCs combined, in order) and the
// object's size; it returns the checksum set.
func completeChecksum(in *s3.CompleteMultipartUploadInput, alg algorithm, sums []sum, size int64) string {
	in.ChecksumType = alg.multipartType()
	if !alg.crc() {
		return ""
	}
	full := newSum(alg)
	for _, s := range sums {
		full = full.then(s)
	}
	setChecksum(in, alg, full.value())
	in.MpuObjectSize = aws.Int64(size)
	return full.value()
}

// abort aborts the upload on a context that outlives ctx.
func (u *multipartUpload) abort(ctx context.Context) {
	u.s.abort(ctx, aws.ToString(u.in.Key), aws.ToString(u.id))
}

type job struct {
	num int32
	p   part
}
