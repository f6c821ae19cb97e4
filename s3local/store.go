package s3local

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// Store keeps the buckets, objects and multipart uploads of a Server.
// NewMemoryStore and NewDiskStore return the two stores; Options.Store
// picks one. A Store is safe for concurrent use; Servers may share one.
//
// The interface is sealed: only this package implements it. Both stores
// share one index (the buckets, the ordered keys, the open uploads and the
// rule that commits a write) and differ only in where the bytes live.
type Store interface {
	// storeIndex returns the store's index.
	storeIndex() *index
}

// Errors of the stores. An *Error whose Code is the matching S3 error code
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

// errClosed reports a DiskStore used after Close.
var errClosed = errors.New("s3local: the store is closed")

// blob is a body being staged by a store. It is written once, from the
// first byte to the last, then given to the index's put or putPart, which
// take it, or discarded.
type blob interface {
	io.Writer
	// discard frees the blob. It does nothing once the blob was taken,
	// and may be called more than once.
	discard()
}

// objectReader reads the bytes of an object or part as they were when it
// was opened, even when they are replaced or deleted meanwhile. Close it.
type objectReader interface {
	io.ReaderAt
	io.Closer
}

// putOptions are the conditions of a put.
type putOptions struct {
	// check, when not nil, is called under the index's lock with the
	// object that put would replace (nil when there is none). A non-nil
	// result aborts the put and is returned as it is.
	check func(current *ObjectInfo) error
	// uploadID, when not empty, names the multipart upload the object
	// completes: put fails with ErrNoSuchUpload unless the upload is
	// open, and ends it with its parts when the object is stored.
	uploadID string
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
