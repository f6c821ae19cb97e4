package storage

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

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

	// The checksum S3 keeps for the object and confirmed: after Put, the
	// one S3 answered the write with (and verified against the bytes it
	// received); after Stat and Open, the one S3 answers a HEAD or GET
	// with x-amz-checksum-mode ENABLED. It covers the stored bytes, so
	// the compressed ones of a gzip object. Empty when S3 gave none.
	ChecksumAlgorithm string // CRC64NVME, CRC32, CRC32C, SHA1 or SHA256
	Checksum          string // base64, as S3 gives it; "...-N" for a COMPOSITE checksum of N parts
	ChecksumType      string // FULL_OBJECT (of the whole object) or COMPOSITE (of the part checksums); from the "-N" when S3 does not say

	// SHA256 is the SHA-256 of the content, in hex as sha256sum prints it:
	// of the bytes given to Put, before any compression. Set by Put only,
	// when SaveOptions.SHA256 or ExpectSHA256 asked for it.
	SHA256 string
}

// utcSecond is an S3 time as Info gives it: UTC, to the second.
func utcSecond(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}

// Stat describes the object called name with a HEAD request.
func (s *Storage) Stat(ctx context.Context, name string) (Info, error) {
	clean, key, err := s.objectKey("stat", name)
	if err != nil {
		return Info{}, err
	}
	out, err := s.client.HeadObject(ctx, s.headInput(key, &s.opts.ObjectParameters))
	if err != nil {
		return Info{}, opError("stat", key, err)
	}
	return infoOf(clean, key, out), nil
}

// infoOf describes an object from the headers S3 answered with.
func infoOf(clean, key string, h *s3.HeadObjectOutput) Info {
	info := Info{
		Name: clean, Key: key, Size: aws.ToInt64(h.ContentLength), ModTime: utcSecond(h.LastModified),
		ContentType: aws.ToString(h.ContentType), ContentEncoding: aws.ToString(h.ContentEncoding),
		ContentDisposition: aws.ToString(h.ContentDisposition), CacheControl: aws.ToString(h.CacheControl),
		ETag: aws.ToString(h.ETag), Metadata: userMetadata(h.Metadata),
	}
	info.confirm(h, algNone, "")
	return info
}

// Exists reports whether an object is stored under name. A missing object
// is (false, nil); any other failure, a 403 included, is an error, never
// a silent false.
func (s *Storage) Exists(ctx context.Context, name string) (bool, error) {
	_, err := s.Stat(ctx, name)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, ErrNotExist) {
		return false, nil
	}
	return false, err
}

// Size returns the stored size of name in bytes.
func (s *Storage) Size(ctx context.Context, name string) (int64, error) {
	info, err := s.Stat(ctx, name)
	return info.Size, err
}

// ModifiedTime returns the last modification time of name, in UTC.
func (s *Storage) ModifiedTime(ctx context.Context, name string) (time.Time, error) {
	info, err := s.Stat(ctx, name)
	return info.ModTime, err
}

// Delete removes name. Deleting a missing object is not an error.
func (s *Storage) Delete(ctx context.Context, name string) error {
	_, key, err := s.objectKey("delete", name)
	if err != nil {
		return err
	}
	_, err = s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.opts.BucketName), Key: aws.String(key)})
	if err != nil && !isKind(err, ErrNotExist) {
		return opError("delete", key, err)
	}
	return nil
}
