package s3local

import (
	"encoding/base64"
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
	data, err := rc.readSmall(bodyOptions{limit: maxCreateBucketBody})
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

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	NS      string   `xml:"xmlns,attr"`
	Region  string   `xml:",chardata"`
}

// getBucketLocation answers the bucket's region, empty for us-east-1, as
// S3 does.
func (s *Server) getBucketLocation(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	region := s.bucketRegion(b)
	if region == "us-east-1" {
		region = ""
	}
	return rc.writeXML(locationConstraint{NS: s3NS, Region: region})
}

type versioningConfiguration struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	NS      string   `xml:"xmlns,attr"`
}

// getBucketVersioning answers that versioning was never enabled (an empty
// configuration, as S3 gives it): this server keeps one version.
func (s *Server) getBucketVersioning(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	return rc.writeXML(versioningConfiguration{NS: s3NS})
}

type listAllMyBucketsResult struct {
	XMLName xml.Name `xml:"ListAllMyBucketsResult"`
	NS      string   `xml:"xmlns,attr"`
	Owner   owner    `xml:"Owner"`
	Buckets struct {
		Bucket []bucketEntry `xml:"Bucket"`
	} `xml:"Buckets"`
	ContinuationToken string `xml:"ContinuationToken,omitempty"`
	Prefix            string `xml:"Prefix,omitempty"`
}

type bucketEntry struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

// maxBuckets is the largest page of ListBuckets.
const maxBuckets = 10000

// listBuckets lists the buckets by name: all of them, or pages of
// max-buckets (with a continuation-token), under a prefix, in a region.
// The regions are given when any parameter is, as S3 does.
func (s *Server) listBuckets(rc *reqCtx) *Error {
	q := rc.q
	limit, err := parseLimit(q.Get("max-buckets"), "max-buckets", maxBuckets)
	if err != nil || q.Has("max-buckets") && limit == 0 {
		return newError("InvalidArgument", "Argument max-buckets must be an integer between 1 and 10000").
			with("ArgumentName", "max-buckets").with("ArgumentValue", q.Get("max-buckets"))
	}
	after := ""
	if tok := q.Get("continuation-token"); tok != "" {
		b, derr := base64.RawURLEncoding.DecodeString(tok)
		if derr != nil || len(b) == 0 {
			return newError("InvalidArgument", "The continuation token provided is incorrect").
				with("ArgumentName", "continuation-token").with("ArgumentValue", tok)
		}
		after = string(b)
	}
	all, serr := s.idx.bucketList()
	if serr != nil {
		return s.storeError(rc, serr)
	}
	res := listAllMyBucketsResult{NS: s3NS, Owner: theOwner, Prefix: q.Get("prefix")}
	regions := q.Has("max-buckets") || q.Has("continuation-token") || q.Has("prefix") || q.Has("bucket-region")
	for _, b := range all {
		region := s.bucketRegion(b)
		if b.Name <= after || !strings.HasPrefix(b.Name, res.Prefix) || q.Has("bucket-region") && region != q.Get("bucket-region") {
			continue
		}
		if len(res.Buckets.Bucket) == limit {
			res.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.Buckets.Bucket[limit-1].Name))
			break
		}
		e := bucketEntry{Name: b.Name, CreationDate: xmlTime(b.Created)}
		if regions {
			e.BucketRegion = region
		}
		res.Buckets.Bucket = append(res.Buckets.Bucket, e)
	}
	return rc.writeXML(res)
}
