package storage

// Cleanup after a failed or cancelled write: what runs on a context that
// outlives the caller's (retry, abort, delete-if-match, unclaim), so that
// nothing is left behind.

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// cleanupTimeout bounds cleanup calls (abort, delete) made after the
// caller's context is done.
const cleanupTimeout = 30 * time.Second

func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// retry calls fn until it succeeds, it fails with a refusal that asking
// again cannot change (ErrPermission), or inspectTries calls were made,
// sleeping a little longer between each; it returns fn's last error.
func retry(ctx context.Context, fn func() error) error {
	var err error
	for try := range inspectTries {
		if try > 0 && !sleep(ctx, time.Duration(try)*100*time.Millisecond) {
			break
		}
		if err = fn(); err == nil || isKind(err, ErrPermission) {
			break
		}
	}
	return err
}

// inspectTries bounds the HEAD requests of inspect (each retried by the
// SDK as well).
const inspectTries = 4

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// unclaim deletes a claim that was not replaced, on a context that
// outlives ctx (deleteMatching: the ETag checked first and sent as
// If-Match too, so that the object of a writer that replaced the claim is
// never deleted, even on a server that ignores If-Match on DELETE).
func (s *Storage) unclaim(ctx context.Context, key, etag string, p *ObjectParameters) {
	s.cleanup(ctx, "delete the claim of a failed upload; it stays", key, func(cctx context.Context) error {
		return s.deleteMatching(cctx, key, etag, p)
	})
}

// deleteIfMatch deletes key if its ETag is etag, on a context that
// outlives ctx: for an object this write has just seen to be its own.
func (s *Storage) deleteIfMatch(ctx context.Context, key, etag string) {
	s.cleanup(ctx, "delete an object of a failed upload; it stays", key, func(cctx context.Context) error {
		return s.deleteGuarded(cctx, key, etag)
	})
}

// deleteMatching deletes key if its ETag is still etag: a HEAD first (with
// the SSE-C key of p), as some servers ignore If-Match on DELETE, then the
// DELETE with If-Match. A key that is gone or holds another object is
// left as it is, and is not an error; a HEAD that fails is.
func (s *Storage) deleteMatching(ctx context.Context, key, etag string, p *ObjectParameters) error {
	head, err := s.client.HeadObject(ctx, s.headInput(key, p))
	switch {
	case isKind(err, ErrNotExist):
		return nil // gone
	case err != nil:
		return err
	case aws.ToString(head.ETag) != etag:
		return nil // replaced: not this object
	}
	return s.deleteGuarded(ctx, key, etag)
}

// deleteGuarded deletes key with If-Match: etag. A key replaced or gone
// is not an error: not ours to delete.
func (s *Storage) deleteGuarded(ctx context.Context, key, etag string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.opts.BucketName), Key: aws.String(key), IfMatch: aws.String(etag)})
	if isKind(err, errPrecondition) || isKind(err, ErrNotExist) {
		return nil
	}
	return err
}

// cleanup runs fn on a context that outlives ctx until it succeeds, a
// few times at most, and logs what could not be done.
func (s *Storage) cleanup(ctx context.Context, what, key string, fn func(context.Context) error) {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if err := retry(cctx, func() error { return fn(cctx) }); err != nil {
		s.opts.Logger.WarnContext(ctx, "storage: could not "+what, "key", key, "err", err)
	}
}

// abort aborts a multipart upload on a context that outlives ctx: the
// manager's own abort runs on ctx and fails once ctx is cancelled.
func (s *Storage) abort(ctx context.Context, key, uploadID string) {
	s.cleanup(ctx, "abort a multipart upload; its parts stay until a lifecycle rule removes them", key, func(cctx context.Context) error {
		_, err := s.client.AbortMultipartUpload(cctx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(s.opts.BucketName), Key: aws.String(key), UploadId: aws.String(uploadID),
		})
		if isKind(err, ErrNoUpload) {
			return nil // aborted already, or completed
		}
		return err
	})
}
