package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// GetOptions are the range and the conditions of one Get, sent to S3 in
// the same request, as an HTTP proxy passes a client's on. The zero
// value gets the whole object.
type GetOptions struct {
	// Head sends a HeadObject instead of a GetObject: the answer has the
	// headers and no body.
	Head bool

	// Range is one byte range in HTTP's syntax: "bytes=0-99", "bytes=100-"
	// or "bytes=-100". A list of ranges is refused (S3 serves one).
	Range string

	// IfMatch, IfNoneMatch, IfModifiedSince and IfUnmodifiedSince are
	// the HTTP conditions, as S3 evaluates them.
	IfMatch, IfNoneMatch               string
	IfModifiedSince, IfUnmodifiedSince time.Time
}

// Object is S3's answer to a Get: the status, the headers that describe
// the object and, for a GET of the whole object or a range, its bytes.
type Object struct {
	// Status is http.StatusOK (the whole object), StatusPartialContent
	// (the range), StatusNotModified (IfNoneMatch matched, or the object
	// is not newer than IfModifiedSince), StatusPreconditionFailed
	// (IfMatch or IfUnmodifiedSince failed) or
	// StatusRequestedRangeNotSatisfiable.
	Status int

	// Body is the bytes of a 200 or 206 answer to a GET, streamed from S3
	// as they are read; nil otherwise. The caller must close it. Reads
	// use the ctx given to Get: cancelling it ends the S3 request.
	Body io.ReadCloser

	ContentLength int64  // of the body (the range, for 206); -1 when unknown
	ContentRange  string // "bytes 0-99/1000" for 206; "bytes */1000" for 416 when S3 tells
	AcceptRanges  string // "bytes", as S3 said

	ContentType, ContentEncoding, ContentDisposition, ContentLanguage string
	CacheControl, Expires                                             string // as stored
	ETag                                                              string // quoted, as S3 sends it
	LastModified                                                      time.Time
}

// Get sends one GetObject (or, with opts.Head, one HeadObject) for name
// with the range and the conditions of opts, and returns S3's answer:
// 304, 412 and 416 are answers, not errors. A missing object is
// ErrNotExist, a refused one ErrPermission. Nothing is read ahead: the
// body streams from S3 as the caller reads it, and the ctx given to Get is
// used for those reads.
func (s *Storage) Get(ctx context.Context, name string, opts *GetOptions) (*Object, error) {
	_, key, err := s.objectKey("get", name)
	if err != nil {
		return nil, err
	}
	var o GetOptions
	if opts != nil {
		o = *opts
	}
	if strings.Contains(o.Range, ",") || (o.Range != "" && !strings.HasPrefix(o.Range, "bytes=")) {
		return nil, opError("get", key, fmt.Errorf("Range must be one byte range, got %q", o.Range))
	}
	var obj *Object
	if o.Head {
		var out *s3.HeadObjectOutput
		if out, err = s.client.HeadObject(ctx, s.headObjectInput(key, &o)); err == nil {
			obj = objectOfHead(out)
		}
	} else {
		in := s.getInput(key)
		in.Range, in.IfMatch, in.IfNoneMatch = str0(o.Range), str0(o.IfMatch), str0(o.IfNoneMatch)
		in.IfModifiedSince, in.IfUnmodifiedSince = timeOrNil(o.IfModifiedSince), timeOrNil(o.IfUnmodifiedSince)
		var out *s3.GetObjectOutput
		if out, err = s.client.GetObject(ctx, in); err == nil {
			obj = objectOfGet(out)
		}
	}
	if err != nil {
		if obj = conditionalAnswer(err); obj != nil {
			return obj, nil
		}
		return nil, opError("get", key, err)
	}
	return obj, nil
}

func (s *Storage) headObjectInput(key string, o *GetOptions) *s3.HeadObjectInput {
	return &s3.HeadObjectInput{
		Bucket: aws.String(s.opts.BucketName), Key: aws.String(key),
		Range: str0(o.Range), IfMatch: str0(o.IfMatch), IfNoneMatch: str0(o.IfNoneMatch),
		IfModifiedSince: timeOrNil(o.IfModifiedSince), IfUnmodifiedSince: timeOrNil(o.IfUnmodifiedSince),
		SSECustomerAlgorithm: str0(s.opts.ObjectParameters.SSECustomerAlgorithm),
		SSECustomerKey:       str0(s.opts.ObjectParameters.SSECustomerKey),
		SSECustomerKeyMD5:    str0(s.opts.ObjectParameters.SSECustomerKeyMD5),
	}
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func objectOfGet(out *s3.GetObjectOutput) *Object {
	obj := objectOfHead(headOfGet(out))
	obj.Body = out.Body
	return obj
}

// headOfGet is the headers a GET answered with that a HEAD answers with
// too, so that one function describes an object from either: infoOf,
// objectOfHead. The checksums are left out: a ranged GET's are not the
// object's.
func headOfGet(out *s3.GetObjectOutput) *s3.HeadObjectOutput {
	return &s3.HeadObjectOutput{
		ContentLength: out.ContentLength, ContentRange: out.ContentRange, AcceptRanges: out.AcceptRanges,
		ContentType: out.ContentType, ContentEncoding: out.ContentEncoding,
		ContentDisposition: out.ContentDisposition, ContentLanguage: out.ContentLanguage,
		CacheControl: out.CacheControl, ExpiresString: out.ExpiresString, ETag: out.ETag, LastModified: out.LastModified,
		Metadata: out.Metadata,
	}
}

func objectOfHead(out *s3.HeadObjectOutput) *Object {
	obj := &Object{
		Status: http.StatusOK, ContentLength: aws.ToInt64(out.ContentLength),
		ContentRange: aws.ToString(out.ContentRange), AcceptRanges: aws.ToString(out.AcceptRanges),
		ContentType: aws.ToString(out.ContentType), ContentEncoding: aws.ToString(out.ContentEncoding),
		ContentDisposition: aws.ToString(out.ContentDisposition), ContentLanguage: aws.ToString(out.ContentLanguage),
		CacheControl: aws.ToString(out.CacheControl), Expires: aws.ToString(out.ExpiresString),
		ETag: aws.ToString(out.ETag), LastModified: utcSecond(out.LastModified),
	}
	if out.ContentLength == nil {
		obj.ContentLength = -1
	}
	if obj.ContentRange != "" {
		obj.Status = http.StatusPartialContent
	}
	return obj
}

// conditionalAnswer turns S3's answers to the conditions and the range
// of a request (304, 412, 416), which the SDK returns as errors, into an
// Object with the headers S3 sent; nil for other errors.
func conditionalAnswer(err error) *Object {
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.Response == nil {
		return nil
	}
	status := re.HTTPStatusCode()
	switch status {
	case http.StatusNotModified, http.StatusPreconditionFailed, http.StatusRequestedRangeNotSatisfiable:
	default:
		return nil
	}
	h := re.Response.Header
	obj := &Object{Status: status, ContentLength: -1, ContentRange: h.Get("Content-Range"),
		AcceptRanges: h.Get("Accept-Ranges"), CacheControl: h.Get("Cache-Control"), Expires: h.Get("Expires"),
		ETag: h.Get("ETag")}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		obj.LastModified = t.UTC()
	}
	return obj
}
