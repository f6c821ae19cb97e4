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
// ahead, then the rest of the stream. It owns the parts from the call on.
// The upload is aborted, on a context that outlives ctx, if anything
// fails.
func (s *Storage) putStream(ctx context.Context, in *s3.PutObjectInput, b body) (etag string, size int64, err error) {
	create := &s3.CreateMultipartUploadInput{}
	copyFields(create, in)
	if create.ChecksumAlgorithm == "" {
		create.ChecksumAlgorithm = s.checksum
	}
	created, err := s.client.CreateMultipartUpload(ctx, create)
	if err != nil {
		b.mem.free(b.parts...)
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
		// A slot is taken before a part is filled and given back when its
		// upload is done: at most Concurrency parts, reading overlapping
		// the other uploads.
		slots = make(chan struct{}, s.opts.Transfer.Concurrency)
	)
	for range s.opts.Transfer.Concurrency {
		wg.Go(func() {
			for j := range work {
				out, err := s.client.UploadPart(pctx, &s3.UploadPartInput{
					Bucket: in.Bucket, Key: in.Key, UploadId: uploadID, PartNumber: aws.Int32(j.num),
					Body: newPartsReader(j.p), ContentLength: aws.Int64(j.p.n),
					ChecksumAlgorithm:    create.ChecksumAlgorithm,
					SSECustomerAlgorithm: in.SSECustomerAlgorithm, SSECustomerKey: in.SSECustomerKey, SSECustomerKeyMD5: in.SSECustomerKeyMD5,
					ExpectedBucketOwner: in.ExpectedBucketOwner, RequestPayer: in.RequestPayer,
				})
				b.mem.free(j.p)
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
	send := func(p part) { // with a slot taken
		if num == maxParts {
			b.mem.free(p)
			<-slots
			cancel(fmt.Errorf("storage: the stream needs more than %d parts (S3's limit): raise multipart_chunksize or buffer_memory", maxParts))
			return
		}
		num++
		size += p.n
		work <- job{num, p} // a worker is free: there are as many as slots
	}
	// The last part read ahead is filled on when the stream goes on.
	pending, cur := b.parts, part{}
	if n := len(pending); n > 0 && !b.sr.eof {
		pending, cur = pending[:n-1], pending[n-1]
	}
	for i, p := range pending {
		if !acquire() {
			b.mem.free(pending[i:]...)
			b.mem.free(cur)
			cur = part{}
			break
		}
		send(p)
	}
	for pctx.Err() == nil && acquire() {
		err := b.sr.fill(pctx, &cur, s.opts.Transfer.PartSize, MinPartSize)
		if err == errShort {
			err = nil // the budget is spent: send what is there (at least MinPartSize)
		}
		if err != nil || cur.n == 0 {
			<-slots
			b.mem.free(cur)
			cur = part{}
			if err != nil {
				cancel(err)
			}
			break
		}
		send(cur)
		cur = part{}
		if b.sr.eof {
			break
		}
	}
	b.mem.free(cur) // after a failed acquire
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

// maxParts is S3's limit on the parts of one upload.
const maxParts = 10000

type job struct {
	num int32
	p   part
}
