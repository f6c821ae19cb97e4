package s3local

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
)

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// owner is the single owner of every bucket and object.
type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

var theOwner = owner{ID: "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", DisplayName: "s3local"}

// bucketFor returns rc's bucket, creating it when AutoCreateBucket is set,
// or a NoSuchBucket error.
func (s *Server) bucketFor(rc *reqCtx) (BucketInfo, *Error) {
	b, err := s.idx.bucketInfo(rc.bucket)
	if errors.Is(err, ErrNoSuchBucket) && s.opts.AutoCreateBucket && validBucketName(rc.bucket) {
		err = s.idx.createBucket(BucketInfo{Name: rc.bucket, Created: s.now()})
		if err == nil || errors.Is(err, ErrBucketExists) {
			b, err = s.idx.bucketInfo(rc.bucket)
		}
	}
	if err != nil {
		return BucketInfo{}, s.storeError(rc, err)
	}
	return b, nil
}

func noSuchBucket(name string) *Error {
	return newError("NoSuchBucket", "").with("BucketName", name)
}

func noSuchKey(key string) *Error {
	return newError("NoSuchKey", "").with("Key", key)
}

func (s *Server) bucketRegion(b BucketInfo) string {
	switch {
	case b.Location != "":
		return b.Location
	case s.opts.Region != "":
		return s.opts.Region
	}
	return "us-east-1"
}

type createBucketConfiguration struct {
	LocationConstraint string `xml:"LocationConstraint"`
}

func (s *Server) createBucket(rc *reqCtx) *Error {
	if !validBucketName(rc.bucket) {
		return newError("InvalidBucketName", "").with("BucketName", rc.bucket)
	}
	data, err := rc.readSmall(bodyOptions{limit: 1 << 20})
	if err != nil {
		return err
	}
	var cfg createBucketConfiguration
	if len(strings.TrimSpace(string(data))) > 0 {
		if xml.Unmarshal(data, &cfg) != nil {
			return newError("MalformedXML", "")
		}
	}
	acl := rc.r.Header.Get("X-Amz-Acl")
	if acl != "" && !cannedACLs[acl] {
		return newError("InvalidArgument", "").with("ArgumentName", "x-amz-acl").with("ArgumentValue", acl)
	}
	if err := s.idx.createBucket(BucketInfo{Name: rc.bucket, Created: s.now(), Location: cfg.LocationConstraint, ACL: acl}); err != nil {
		return s.storeError(rc, err)
	}
	rc.w.Header().Set("Location", "/"+rc.bucket)
	return rc.writeStatus(http.StatusOK)
}

func (s *Server) deleteBucket(rc *reqCtx) *Error {
	if err := s.idx.deleteBucket(rc.bucket); err != nil {
		return s.storeError(rc, err)
	}
	return rc.writeStatus(http.StatusNoContent)
}

func (s *Server) headBucket(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	rc.w.Header().Set("X-Amz-Bucket-Region", s.bucketRegion(b))
	return rc.writeStatus(http.StatusOK)
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
	return dots != 3 || !digitsOnly
}

// publicACL reports whether a canned ACL lets anyone read (write false) or
// write (write true).
func publicACL(acl string, write bool) bool {
	return acl == "public-read-write" || !write && acl == "public-read"
}

// bucketPublic reports whether a bucket's ACL lets anyone list it (write
// false) or write in it (write true).
func (s *Server) bucketPublic(name string, write bool) bool {
	b, err := s.idx.bucketInfo(name)
	return err == nil && publicACL(b.ACL, write)
}
