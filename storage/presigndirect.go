package storage

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"
)

// DirectOp is an S3 call a client may be given a presigned URL for in a
// direct upload. There is none that reads, lists or deletes objects: a
// URL made here can only add bytes to a name, or manage an upload.
type DirectOp uint8

// The operations PresignDirect signs.
const (
	DirectPutObject      DirectOp = iota + 1 // PUT name
	DirectCreateUpload                       // POST name?uploads
	DirectUploadPart                         // PUT name?partNumber&uploadId
	DirectListParts                          // GET name?uploadId
	DirectCompleteUpload                     // POST name?uploadId
	DirectAbortUpload                        // DELETE name?uploadId
)

// String returns the S3 operation's name, such as "UploadPart".
func (op DirectOp) String() string {
	switch op {
	case DirectPutObject:
		return "PutObject"
	case DirectCreateUpload:
		return "CreateMultipartUpload"
	case DirectUploadPart:
		return "UploadPart"
	case DirectListParts:
		return "ListParts"
	case DirectCompleteUpload:
		return "CompleteMultipartUpload"
	case DirectAbortUpload:
		return "AbortMultipartUpload"
	}
	return "DirectOp(" + strconv.Itoa(int(op)) + ")"
}

// DirectOptions adjusts one PresignDirect. A nil *DirectOptions is the
// zero value.
type DirectOptions struct {
	// UploadID is S3's id of the upload: required by every operation but
	// DirectPutObject and DirectCreateUpload, refused by those.
	UploadID string

	// PartNumber is the part of a DirectUploadPart, 1 to MaxParts.
	PartNumber int32

	// Expire is how long the URL stays valid. Default: the storage's
	// QuerystringExpire. At most 7 days.
	Expire time.Duration

	// ChecksumSHA256, when set, is the SHA-256 (32 bytes) of the bytes a
	// DirectPutObject or DirectUploadPart sends, as the client computed
	// it: it is signed as the x-amz-checksum-sha256 header, which the
	// client must send (see PresignedRequest.Header), and S3 refuses other
	// bytes (400 BadDigest). Only when it is set is a checksum signed: a
	// browser that cannot send one (Uppy) gets URLs that sign the host
	// alone. Refused by the other operations.
	ChecksumSHA256 []byte

	// ContentType, when set, is signed as the Content-Type header of a
	// DirectPutObject or DirectCreateUpload, which the client must send
	// as it is (see PresignedRequest.Header): S3 refuses another type, or
	// none (403 SignatureDoesNotMatch), so the object, or the upload's
	// object, gets this one. It is a media type, printable ASCII, such
	// as the "image/png" of a browser's File.type, compared as SigV4
	// compares header values (spaces trimmed, runs of them one space)
	// and otherwise byte for byte: "image/PNG" is another type. Refused
	// by the other operations. Empty: any type, or none, is accepted.
	ContentType string

	// ContentLength, when not zero, is signed as the Content-Length
	// header of a DirectPutObject: S3 refuses a body of another length
	// (403 SignatureDoesNotMatch). A positive value is that length, at
	// most MaxPartSize (S3's largest PUT); ZeroLength signs an empty
	// body. Zero signs no length: any body S3 takes (5 GiB) is accepted.
	// A browser sets Content-Length itself, from the body: it is in
	// PresignedRequest.Header for the other clients. Refused by the other
	// operations (a part's length is not known in advance by Uppy, and
	// CreateMultipartUpload sends none).
	ContentLength int64
}

// ZeroLength is DirectOptions.ContentLength for an empty body: 0 there
// signs no length at all.
const ZeroLength int64 = -1

// PresignedRequest is a presigned URL and the method to call it with. No
// header is signed but Host and those of Header: without a signed
// Content-Type the client may send any, and it must send no checksum it
// was not asked for.
type PresignedRequest struct {
	Method  string    `json:"method"`
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
	// Header holds the signed headers the client must send, as they are:
	// Content-Type with DirectOptions.ContentType, Content-Length with
	// DirectOptions.ContentLength, X-Amz-Checksum-Sha256 with
	// DirectOptions.ChecksumSHA256; nil without any.
	Header map[string]string `json:"headers,omitempty"`
}

// PresignDirect returns a presigned URL with which a client makes one S3
// call of a direct upload on name: op with the upload id and part number
// of opts, on the bucket's S3 endpoint (never a custom domain).
//
// A URL signs the host alone unless asked for more: no content type, no
// length, no checksum, as a browser that PUTs a slice of a file (Uppy's
// AwsS3 plugin) sends no type and no checksum, and a PUT of any bytes,
// with any type, then works. DirectOptions asks for more: a checksum of a
// PUT's bytes (ChecksumSHA256), the type of a new object
// (ContentType), the length of a PutObject (ContentLength). Each is then
// a signed header (PresignedRequest.Header), which the client must send
// as it is, and S3 refuses a request that differs.
//
// As URL, it never outlives the credentials that sign it: when they expire
// before the URL would, they are refreshed first if the storage caches
// them, and the URL's life is lowered to what is left of theirs when they
// still expire first; PresignedRequest.Expires says when it stops working.
// It makes no network call but, when they expire, to refresh the
// credentials.
func (s *Storage) PresignDirect(ctx context.Context, op DirectOp, name string, opts *DirectOptions) (*PresignedRequest, error) {
	const verb = "presign-direct"
	if opts == nil {
		opts = &DirectOptions{}
	}
	_, key, err := s.objectKey(verb, name)
	if err != nil {
		return nil, err
	}
	method, query, err := op.request(opts)
	if err != nil {
		return nil, opError(verb, key, err)
	}
	exp, err := s.presignExpiry(opts.Expire)
	if err != nil {
		return nil, opError(verb, key, err)
	}
	header, err := op.header(opts)
	if err != nil {
		return nil, opError(verb, key, err)
	}
	pr, err := s.signDirect(ctx, method, key, query, header, exp)
	if err != nil {
		return nil, opError(verb, key, err)
	}
	return pr, nil
}

// header returns the headers to sign besides the host, checked: the
// content type, the length and the checksum of opts, for the operations
// they describe, as [lower-case name, value] sorted by name.
func (op DirectOp) header(opts *DirectOptions) ([][2]string, error) {
	var h [][2]string
	if opts.ContentLength != 0 {
		switch n := opts.ContentLength; {
		case op != DirectPutObject:
			return nil, fmt.Errorf("%v: a content length is signed for PutObject only", op)
		case n == ZeroLength:
			h = append(h, [2]string{"content-length", "0"})
		case n < 0 || n > MaxPartSize:
			return nil, fmt.Errorf("content length %d is not between 1 and %d (ZeroLength for an empty body)", n, int64(MaxPartSize))
		default:
			h = append(h, [2]string{"content-length", strconv.FormatInt(n, 10)})
		}
	}
	if opts.ContentType != "" {
		ct := canonicalHeaderValue(opts.ContentType)
		if op != DirectPutObject && op != DirectCreateUpload {
			return nil, fmt.Errorf("%v: a content type is signed for PutObject and CreateMultipartUpload only", op)
		}
		if err := checkSignedType(ct); err != nil {
			return nil, err
		}
		h = append(h, [2]string{"content-type", ct})
	}
	if opts.ChecksumSHA256 != nil {
		switch {
		case op != DirectPutObject && op != DirectUploadPart:
			return nil, fmt.Errorf("%v sends no bytes to check a checksum of", op)
		case len(opts.ChecksumSHA256) != sha256.Size:
			return nil, fmt.Errorf("ChecksumSHA256 holds %d bytes, not %d", len(opts.ChecksumSHA256), sha256.Size)
		}
		h = append(h, [2]string{"x-amz-checksum-sha256", base64.StdEncoding.EncodeToString(opts.ChecksumSHA256)})
	}
	return h, nil
}

// checkSignedType checks a content type to sign: printable ASCII (a
// header value the client can send as it is) and a media type.
func checkSignedType(ct string) error {
	for i := 0; i < len(ct); i++ {
		if ct[i] < 0x20 || ct[i] > 0x7e {
			return fmt.Errorf("content type %q holds a byte that is not printable ASCII", ct)
		}
	}
	if _, _, err := mime.ParseMediaType(ct); err != nil {
		return fmt.Errorf("content type %q is not a media type: %w", ct, err)
	}
	return nil
}

// headerNames are the names PresignedRequest.Header gives the signed
// headers.
var headerNames = map[string]string{
	"content-length":        "Content-Length",
	"content-type":          "Content-Type",
	"x-amz-checksum-sha256": "X-Amz-Checksum-Sha256",
}

// request returns the method and the extra query parameters of op,
// checking opts.
func (op DirectOp) request(opts *DirectOptions) (string, [][2]string, error) {
	withID := op != DirectPutObject && op != DirectCreateUpload
	switch {
	case op < DirectPutObject || op > DirectAbortUpload:
		return "", nil, fmt.Errorf("%v cannot be presigned for a direct upload", op)
	case withID != (opts.UploadID != ""):
		return "", nil, fmt.Errorf("%v: an upload id is required by every operation but PutObject and CreateMultipartUpload, and only by them", op)
	case (op == DirectUploadPart) != (opts.PartNumber != 0):
		return "", nil, fmt.Errorf("%v: a part number is for UploadPart only, and required by it", op)
	case opts.PartNumber < 0 || opts.PartNumber > MaxParts:
		return "", nil, fmt.Errorf("part number %d is not between 1 and %d", opts.PartNumber, MaxParts)
	}
	var q [][2]string
	if withID {
		q = append(q, [2]string{"uploadId", opts.UploadID})
	}
	switch op {
	case DirectPutObject:
		return http.MethodPut, q, nil
	case DirectCreateUpload:
		return http.MethodPost, append(q, [2]string{"uploads", ""}), nil
	case DirectUploadPart:
		return http.MethodPut, append(q, [2]string{"partNumber", strconv.Itoa(int(opts.PartNumber))}), nil
	case DirectListParts:
		return http.MethodGet, q, nil
	case DirectCompleteUpload:
		return http.MethodPost, q, nil
	}
	return http.MethodDelete, q, nil
}

// signDirect presigns method on key for exp at the bucket's S3 endpoint
// as the SDK resolves it (virtual-hosted or path style, FIPS, dual-stack),
// clamped to the signing credentials' life, with URL's SigV4 presigner
// (presign.go: no SDK signer, a few allocations). header holds the
// headers signed besides the host (DirectOp.header), which the client
// must send: they stay headers (not hoisted into the query), as S3 checks
// the request against them.
func (s *Storage) signDirect(ctx context.Context, method, key string, query, header [][2]string, exp time.Duration) (*PresignedRequest, error) {
	d := &s.urls.direct
	switch {
	case d.pre == nil:
		return nil, d.err
	case d.scheme != "sigv4":
		return nil, fmt.Errorf("the %s auth scheme of this bucket cannot presign direct uploads", d.scheme)
	}
	now := s.urls.now()
	signAt := time.Unix(now.Unix(), 0)
	r := presignRequest{ep: &d.ep, key: key, method: method, expires: int64(exp / time.Second), query: query, now: now, signAt: signAt, headers: header}
	pr := &PresignedRequest{Method: method}
	if len(header) > 0 {
		pr.Header = make(map[string]string, len(header))
		for _, h := range header {
			pr.Header[headerNames[h[0]]] = h[1]
		}
	}
	u, err := d.pre.presign(ctx, &r)
	if err != nil {
		return nil, err
	}
	pr.URL, pr.Expires = u, time.Unix(signAt.Unix()+r.expires, 0).UTC()
	return pr, nil
}
