package s3local

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// bucket is one bucket. Its fields are guarded by Server.mu.
type bucket struct {
	name     string
	created  time.Time
	location string
	objects  map[string]*object
	keys     []string // sorted keys of objects, in UTF-8 binary order
	uploads  map[string]*upload
}

// object is a stored object. It is immutable once stored: writes replace
// the pointer, so readers may use it without holding the lock.
type object struct {
	key      string
	data     []byte
	etag     string // quoted
	modified time.Time
	meta     objectMeta
	checksum checksumInfo
	// parts holds the size and checksum of each part of an object made by
	// CompleteMultipartUpload; nil otherwise.
	parts []partInfo
}

// checksumInfo is the checksum an object or part carries.
type checksumInfo struct {
	alg   string // "" when none
	value string // base64, with "-N" for COMPOSITE multipart checksums
	typ   string // FULL_OBJECT or COMPOSITE
}

type partInfo struct {
	size     int64
	checksum string
}

// objectMeta holds what PutObject and CreateMultipartUpload store from the
// request headers.
type objectMeta struct {
	// header holds the headers returned by GET and HEAD: Content-Type and the
	// other representation headers, x-amz-meta-* (lower-case keys),
	// x-amz-storage-class, x-amz-website-redirect-location and the
	// server-side encryption headers.
	header       http.Header
	tagging      string
	tagCount     int
	acl          string
	storageClass string
}

// upload is an open multipart upload, guarded by Server.mu.
type upload struct {
	id        string
	key       string
	initiated time.Time
	meta      objectMeta
	alg       string // checksum algorithm, "" when none
	typ       string // checksum type, "" when none
	parts     map[int]*part
}

// part is an uploaded part. It is immutable once stored.
type part struct {
	number   int
	data     []byte
	etag     string // quoted
	md5      []byte
	modified time.Time
	checksum string // base64 checksum of the upload's algorithm, or ""
	alg      string
}

// bucketFor returns rc's bucket, creating it when AutoCreateBucket is set,
// or a NoSuchBucket error.
func (s *Server) bucketFor(rc *reqCtx) (*bucket, *Error) {
	s.mu.RLock()
	b := s.buckets[rc.bucket]
	s.mu.RUnlock()
	if b != nil {
		return b, nil
	}
	if s.opts.AutoCreateBucket && validBucketName(rc.bucket) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if b = s.buckets[rc.bucket]; b == nil {
			b = s.newBucket(rc.bucket, "")
			s.buckets[b.name] = b
		}
		return b, nil
	}
	return nil, noSuchBucket(rc.bucket)
}

// liveBucket returns a NoSuchBucket error when b was deleted meanwhile; the
// caller holds s.mu.
func (s *Server) liveBucket(b *bucket) *Error {
	if s.buckets[b.name] != b {
		return noSuchBucket(b.name)
	}
	return nil
}

func noSuchBucket(name string) *Error {
	return newError("NoSuchBucket", "").with("BucketName", name)
}

func noSuchKey(key string) *Error {
	return newError("NoSuchKey", "").with("Key", key)
}

func (s *Server) newBucket(name, location string) *bucket {
	return &bucket{
		name:     name,
		created:  s.now(),
		location: location,
		objects:  make(map[string]*object),
		uploads:  make(map[string]*upload),
	}
}

// put stores o; the caller holds s.mu for writing.
func (b *bucket) put(o *object) {
	if _, ok := b.objects[o.key]; !ok {
		i := sort.SearchStrings(b.keys, o.key)
		b.keys = append(b.keys, "")
		copy(b.keys[i+1:], b.keys[i:])
		b.keys[i] = o.key
	}
	b.objects[o.key] = o
}

// remove deletes the object at key; the caller holds s.mu for writing.
func (b *bucket) remove(key string) bool {
	if _, ok := b.objects[key]; !ok {
		return false
	}
	delete(b.objects, key)
	i := sort.SearchStrings(b.keys, key)
	if i < len(b.keys) && b.keys[i] == key {
		b.keys = append(b.keys[:i], b.keys[i+1:]...)
	}
	return true
}

// validBucketName reports whether name follows S3's bucket naming rules
// (general purpose buckets).
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' || c == '.':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	// Not formatted as an IP address.
	dots, digitsOnly := 0, true
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			dots++
		} else if name[i] < '0' || name[i] > '9' {
			digitsOnly = false
		}
	}
	if dots == 3 && digitsOnly {
		return false
	}
	return true
}
