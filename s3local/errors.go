package s3local

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// Error is an S3 error response. Handlers produce it for every refused
// request, and Options.Intercept returns it to inject faults: the server then
// writes it as S3 does, an XML document
//
//	<Error><Code/><Message/><Resource/><RequestId/><HostId/></Error>
//
// with StatusCode, or with no body for HEAD requests.
type Error struct {
	// StatusCode is the HTTP status. When zero, the status S3 uses for Code
	// is taken (for instance 503 for "SlowDown", 404 for "NoSuchKey"), or
	// 500 when Code is not one this package knows.
	StatusCode int
	// Code is the S3 error code, such as "InternalError" or "SlowDown".
	// When empty, "InternalError" is written.
	Code string
	// Message is the human-readable message. When empty, a generic one is
	// written.
	Message string
	// Resource is the bucket or object the error concerns. When empty, the
	// request path is written.
	Resource string
	// Header holds extra response headers, such as Retry-After.
	Header http.Header
	// Disconnect, when not nil, replaces the error response with an
	// abruptly closed connection; see Disconnect. The other fields are then
	// unused.
	Disconnect *Disconnect

	// extra holds further elements of the XML document, in order.
	extra [][2]string
}

// Disconnect describes a simulated server crash. Returned in an Error by
// Options.Intercept, it makes the server close the connection without a
// complete response. There are two forms:
//
//   - Respond false: the server reads AfterRequestBytes bytes of the request
//     body (0: none), then closes the connection without sending anything.
//     The operation does not run.
//   - Respond true: the operation runs normally (its effects are kept), the
//     status line and headers are sent, then AfterResponseBytes bytes of the
//     response body, and the connection is closed. A response body shorter
//     than AfterResponseBytes is sent whole.
//
// HangUp and CutResponse build the two forms.
type Disconnect struct {
	// AfterRequestBytes is how much of the request body is read before the
	// connection is closed, when Respond is false.
	AfterRequestBytes int64
	// Respond selects the second form: run the operation, then cut the
	// response body.
	Respond bool
	// AfterResponseBytes is how much of the response body is sent before the
	// connection is closed, when Respond is true.
	AfterResponseBytes int64
}

// HangUp returns an Error that makes the server read afterRequestBytes bytes
// of the request body and then close the connection without answering, as a
// server that dies mid-request would.
func HangUp(afterRequestBytes int64) *Error {
	return &Error{Disconnect: &Disconnect{AfterRequestBytes: afterRequestBytes}}
}

// CutResponse returns an Error that lets the operation run, then closes the
// connection after afterResponseBytes bytes of the response body, as a
// server that dies mid-response would (the client sees a short body).
func CutResponse(afterResponseBytes int64) *Error {
	return &Error{Disconnect: &Disconnect{Respond: true, AfterResponseBytes: afterResponseBytes}}
}

// Error returns "Code: Message", so that *Error is an error.
func (e *Error) Error() string {
	return e.code() + ": " + e.message()
}

// Status returns the HTTP status the error is written with.
func (e *Error) Status() int {
	if e.StatusCode != 0 {
		return e.StatusCode
	}
	if s, ok := errorStatus[e.code()]; ok {
		return s
	}
	return http.StatusInternalServerError
}

func (e *Error) code() string {
	if e.Code == "" {
		return "InternalError"
	}
	return e.Code
}

func (e *Error) message() string {
	if e.Message != "" {
		return e.Message
	}
	if m, ok := errorMessage[e.code()]; ok {
		return m
	}
	return "We encountered an internal error. Please try again."
}

// with returns e with an extra XML element.
func (e *Error) with(name, value string) *Error {
	e.extra = append(e.extra, [2]string{name, value})
	return e
}

// errorStatus maps S3 error codes to their HTTP status.
var errorStatus = map[string]int{
	"AccessDenied":                      403,
	"AuthorizationHeaderMalformed":      400,
	"AuthorizationQueryParametersError": 400,
	"BadDigest":                         400,
	"BadRequest":                        400,
	"BucketAlreadyExists":               409,
	"BucketAlreadyOwnedByYou":           409,
	"BucketNotEmpty":                    409,
	"ConditionalRequestConflict":        409,
	"EntityTooLarge":                    400,
	"EntityTooSmall":                    400,
	"ExpiredToken":                      400,
	"IncompleteBody":                    400,
	"InternalError":                     500,
	"InvalidAccessKeyId":                403,
	"InvalidArgument":                   400,
	"InvalidBucketName":                 400,
	"InvalidDigest":                     400,
	"InvalidPart":                       400,
	"InvalidPartNumber":                 416,
	"InvalidPartOrder":                  400,
	"InvalidPolicyDocument":             400,
	"InvalidRange":                      416,
	"InvalidRequest":                    400,
	"InvalidStorageClass":               400,
	"InvalidTag":                        400,
	"InvalidToken":                      400,
	"KeyTooLongError":                   400,
	"MalformedPOSTRequest":              400,
	"MalformedXML":                      400,
	"MaxMessageLengthExceeded":          400,
	"MaxPOSTPreDataLengthExceeded":      400,
	"MetadataTooLarge":                  400,
	"RequestHeaderSectionTooLarge":      400,
	"MethodNotAllowed":                  405,
	"MissingContentLength":              411,
	"NoSuchBucket":                      404,
	"NoSuchKey":                         404,
	"NoSuchUpload":                      404,
	"NotImplemented":                    501,
	"PreconditionFailed":                412,
	"RequestTimeTooSkewed":              403,
	"RequestTimeout":                    400,
	"ServiceUnavailable":                503,
	"SignatureDoesNotMatch":             403,
	"SlowDown":                          503,
	"XAmzContentSHA256Mismatch":         400,
}

// errorMessage holds S3's usual message for each code.
var errorMessage = map[string]string{
	"AccessDenied":                 "Access Denied",
	"BadDigest":                    "The Content-MD5 you specified did not match what we received.",
	"BucketAlreadyOwnedByYou":      "Your previous request to create the named bucket succeeded and you already own it.",
	"BucketNotEmpty":               "The bucket you tried to delete is not empty",
	"EntityTooLarge":               "Your proposed upload exceeds the maximum allowed size",
	"EntityTooSmall":               "Your proposed upload is smaller than the minimum allowed object size.",
	"IncompleteBody":               "You did not provide the number of bytes specified by the Content-Length HTTP header.",
	"InvalidAccessKeyId":           "The AWS Access Key Id you provided does not exist in our records.",
	"InvalidBucketName":            "The specified bucket is not valid.",
	"InvalidDigest":                "The Content-MD5 you specified is not valid.",
	"InvalidPart":                  "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
	"InvalidPartOrder":             "The list of parts was not in ascending order. Parts must be ordered by part number.",
	"InvalidRange":                 "The requested range is not satisfiable",
	"InvalidToken":                 "The provided token is malformed or otherwise invalid.",
	"KeyTooLongError":              "Your key is too long",
	"MalformedXML":                 "The XML you provided was not well-formed or did not validate against our published schema",
	"MaxMessageLengthExceeded":     "Your request was too big.",
	"MetadataTooLarge":             "Your metadata headers exceed the maximum allowed metadata size",
	"RequestHeaderSectionTooLarge": "Your request header section exceeds the maximum allowed size.",
	"MethodNotAllowed":             "The specified method is not allowed against this resource.",
	"MissingContentLength":         "You must provide the Content-Length HTTP header.",
	"NoSuchBucket":                 "The specified bucket does not exist",
	"NoSuchKey":                    "The specified key does not exist.",
	"NoSuchUpload":                 "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
	"NotImplemented":               "A header you provided implies functionality that is not implemented",
	"PreconditionFailed":           "At least one of the pre-conditions you specified did not hold",
	"RequestTimeTooSkewed":         "The difference between the request time and the current time is too large.",
	"ServiceUnavailable":           "Please reduce your request rate.",
	"SignatureDoesNotMatch":        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
	"SlowDown":                     "Please reduce your request rate.",
	"XAmzContentSHA256Mismatch":    "The provided 'x-amz-content-sha256' header does not match what was computed.",
}

// newError returns an Error with code and message (S3's usual message when
// message is empty).
func newError(code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// xmlBody returns the XML document of the error.
func (e *Error) xmlBody(resource, requestID, hostID string) []byte {
	if e.Resource != "" {
		resource = e.Resource
	}
	var b strings.Builder
	b.WriteString(xmlHeader)
	b.WriteString("<Error>")
	writeElem(&b, "Code", e.code())
	writeElem(&b, "Message", e.message())
	for _, kv := range e.extra {
		writeElem(&b, kv[0], kv[1])
	}
	writeElem(&b, "Resource", resource)
	writeElem(&b, "RequestId", requestID)
	writeElem(&b, "HostId", hostID)
	b.WriteString("</Error>")
	return []byte(b.String())
}

func writeElem(b *strings.Builder, name, value string) {
	b.WriteString("<" + name + ">")
	xmlEscape(b, value)
	b.WriteString("</" + name + ">")
}

func itoa(n int) string { return strconv.Itoa(n) }

// Is reports whether e is the S3 error of target, one of the errors a
// Store reports: errors.Is(err, ErrBucketExists) holds for an *Error of
// code BucketAlreadyOwnedByYou.
func (e *Error) Is(target error) bool {
	code, ok := map[error]string{
		ErrNoSuchBucket:   "NoSuchBucket",
		ErrNoSuchKey:      "NoSuchKey",
		ErrNoSuchUpload:   "NoSuchUpload",
		ErrBucketExists:   "BucketAlreadyOwnedByYou",
		ErrBucketNotEmpty: "BucketNotEmpty",
	}[target]
	return ok && e.Code == code
}

// storeError maps an error of the Store to the S3 error of rc.
func (s *Server) storeError(rc *reqCtx, err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, ErrNoSuchBucket):
		return noSuchBucket(rc.bucket)
	case errors.Is(err, ErrNoSuchKey):
		return noSuchKey(rc.key)
	case errors.Is(err, ErrNoSuchUpload):
		return noSuchUpload(rc.q.Get("uploadId"))
	case errors.Is(err, ErrBucketExists):
		return newError("BucketAlreadyOwnedByYou", "").with("BucketName", rc.bucket)
	case errors.Is(err, ErrBucketNotEmpty):
		return newError("BucketNotEmpty", "").with("BucketName", rc.bucket)
	}
	return s.internal(rc, err)
}

// internal logs err and returns an InternalError that does not show it.
func (s *Server) internal(rc *reqCtx, err error) *Error {
	s.logf("s3local: %s %s/%s: %v", rc.op, rc.bucket, rc.key, err)
	return newError("InternalError", "")
}
