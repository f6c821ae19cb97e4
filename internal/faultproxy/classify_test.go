package faultproxy

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name, method, target string
		header               map[string]string
		want                 Request
	}{
		{"list buckets", "GET", "/", nil, Request{Op: OpListBuckets}},
		{"create bucket", "PUT", "/b", nil, Request{Op: OpCreateBucket, Bucket: "b"}},
		{"create bucket x-id", "PUT", "/b?x-id=CreateBucket", nil, Request{Op: OpCreateBucket, Bucket: "b"}},
		{"delete bucket", "DELETE", "/b", nil, Request{Op: OpDeleteBucket, Bucket: "b"}},
		{"head bucket", "HEAD", "/b", nil, Request{Op: OpHeadBucket, Bucket: "b"}},
		{"location", "GET", "/b?location", nil, Request{Op: OpGetBucketLocation, Bucket: "b"}},
		{"lifecycle get", "GET", "/b?lifecycle", nil, Request{Op: OpGetBucketLifecycle, Bucket: "b"}},
		{"lifecycle put", "PUT", "/b?lifecycle", nil, Request{Op: OpPutBucketLifecycle, Bucket: "b"}},
		{"list v1", "GET", "/b?prefix=a", nil, Request{Op: OpListObjects, Bucket: "b"}},
		{"list v2", "GET", "/b?list-type=2&prefix=a%2F", nil, Request{Op: OpListObjectsV2, Bucket: "b"}},
		{"list v2 trailing slash", "GET", "/b/?list-type=2", nil, Request{Op: OpListObjectsV2, Bucket: "b"}},
		{"list uploads", "GET", "/b?uploads&prefix=x", nil, Request{Op: OpListMultipartUploads, Bucket: "b"}},
		{"list versions", "GET", "/b?versions", nil, Request{Op: OpListObjectVersions, Bucket: "b"}},
		{"delete objects", "POST", "/b?delete", nil, Request{Op: OpDeleteObjects, Bucket: "b"}},
		{"post object", "POST", "/b", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, Request{Op: OpPostObject, Bucket: "b"}},
		{"put object", "PUT", "/b/a/b.txt?x-id=PutObject", nil, Request{Op: OpPutObject, Bucket: "b", Key: "a/b.txt"}},
		{"put object escaped", "PUT", "/b/a%20b/c%2Bd%3F", nil, Request{Op: OpPutObject, Bucket: "b", Key: "a b/c+d?"}},
		{"copy object", "PUT", "/b/k", map[string]string{"X-Amz-Copy-Source": "/b/j"}, Request{Op: OpCopyObject, Bucket: "b", Key: "k"}},
		{"get object", "GET", "/b/k?x-id=GetObject", nil, Request{Op: OpGetObject, Bucket: "b", Key: "k"}},
		{"get object part", "GET", "/b/k?partNumber=1", nil, Request{Op: OpGetObject, Bucket: "b", Key: "k"}},
		{"head object", "HEAD", "/b/k", nil, Request{Op: OpHeadObject, Bucket: "b", Key: "k"}},
		{"delete object", "DELETE", "/b/k?x-id=DeleteObject", nil, Request{Op: OpDeleteObject, Bucket: "b", Key: "k"}},
		{"tagging", "GET", "/b/k?tagging", nil, Request{Op: OpGetObjectTagging, Bucket: "b", Key: "k"}},
		{"object acl", "GET", "/b/k?acl", nil, Request{Op: OpUnknown, Bucket: "b", Key: "k"}},
		{"put object retention", "PUT", "/b/k?retention", nil, Request{Op: OpUnknown, Bucket: "b", Key: "k"}},
		{"bucket policy", "GET", "/b?policy", nil, Request{Op: OpUnknown, Bucket: "b"}},
		{"bucket tagging", "DELETE", "/b?tagging", nil, Request{Op: OpUnknown, Bucket: "b"}},
		{"put tagging", "PUT", "/b/k?tagging", nil, Request{Op: OpPutObjectTagging, Bucket: "b", Key: "k"}},
		{"delete tagging", "DELETE", "/b/k?tagging", nil, Request{Op: OpDeleteObjectTagging, Bucket: "b", Key: "k"}},
		{"create upload", "POST", "/b/k?uploads", nil, Request{Op: OpCreateMultipartUpload, Bucket: "b", Key: "k"}},
		{"create upload x-id", "POST", "/b/k?uploads=&x-id=CreateMultipartUpload", nil, Request{Op: OpCreateMultipartUpload, Bucket: "b", Key: "k"}},
		{"upload part", "PUT", "/b/k?partNumber=2&uploadId=u&x-id=UploadPart", nil, Request{Op: OpUploadPart, Bucket: "b", Key: "k"}},
		{"upload part copy", "PUT", "/b/k?partNumber=2&uploadId=u", map[string]string{"X-Amz-Copy-Source": "/b/j"}, Request{Op: OpUploadPartCopy, Bucket: "b", Key: "k"}},
		{"complete", "POST", "/b/k?uploadId=u", nil, Request{Op: OpCompleteMultipartUpload, Bucket: "b", Key: "k"}},
		{"abort", "DELETE", "/b/k?uploadId=u&x-id=AbortMultipartUpload", nil, Request{Op: OpAbortMultipartUpload, Bucket: "b", Key: "k"}},
		{"list parts", "GET", "/b/k?uploadId=u", nil, Request{Op: OpListParts, Bucket: "b", Key: "k"}},
		{"unknown method", "PATCH", "/b/k", nil, Request{Op: OpUnknown, Bucket: "b", Key: "k"}},
		{"unknown service", "PUT", "/", nil, Request{Op: OpUnknown}},
		{"unknown bucket post", "POST", "/b?select", nil, Request{Op: OpUnknown, Bucket: "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, http.NoBody)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if got := Classify(r); got != tt.want {
				t.Errorf("Classify(%s %q) = %+v, want %+v", tt.method, tt.target, got, tt.want)
			}
		})
	}
}

func TestOpWrites(t *testing.T) {
	tests := []struct {
		op   Op
		want bool
	}{
		{OpPutObject, true}, {OpCompleteMultipartUpload, true}, {OpDeleteObjects, true},
		{OpGetObject, false}, {OpHeadObject, false}, {OpListObjectsV2, false}, {OpListMultipartUploads, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.op), func(t *testing.T) {
			if got := tt.op.Writes(); got != tt.want {
				t.Errorf("%s.Writes() = %v, want %v", tt.op, got, tt.want)
			}
		})
	}
}
