package faultproxy

import (
	"net/http"
	"net/url"
	"strings"
)

// Op is an S3 operation, named as in the S3 API reference.
type Op string

// The operations Classify tells apart. OpUnknown is what it answers for a
// request that names none of them.
const (
	OpUnknown                 Op = "Unknown"
	OpListBuckets             Op = "ListBuckets"
	OpCreateBucket            Op = "CreateBucket"
	OpDeleteBucket            Op = "DeleteBucket"
	OpHeadBucket              Op = "HeadBucket"
	OpGetBucketLocation       Op = "GetBucketLocation"
	OpGetBucketVersioning     Op = "GetBucketVersioning"
	OpGetBucketLifecycle      Op = "GetBucketLifecycleConfiguration"
	OpPutBucketLifecycle      Op = "PutBucketLifecycleConfiguration"
	OpListObjects             Op = "ListObjects"
	OpListObjectsV2           Op = "ListObjectsV2"
	OpListObjectVersions      Op = "ListObjectVersions"
	OpListMultipartUploads    Op = "ListMultipartUploads"
	OpDeleteObjects           Op = "DeleteObjects"
	OpPostObject              Op = "PostObject" // browser upload with a POST policy
	OpPutObject               Op = "PutObject"
	OpCopyObject              Op = "CopyObject"
	OpGetObject               Op = "GetObject"
	OpHeadObject              Op = "HeadObject"
	OpDeleteObject            Op = "DeleteObject"
	OpGetObjectTagging        Op = "GetObjectTagging"
	OpPutObjectTagging        Op = "PutObjectTagging"
	OpDeleteObjectTagging     Op = "DeleteObjectTagging"
	OpCreateMultipartUpload   Op = "CreateMultipartUpload"
	OpUploadPart              Op = "UploadPart"
	OpUploadPartCopy          Op = "UploadPartCopy"
	OpCompleteMultipartUpload Op = "CompleteMultipartUpload"
	OpAbortMultipartUpload    Op = "AbortMultipartUpload"
	OpListParts               Op = "ListParts"
)

// Request is what Classify reads from a request: its operation, bucket
// and object key (decoded; empty for bucket and service operations).
type Request struct {
	Op     Op
	Bucket string
	Key    string
}

// Classify names the S3 operation of a path-style request ("/bucket/key")
// from its method, path and query, as S3 routes it. Virtual-hosted-style
// requests are not recognised: the bucket is read from the path.
func Classify(r *http.Request) Request {
	path := r.URL.Path
	if path == "" && r.URL.Opaque != "" {
		path, _ = url.PathUnescape(r.URL.Opaque)
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return Request{Op: classify(r.Method, bucket, key, r.URL.Query(), r.Header), Bucket: bucket, Key: key}
}

// The sub-resources of S3's other operations (GetObjectAcl,
// PutBucketPolicy...): a request naming one is none of the operations
// Classify tells apart, and not the plain one of its method.
var (
	otherBucketSubresources = []string{"accelerate", "acl", "analytics", "cors", "encryption", "intelligent-tiering",
		"inventory", "logging", "metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus",
		"publicAccessBlock", "replication", "requestPayment", "tagging", "website"}
	otherObjectSubresources = []string{"acl", "attributes", "legal-hold", "restore", "retention", "select", "torrent"}
)

// hasAny reports whether q names one of subs.
func hasAny(q url.Values, subs []string) bool {
	for _, sub := range subs {
		if q.Has(sub) {
			return true
		}
	}
	return false
}

func classify(method, bucket, key string, q url.Values, h http.Header) Op {
	has := q.Has
	switch {
	case bucket == "" && method == http.MethodGet:
		return OpListBuckets
	case bucket == "":
		return OpUnknown
	case key == "" && hasAny(q, otherBucketSubresources):
		return OpUnknown
	case key == "":
		return bucketOp(method, q, h)
	case hasAny(q, otherObjectSubresources):
		return OpUnknown
	}
	switch method {
	case http.MethodGet:
		switch {
		case has("uploadId"):
			return OpListParts
		case has("tagging"):
			return OpGetObjectTagging
		}
		return OpGetObject
	case http.MethodHead:
		return OpHeadObject
	case http.MethodPut:
		cp := h.Get("X-Amz-Copy-Source") != ""
		switch {
		case (has("uploadId") || has("partNumber")) && cp:
			return OpUploadPartCopy
		case has("uploadId") || has("partNumber"):
			return OpUploadPart
		case has("tagging"):
			return OpPutObjectTagging
		case cp:
			return OpCopyObject
		}
		return OpPutObject
	case http.MethodPost:
		switch {
		case has("uploads"):
			return OpCreateMultipartUpload
		case has("uploadId"):
			return OpCompleteMultipartUpload
		}
	case http.MethodDelete:
		switch {
		case has("uploadId"):
			return OpAbortMultipartUpload
		case has("tagging"):
			return OpDeleteObjectTagging
		}
		return OpDeleteObject
	}
	return OpUnknown
}

func bucketOp(method string, q url.Values, h http.Header) Op {
	has := q.Has
	switch method {
	case http.MethodGet:
		switch {
		case has("location"):
			return OpGetBucketLocation
		case has("versioning"):
			return OpGetBucketVersioning
		case has("lifecycle"):
			return OpGetBucketLifecycle
		case has("uploads"):
			return OpListMultipartUploads
		case has("versions"):
			return OpListObjectVersions
		case q.Get("list-type") == "2":
			return OpListObjectsV2
		}
		return OpListObjects
	case http.MethodHead:
		return OpHeadBucket
	case http.MethodPut:
		if has("lifecycle") {
			return OpPutBucketLifecycle
		}
		if len(q) == 0 || has("x-id") && len(q) == 1 {
			return OpCreateBucket
		}
	case http.MethodDelete:
		if len(q) == 0 || has("x-id") && len(q) == 1 {
			return OpDeleteBucket
		}
	case http.MethodPost:
		if has("delete") {
			return OpDeleteObjects
		}
		if strings.HasPrefix(strings.ToLower(h.Get("Content-Type")), "multipart/form-data") {
			return OpPostObject
		}
	}
	return OpUnknown
}

// Writes reports whether op changes what the bucket holds.
func (op Op) Writes() bool {
	switch op {
	case OpPutObject, OpCopyObject, OpDeleteObject, OpDeleteObjects, OpPostObject,
		OpCreateMultipartUpload, OpUploadPart, OpUploadPartCopy, OpCompleteMultipartUpload, OpAbortMultipartUpload,
		OpPutObjectTagging, OpDeleteObjectTagging, OpCreateBucket, OpDeleteBucket, OpPutBucketLifecycle:
		return true
	}
	return false
}
