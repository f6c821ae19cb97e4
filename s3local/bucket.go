package s3local

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// owner is the single owner of every bucket and object.
type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

var theOwner = owner{ID: "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", DisplayName: "s3local"}

type listAllMyBucketsResult struct {
	XMLName           xml.Name      `xml:"ListAllMyBucketsResult"`
	NS                string        `xml:"xmlns,attr"`
	Owner             owner         `xml:"Owner"`
	Buckets           []bucketEntry `xml:"Buckets>Bucket"`
	ContinuationToken string        `xml:"ContinuationToken,omitempty"`
	Prefix            string        `xml:"Prefix,omitempty"`
}

type bucketEntry struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

func (s *Server) listBuckets(rc *reqCtx) *Error {
	prefix := rc.q.Get("prefix")
	maxBuckets := 10000
	if v := rc.q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return newError("InvalidArgument", "Argument max-buckets must be an integer between 1 and 10000").
				with("ArgumentName", "max-buckets").with("ArgumentValue", v)
		}
		maxBuckets = n
	}
	after := ""
	if tok := rc.q.Get("continuation-token"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return newError("InvalidArgument", "The continuation token provided is incorrect").
				with("ArgumentName", "continuation-token").with("ArgumentValue", tok)
		}
		after = string(b)
	}
	s.mu.RLock()
	names := make([]string, 0, len(s.buckets))
	for name := range s.buckets {
		if strings.HasPrefix(name, prefix) && name > after {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	res := listAllMyBucketsResult{NS: s3NS, Owner: theOwner, Prefix: prefix, Buckets: []bucketEntry{}}
	for i, name := range names {
		if i == maxBuckets {
			res.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(names[i-1]))
			break
		}
		b := s.buckets[name]
		res.Buckets = append(res.Buckets, bucketEntry{Name: name, CreationDate: xmlTime(b.created), BucketRegion: s.bucketRegion(b)})
	}
	s.mu.RUnlock()
	return rc.writeXML(res)
}

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

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	NS      string   `xml:"xmlns,attr"`
	Value   string   `xml:",chardata"`
}

func (s *Server) getBucketLocation(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	loc := b.location
	if loc == "" && s.opts.Region != "us-east-1" {
		loc = s.opts.Region
	}
	return rc.writeXML(locationConstraint{NS: s3NS, Value: loc})
}

type versioningConfiguration struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	NS      string   `xml:"xmlns,attr"`
}

func (s *Server) getBucketVersioning(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	return rc.writeXML(versioningConfiguration{NS: s3NS})
}
