package s3local

import (
	"net/http"
	"net/url"
	"strings"
)

// storedHeaders are the representation headers PutObject stores and GET
// returns.
var storedHeaders = []string{
	"Content-Type",
	"Content-Disposition",
	"Content-Language",
	"Cache-Control",
	"Expires",
	"X-Amz-Website-Redirect-Location",
}

// sseHeaders are the server-side encryption headers stored and echoed back.
var sseHeaders = []string{
	"X-Amz-Server-Side-Encryption",
	"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id",
	"X-Amz-Server-Side-Encryption-Context",
	"X-Amz-Server-Side-Encryption-Bucket-Key-Enabled",
	"X-Amz-Server-Side-Encryption-Customer-Algorithm",
	"X-Amz-Server-Side-Encryption-Customer-Key-Md5",
}

var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true,
	"ONEZONE_IA": true, "INTELLIGENT_TIERING": true, "GLACIER": true,
	"DEEP_ARCHIVE": true, "OUTPOSTS": true, "GLACIER_IR": true, "SNOW": true,
	"EXPRESS_ONEZONE": true, "FSX_OPENZFS": true, "FSX_ONTAP": true,
}

var cannedACLs = map[string]bool{
	"private": true, "public-read": true, "public-read-write": true,
	"authenticated-read": true, "aws-exec-read": true,
	"bucket-owner-read": true, "bucket-owner-full-control": true,
	"log-delivery-write": true,
}

// maxMetadataSize is S3's limit on the user metadata of an object.
const maxMetadataSize = 2 << 10

// metaFromRequest extracts what an object stores from request headers.
func metaFromRequest(h http.Header) (Metadata, *Error) {
	m := Metadata{Header: make(http.Header)}
	for _, name := range storedHeaders {
		if v := h.Values(name); len(v) > 0 {
			m.Header[name] = []string{strings.Join(v, ",")}
		}
	}
	if ce := stripAWSChunked(h.Values("Content-Encoding")); ce != "" {
		m.Header.Set("Content-Encoding", ce)
	}
	if m.Header.Get("Content-Type") == "" {
		m.Header.Set("Content-Type", "binary/octet-stream")
	}
	metaSize := 0
	for name, vs := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "x-amz-meta-") {
			continue
		}
		v := strings.Join(vs, ",")
		metaSize += len(lower) - len("x-amz-meta-") + len(v)
		m.Header[lower] = []string{v}
	}
	if metaSize > maxMetadataSize {
		return m, newError("MetadataTooLarge", "").with("MaxSizeAllowed", itoa(maxMetadataSize))
	}
	for _, name := range sseHeaders {
		if v := h.Get(name); v != "" {
			m.Header.Set(name, v)
		}
	}
	m.StorageClass = "STANDARD"
	if sc := h.Get("X-Amz-Storage-Class"); sc != "" {
		if !storageClasses[sc] {
			return m, newError("InvalidStorageClass", "The storage class you specified is not valid").with("StorageClassRequested", sc)
		}
		m.StorageClass = sc
	}
	if m.StorageClass != "STANDARD" {
		m.Header.Set("X-Amz-Storage-Class", m.StorageClass)
	}
	if acl := h.Get("X-Amz-Acl"); acl != "" {
		if !cannedACLs[acl] {
			return m, newError("InvalidArgument", "").with("ArgumentName", "x-amz-acl").with("ArgumentValue", acl)
		}
		m.ACL = acl
	}
	if t := h.Get("X-Amz-Tagging"); t != "" {
		if _, err := countTags(t); err != nil {
			return m, err
		}
		m.Tagging = t
	}
	return m, nil
}

// countTags validates an x-amz-tagging value (URL query encoded) and returns
// its number of tags.
func countTags(t string) (int, *Error) {
	v, err := url.ParseQuery(t)
	if err != nil {
		return 0, newError("InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	n := 0
	for k, vs := range v {
		if len(vs) > 1 || k == "" {
			return 0, newError("InvalidTag", "Cannot provide multiple Tags with the same key").with("TagKey", k)
		}
		n++
	}
	if n > 10 {
		return 0, newError("BadRequest", "Object tags cannot be greater than 10")
	}
	return n, nil
}

// stripAWSChunked returns a Content-Encoding value without the aws-chunked
// coding.
func stripAWSChunked(values []string) string {
	var out []string
	for _, v := range values {
		for _, c := range strings.Split(v, ",") {
			c = strings.TrimSpace(c)
			if c != "" && !strings.EqualFold(c, "aws-chunked") {
				out = append(out, c)
			}
		}
	}
	return strings.Join(out, ",")
}

// hasAWSChunked reports whether a Content-Encoding lists aws-chunked.
func hasAWSChunked(values []string) bool {
	for _, v := range values {
		for _, c := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(c), "aws-chunked") {
				return true
			}
		}
	}
	return false
}

// writeSSE copies the stored server-side encryption headers into h.
func (m *Metadata) writeSSE(h http.Header) {
	for _, name := range sseHeaders {
		if v := m.Header.Get(name); v != "" {
			h.Set(name, v)
		}
	}
}
