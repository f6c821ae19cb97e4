package s3local

import (
	"crypto/md5"
	"errors"
	"io"
	"net/http"
)

// Object is a snapshot of a stored object, for tests.
type Object struct {
	ObjectInfo
	// Body is a copy of the object's bytes.
	Body []byte
}

// CreateBucket creates a bucket, as the CreateBucket operation does. It
// returns an *Error with code InvalidBucketName or BucketAlreadyOwnedByYou
// (which errors.Is matches to ErrBucketExists) on failure.
func (s *Server) CreateBucket(name string) error {
	if !validBucketName(name) {
		return newError("InvalidBucketName", "").with("BucketName", name)
	}
	if err := s.idx.createBucket(BucketInfo{Name: name, Created: s.now()}); err != nil {
		return s.storeError(&reqCtx{s: s, bucket: name}, err)
	}
	return nil
}

// Objects returns the objects of a bucket in key order, with their bytes.
// It returns an *Error with code NoSuchBucket when the bucket does not
// exist.
func (s *Server) Objects(bucket string) ([]Object, error) {
	var keys []string
	if err := s.idx.list(bucket, "", "", func(o ObjectInfo) bool {
		keys = append(keys, o.Key)
		return true
	}); err != nil {
		return nil, s.storeError(&reqCtx{s: s, bucket: bucket}, err)
	}
	out := make([]Object, 0, len(keys))
	for _, k := range keys {
		if o, ok := s.Object(bucket, k); ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// Object returns the object at key in bucket, with its bytes, and whether
// it exists.
func (s *Server) Object(bucket, key string) (Object, bool) {
	info, r, err := s.idx.open(bucket, key)
	if err != nil {
		return Object{}, false
	}
	defer r.Close()
	body, err := io.ReadAll(io.NewSectionReader(r, 0, info.Size))
	if err != nil {
		return Object{}, false
	}
	return Object{ObjectInfo: info, Body: body}, true
}

// PutObject stores an object directly, bypassing HTTP: header is read as
// PutObject request headers are (Content-Type, x-amz-meta-*,
// x-amz-tagging, ...), and the object gets a CRC64NVME checksum. No
// condition is checked. It returns an *Error when the bucket does not
// exist or a header is invalid.
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
	rc := &reqCtx{s: s, bucket: bucket, key: key}
	blob, serr := s.idx.newBlob(int64(len(body)))
	if serr == nil {
		if _, serr = blob.Write(body); serr != nil {
			blob.discard()
		}
	}
	if serr != nil {
		return Object{}, s.storeError(rc, serr)
	}
	sum := md5.Sum(body)
	alg := lookupChecksumAlg(algCRC64NVME)
	info := ObjectInfo{
		Key:      key,
		Size:     int64(len(body)),
		ETag:     quotedMD5(sum[:]),
		Metadata: meta,
		Checksum: Checksum{Algorithm: alg.name, Value: checksumOf(alg, body), Type: checksumFullObject},
	}
	if err := s.commit(rc, &info, blob, putOptions{}); err != nil {
		return Object{}, err
	}
	o, ok := s.Object(bucket, key)
	if !ok {
		return Object{}, errors.New("s3local: the object vanished after PutObject")
	}
	return o, nil
}

// Uploads returns the open multipart uploads of a bucket, ordered by key
// then initiation time, with their parts. It returns an *Error with code
// NoSuchBucket when the bucket does not exist.
func (s *Server) Uploads(bucket string) ([]UploadInfo, error) {
	us, err := s.idx.uploadList(bucket, true)
	if err != nil {
		return nil, s.storeError(&reqCtx{s: s, bucket: bucket}, err)
	}
	return us, nil
}
