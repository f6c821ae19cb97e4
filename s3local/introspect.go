package s3local

import (
	"crypto/md5"
	"net/http"
	"sort"
	"time"
)

// Object is a snapshot of a stored object, for tests.
type Object struct {
	// Key is the object key.
	Key string
	// Size is the length of Body.
	Size int64
	// ETag is the quoted entity tag, as S3 returns it: the hex MD5 of the
	// body, or "<md5 of the part MD5s>-<parts>" for multipart objects.
	ETag string
	// LastModified is when the object was written.
	LastModified time.Time
	// Header holds the headers GetObject returns besides the standard ones:
	// Content-Type, Content-Encoding, Content-Disposition, Content-Language,
	// Cache-Control, Expires, x-amz-meta-* (lower-case keys, accessed
	// directly in the map), x-amz-storage-class (unless STANDARD) and the
	// server-side encryption headers.
	Header http.Header
	// Metadata is the user metadata: the x-amz-meta-* headers without the
	// prefix, with lower-case keys.
	Metadata map[string]string
	// Tagging is the x-amz-tagging value the object was written with.
	Tagging string
	// ACL is the canned ACL the object was written with ("" when none).
	ACL string
	// StorageClass is the storage class, "STANDARD" by default.
	StorageClass string
	// ChecksumAlgorithm is the algorithm of Checksum ("CRC32", "CRC64NVME",
	// ...), or "" when the object has none.
	ChecksumAlgorithm string
	// Checksum is the base64 checksum, with a "-N" suffix for COMPOSITE
	// multipart checksums.
	Checksum string
	// ChecksumType is "FULL_OBJECT" or "COMPOSITE".
	ChecksumType string
	// PartCount is the number of parts of an object made by
	// CompleteMultipartUpload, 0 for other objects.
	PartCount int
	// Body is a copy of the object's content.
	Body []byte
}

// Upload is a snapshot of an open multipart upload, for tests.
type Upload struct {
	// Bucket is the bucket of the upload.
	Bucket string
	// Key is the key the upload will create.
	Key string
	// UploadID is the upload ID.
	UploadID string
	// Initiated is when CreateMultipartUpload ran.
	Initiated time.Time
	// Header holds the object headers stored by CreateMultipartUpload, as
	// in Object.Header.
	Header http.Header
	// ChecksumAlgorithm and ChecksumType are the checksum settings of the
	// upload ("" when none).
	ChecksumAlgorithm, ChecksumType string
	// Parts are the uploaded parts, by ascending part number.
	Parts []Part
}

// Part is a snapshot of an uploaded part.
type Part struct {
	// PartNumber is the part number, 1 to 10000.
	PartNumber int
	// Size is the part's length.
	Size int64
	// ETag is the quoted hex MD5 of the part.
	ETag string
	// LastModified is when the part was uploaded.
	LastModified time.Time
	// Checksum is the base64 checksum of the upload's algorithm, or "".
	Checksum string
}

// CreateBucket creates a bucket, as the CreateBucket operation does. It
// returns an *Error with code InvalidBucketName or BucketAlreadyOwnedByYou
// on failure.
func (s *Server) CreateBucket(name string) error {
	if !validBucketName(name) {
		return newError("InvalidBucketName", "").with("BucketName", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; ok {
		return newError("BucketAlreadyOwnedByYou", "").with("BucketName", name)
	}
	s.buckets[name] = s.newBucket(name, "")
	return nil
}

// Objects returns the objects of a bucket in key order. It returns an
// *Error with code NoSuchBucket when the bucket does not exist.
func (s *Server) Objects(bucket string) ([]Object, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.buckets[bucket]
	if b == nil {
		return nil, noSuchBucket(bucket)
	}
	out := make([]Object, 0, len(b.keys))
	for _, k := range b.keys {
		out = append(out, b.objects[k].snapshot())
	}
	return out, nil
}

// Object returns the object at key in bucket, and whether it exists.
func (s *Server) Object(bucket, key string) (Object, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.buckets[bucket]
	if b == nil || b.objects[key] == nil {
		return Object{}, false
	}
	return b.objects[key].snapshot(), true
}

// PutObject stores an object directly, bypassing HTTP: body is copied, and
// header is read as PutObject request headers are (Content-Type,
// x-amz-meta-*, x-amz-tagging, ...). No condition is checked. It returns
// an *Error when the bucket does not exist or a header is invalid.
func (s *Server) PutObject(bucket, key string, body []byte, header http.Header) (Object, error) {
	if header == nil {
		header = http.Header{}
	}
	meta, err := metaFromRequest(header)
	if err != nil {
		return Object{}, err
	}
	if err := checkKey(key); err != nil {
		return Object{}, err
	}
	data := append([]byte(nil), body...)
	sum := md5.Sum(data)
	alg := lookupChecksumAlg(algCRC64NVME)
	o := &object{
		key:      key,
		data:     data,
		etag:     quotedMD5(sum[:]),
		meta:     meta,
		checksum: checksumInfo{alg: alg.name, value: checksumOf(alg, data), typ: checksumFullObject},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucket]
	if b == nil {
		return Object{}, noSuchBucket(bucket)
	}
	o.modified = s.now()
	b.put(o)
	return o.snapshot(), nil
}

// Uploads returns the open multipart uploads of a bucket, ordered by key
// then initiation time. It returns an *Error with code NoSuchBucket when
// the bucket does not exist.
func (s *Server) Uploads(bucket string) ([]Upload, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.buckets[bucket]
	if b == nil {
		return nil, noSuchBucket(bucket)
	}
	us := sortedUploads(b)
	out := make([]Upload, 0, len(us))
	for _, u := range us {
		up := Upload{
			Bucket:            bucket,
			Key:               u.key,
			UploadID:          u.id,
			Initiated:         u.initiated,
			Header:            u.meta.header.Clone(),
			ChecksumAlgorithm: u.alg,
			ChecksumType:      u.typ,
		}
		for _, p := range u.parts {
			up.Parts = append(up.Parts, Part{
				PartNumber:   p.number,
				Size:         int64(len(p.data)),
				ETag:         p.etag,
				LastModified: p.modified,
				Checksum:     p.checksum,
			})
		}
		sort.Slice(up.Parts, func(i, j int) bool { return up.Parts[i].PartNumber < up.Parts[j].PartNumber })
		out = append(out, up)
	}
	return out, nil
}

func (o *object) snapshot() Object {
	return Object{
		Key:               o.key,
		Size:              int64(len(o.data)),
		ETag:              o.etag,
		LastModified:      o.modified,
		Header:            o.meta.header.Clone(),
		Metadata:          o.meta.userMetadata(),
		Tagging:           o.meta.tagging,
		ACL:               o.meta.acl,
		StorageClass:      o.meta.storageClass,
		ChecksumAlgorithm: o.checksum.alg,
		Checksum:          o.checksum.value,
		ChecksumType:      o.checksum.typ,
		PartCount:         len(o.parts),
		Body:              append([]byte(nil), o.data...),
	}
}
