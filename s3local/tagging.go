package s3local

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
)

// The tags of an object: GetObjectTagging, PutObjectTagging and
// DeleteObjectTagging (?tagging on an object). An object keeps them as
// the x-amz-tagging value it was written with (URL-encoded, in order);
// changing them keeps its bytes, ETag and Last-Modified, as S3 does.

type taggingDoc struct {
	XMLName xml.Name `xml:"Tagging"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	TagSet  struct {
		Tags []tagEntry `xml:"Tag"`
	} `xml:"TagSet"`
}

type tagEntry struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// getObjectTagging answers the object's tags in the order they were set.
func (s *Server) getObjectTagging(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	o, r, err := s.openObject(rc)
	if err != nil {
		return err
	}
	r.Close()
	doc := taggingDoc{NS: s3NS}
	for _, kv := range strings.Split(o.Tagging, "&") {
		k, v, _ := strings.Cut(kv, "=")
		dk, _ := url.QueryUnescape(k)
		dv, _ := url.QueryUnescape(v)
		if kv != "" {
			doc.TagSet.Tags = append(doc.TagSet.Tags, tagEntry{dk, dv})
		}
	}
	return rc.writeXML(doc)
}

// putObjectTagging replaces the object's tags with those of the request
// (ten at most, keys unique, of 128 and 256 characters at most).
func (s *Server) putObjectTagging(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	data, err := rc.readSmall(bodyOptions{limit: maxTaggingBody})
	if err != nil {
		return err
	}
	var doc taggingDoc
	if xml.Unmarshal(data, &doc) != nil {
		return newError("MalformedXML", "")
	}
	pairs := make([]string, len(doc.TagSet.Tags))
	for i, t := range doc.TagSet.Tags {
		if t.Key == "" || len([]rune(t.Key)) > 128 || len([]rune(t.Value)) > 256 {
			return newError("InvalidTag", "The TagKey you have provided is invalid").with("TagKey", t.Key)
		}
		pairs[i] = url.QueryEscape(t.Key) + "=" + url.QueryEscape(t.Value)
	}
	tagging := strings.Join(pairs, "&")
	if _, err := countTags(tagging); err != nil {
		return err
	}
	return s.setTagging(rc, tagging, http.StatusOK)
}

// deleteObjectTagging removes the object's tags.
func (s *Server) deleteObjectTagging(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	return s.setTagging(rc, "", http.StatusNoContent)
}

func (s *Server) setTagging(rc *reqCtx, tagging string, status int) *Error {
	if err := s.idx.setTagging(rc.bucket, rc.key, tagging); err != nil {
		return s.storeError(rc, err)
	}
	return rc.writeStatus(status)
}
