package s3local

import (
	"encoding/xml"
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

func (s *Server) bucketRegion(b *bucket) string {
	switch {
	case b.location != "":
		return b.location
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
	p, err := rc.readPayload(bodyOptions{limit: 1 << 20})
	if err != nil {
		return err
	}
	var cfg createBucketConfiguration
	if len(strings.TrimSpace(string(p.data))) > 0 {
		if xml.Unmarshal(p.data, &cfg) != nil {
			return newError("MalformedXML", "")
		}
	}
	if acl := rc.r.Header.Get("X-Amz-Acl"); acl != "" && !cannedACLs[acl] {
		return newError("InvalidArgument", "").with("ArgumentName", "x-amz-acl").with("ArgumentValue", acl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[rc.bucket]; ok {
		return newError("BucketAlreadyOwnedByYou", "").with("BucketName", rc.bucket)
	}
	s.buckets[rc.bucket] = s.newBucket(rc.bucket, cfg.LocationConstraint)
	rc.w.Header().Set("Location", "/"+rc.bucket)
	return rc.writeStatus(http.StatusOK)
}

func (s *Server) deleteBucket(rc *reqCtx) *Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[rc.bucket]
	if b == nil {
		return noSuchBucket(rc.bucket)
	}
	if len(b.objects) > 0 {
		return newError("BucketNotEmpty", "").with("BucketName", rc.bucket)
	}
	delete(s.buckets, rc.bucket)
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
