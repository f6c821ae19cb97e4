package s3local

import (
	"errors"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Store keeps the buckets, objects and multipart uploads of a Server: it is
// the seam between the S3 protocol, which the Server speaks, and where the
// bytes live. NewMemoryStore and NewDiskStore return the two stores of this
// package; Options.Store picks one.
//
// A Store is used by concurrent requests. A write is staged: its body goes
// into a Blob from NewBlob, outside any lock, then Put or PutPart make it
// visible at once. Readers see an object as it was before a write or after
// it, never a mix, and an open ObjectReader keeps reading the bytes it was
// opened on. Put runs PutOptions.Check under the same lock as the write, so
// that conditional writes are atomic.
//
// A missing bucket, object or upload is reported with an error that
// errors.Is matches to ErrNoSuchBucket, ErrNoSuchKey or ErrNoSuchUpload. The
// Server validates bucket names, keys, upload IDs and part numbers before
// calling a Store, and never modifies the values a Store returns.
type Store interface {
	// CreateBucket creates an empty bucket, or fails with ErrBucketExists.
	CreateBucket(b BucketInfo) error
	// Bucket describes a bucket.
	Bucket(name string) (BucketInfo, error)
	// DeleteBucket deletes a bucket that holds no object, with its open
	// uploads, or fails with ErrBucketNotEmpty.
	DeleteBucket(name string) error

	// NewBlob returns a Blob to stage the body of an object or a part of
	// bucket. size is the length the body is expected to have (a hint).
	NewBlob(bucket string, size int64) (Blob, error)
	// Put makes body the object info.Key of bucket, with info as its
	// description, replacing any object there. It takes body, whatever the
	// outcome.
	Put(bucket string, info ObjectInfo, body Blob, opts PutOptions) error
	// Open returns the description and the bytes of an object.
	Open(bucket, key string) (ObjectInfo, ObjectReader, error)
	// Delete deletes an object. A missing object is not an error.
	Delete(bucket, key string) error
	// List calls fn with each object of bucket whose key starts with
	// prefix and sorts after after, in UTF-8 binary order of keys, until
	// fn returns false. fn must not call the Store.
	List(bucket, prefix, after string, fn func(ObjectInfo) bool) error

	// CreateUpload records a new multipart upload; u.Parts is ignored.
	CreateUpload(bucket string, u UploadInfo) error
	// Upload describes an open upload, with its parts by part number.
	Upload(bucket, id string) (UploadInfo, error)
	// Uploads describes the open uploads of bucket, ordered by key, then
	// initiation time, then ID, with their parts.
	Uploads(bucket string) ([]UploadInfo, error)
	// PutPart makes body the part p.Number of an open upload, replacing
	// any part of that number. It takes body, whatever the outcome.
	PutPart(bucket, id string, p PartInfo, body Blob) error
	// OpenPart returns the description and the bytes of a part; a
	// missing part is ErrNoSuchKey.
	OpenPart(bucket, id string, number int) (PartInfo, ObjectReader, error)
	// AbortUpload deletes an open upload and its parts.
	AbortUpload(bucket, id string) error
}

// Errors a Store reports. An *Error whose Code is the matching S3 error code
// (NoSuchBucket, NoSuchKey, NoSuchUpload, BucketAlreadyOwnedByYou,
// BucketNotEmpty) matches them with errors.Is too.
var (
	// ErrNoSuchBucket reports a missing bucket.
	ErrNoSuchBucket = errors.New("s3local: no such bucket")
	// ErrNoSuchKey reports a missing object.
	ErrNoSuchKey = errors.New("s3local: no such key")
	// ErrNoSuchUpload reports a multipart upload that is not open.
	ErrNoSuchUpload = errors.New("s3local: no such upload")
	// ErrBucketExists reports that a bucket to create exists.
	ErrBucketExists = errors.New("s3local: bucket exists")
	// ErrBucketNotEmpty reports that a bucket to delete holds objects.
	ErrBucketNotEmpty = errors.New("s3local: bucket not empty")
	// ErrStoreInUse is returned by NewDiskStore when another process holds
	// the directory.
	ErrStoreInUse = errors.New("s3local: the directory is in use by another process")
)

// Blob is a body being staged by a Store. It is written once, from the
// first byte to the last, then given to Put or PutPart, which take it, or
// discarded.
type Blob interface {
	io.Writer
	// Discard frees the blob. It does nothing once Put or PutPart took
	// the blob, and may be called more than once.
	Discard()
}

// ObjectReader reads the bytes of an object or part as they were when it
// was opened, even when they are replaced or deleted meanwhile. Close it.
type ObjectReader interface {
	io.ReaderAt
	io.Closer
}

// PutOptions are the conditions of a Put.
type PutOptions struct {
	// Check, when not nil, is called under the Store's lock with the
	// object that Put would replace (nil when there is none). A non-nil
	// result aborts the Put and is returned as it is.
	Check func(current *ObjectInfo) error
	// UploadID, when not empty, names the multipart upload the object
	// completes: Put fails with ErrNoSuchUpload unless the upload is
	// open, and deletes it with its parts when the object is stored.
	UploadID string
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	// Name is the bucket name.
	Name string `json:"name"`
	// Created is when the bucket was created.
	Created time.Time `json:"created"`
	// Location is the LocationConstraint it was created with, or "".
	Location string `json:"location,omitempty"`
	// ACL is the canned ACL it was created with ("" is private).
	ACL string `json:"acl,omitempty"`
}

// Metadata is what a write stores about an object besides its bytes.
type Metadata struct {
	// Header holds the headers GetObject and HeadObject return besides
	// the standard ones: Content-Type, Content-Encoding,
	// Content-Disposition, Content-Language, Cache-Control, Expires,
	// x-amz-meta-* (lower-case keys, accessed directly in the map),
	// x-amz-storage-class (unless STANDARD), the website redirect and the
	// server-side encryption headers.
	Header http.Header `json:"header,omitempty"`
	// Tagging is the x-amz-tagging value the object was written with.
	Tagging string `json:"tagging,omitempty"`
	// ACL is the canned ACL the object was written with ("" is private).
	ACL string `json:"acl,omitempty"`
	// StorageClass is the storage class, "STANDARD" by default.
	StorageClass string `json:"storage_class,omitempty"`
}

// UserMetadata returns the x-amz-meta-* entries of m.Header without their
// prefix.
func (m Metadata) UserMetadata() map[string]string {
	out := map[string]string{}
	for k, v := range m.Header {
		if name, ok := strings.CutPrefix(k, "x-amz-meta-"); ok && len(v) > 0 {
			out[name] = v[0]
		}
	}
	return out
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	// Key is the object key.
	Key string `json:"key"`
	// Size is the length of the object in bytes.
	Size int64 `json:"size"`
	// ETag is the quoted entity tag, as S3 returns it: the hex MD5 of the
	// bytes, or "<MD5 of the part MD5s>-<parts>" for multipart objects.
	ETag string `json:"etag"`
	// LastModified is when the object was written.
	LastModified time.Time `json:"last_modified"`
	Metadata
	// Checksum is the object's checksum; its Algorithm is "" when there
	// is none.
	Checksum Checksum `json:"checksum,omitzero"`
	// Parts holds the parts of an object made by CompleteMultipartUpload,
	// in order; nil for other objects.
	Parts []ObjectPart `json:"parts,omitempty"`
}

// Checksum is an x-amz-checksum-* checksum of an object.
type Checksum struct {
	// Algorithm is "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", ...
	Algorithm string `json:"algorithm"`
	// Value is the base64 checksum, with a "-N" suffix for COMPOSITE
	// multipart checksums.
	Value string `json:"value"`
	// Type is "FULL_OBJECT" or "COMPOSITE".
	Type string `json:"type"`
}

// ObjectPart is one part of a multipart object, as GetObject with
// partNumber needs it.
type ObjectPart struct {
	// Size is the part's length.
	Size int64 `json:"size"`
	// Checksum is the part's base64 checksum of the object's algorithm,
	// or "".
	Checksum string `json:"checksum,omitempty"`
}

// UploadInfo describes an open multipart upload.
type UploadInfo struct {
	// ID is the upload ID, made of ASCII letters and digits.
	ID string `json:"id"`
	// Key is the key the upload will create.
	Key string `json:"key"`
	// Initiated is when CreateMultipartUpload ran.
	Initiated time.Time `json:"initiated"`
	// Metadata is what the object will get, from CreateMultipartUpload.
	Metadata
	// ChecksumAlgorithm is the x-amz-checksum-algorithm of the upload
	// ("" when none).
	ChecksumAlgorithm string `json:"checksum_algorithm,omitempty"`
	// ChecksumType is the x-amz-checksum-type of the upload, "COMPOSITE"
	// or "FULL_OBJECT" ("" when none).
	ChecksumType string `json:"checksum_type,omitempty"`
	// Parts are the uploaded parts, by ascending part number.
	Parts []PartInfo `json:"-"`
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	// Number is the part number, 1 to 10000.
	Number int `json:"number"`
	// Size is the part's length.
	Size int64 `json:"size"`
	// ETag is the quoted hex MD5 of the part.
	ETag string `json:"etag"`
	// LastModified is when the part was uploaded.
	LastModified time.Time `json:"last_modified"`
	// ChecksumAlgorithm is the algorithm of Checksum ("" when none).
	ChecksumAlgorithm string `json:"checksum_algorithm,omitempty"`
	// Checksum is the part's base64 checksum ("" when none).
	Checksum string `json:"checksum,omitempty"`
}

// sortUploads orders uploads by key, then initiation time, then ID, as
// ListMultipartUploads returns them.
func sortUploads(us []UploadInfo) {
	sort.Slice(us, func(i, j int) bool {
		a, c := us[i], us[j]
		if a.Key != c.Key {
			return a.Key < c.Key
		}
		if !a.Initiated.Equal(c.Initiated) {
			return a.Initiated.Before(c.Initiated)
		}
		return a.ID < c.ID
	})
}

// sortParts orders parts by part number.
func sortParts(ps []PartInfo) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].Number < ps[j].Number })
}

// sortedIndex is a sorted set of keys, shared by the stores for List.
type sortedIndex []string

// insert adds key unless it is there.
func (x *sortedIndex) insert(key string) {
	i := sort.SearchStrings(*x, key)
	if i < len(*x) && (*x)[i] == key {
		return
	}
	*x = append(*x, "")
	copy((*x)[i+1:], (*x)[i:])
	(*x)[i] = key
}

// remove deletes key if it is there.
func (x *sortedIndex) remove(key string) {
	i := sort.SearchStrings(*x, key)
	if i < len(*x) && (*x)[i] == key {
		*x = append((*x)[:i], (*x)[i+1:]...)
	}
}

// each calls fn with the keys that start with prefix and sort after
// after, in order, until fn returns false.
func (x sortedIndex) each(prefix, after string, fn func(key string) bool) {
	start := max(prefix, after)
	for i := sort.SearchStrings(x, start); i < len(x); i++ {
		k := x[i]
		if k <= after {
			continue
		}
		if !strings.HasPrefix(k, prefix) || !fn(k) {
			return
		}
	}
}
