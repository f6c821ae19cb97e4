package storage

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Direct uploads: a browser sends the parts of a multipart upload straight
// to S3 with presigned URLs (PresignDirect), while the server creates,
// lists, completes and aborts it here, and looks at what was stored
// (ReadHead). The bytes never pass through the server.

// MaxParts is S3's limit on the parts of one multipart upload; every
// part but the last must hold at least MinPartSize bytes.
const MaxParts = 10000

// PartLister is the optional capability of an API to list the parts of a
// multipart upload, which ListParts needs. *s3.Client has it.
type PartLister interface {
	ListParts(context.Context, *s3.ListPartsInput, ...func(*s3.Options)) (*s3.ListPartsOutput, error)
}

// Upload is an open multipart upload.
type Upload struct {
	Name string // what it completes to, relative to the location
	Key  string // the S3 key
	ID   string // S3's upload id
}

// Part is one uploaded part of a multipart upload.
type Part struct {
	Number int32
	ETag   string // as S3 gives it, quoted
	Size   int64
	// ChecksumSHA256 is the part's SHA-256 (base64) when it was sent with
	// one (DirectOptions.ChecksumSHA256); CompleteUpload passes it on, as
	// S3 requires of such parts.
	ChecksumSHA256 string
}

// UploadOptions adjusts one CreateUpload. A nil *UploadOptions is the
// zero value.
type UploadOptions struct {
	// Params are written on the object, merged over the storage's
	// ObjectParameters, hook and DefaultACL as Put merges them. Set
	// ContentType: no bytes are there to sniff. SSE-C cannot be used: the
	// browser would have to send the key with every part.
	Params ObjectParameters

	// Conflict is the policy when the name is taken now: rename (a "_"
	// and 7 random characters before the extension), fail with ErrExist,
	// or overwrite. Default: the storage's FileOverwrite, as in Put. The
	// check is advisory (another upload may take the name before this one
	// completes): complete with CompleteOptions.IfNoneMatch to be sure.
	Conflict Conflict

	// MaxLength, when positive, bounds the final name to that many runes,
	// as SaveOptions.MaxLength does: a longer name has the end of its root
	// cut (or, with ConflictRename, is renamed at once within the bound).
	// It bounds the name, not the size: bound the size with the parts
	// (MaxParts, the sizes ListParts reports) before CompleteUpload.
	MaxLength int
}

// CreateUpload starts a multipart upload of name, whose parts a client
// then sends with presigned UploadPart URLs. The name is chosen first, as
// Put chooses it (the conflict policy, MaxLength), and the object's
// parameters then asked for the name chosen (ObjectParametersFunc gets
// the final name). No checksum algorithm is set, so parts are sent
// without checksums, as browsers send them.
func (s *Storage) CreateUpload(ctx context.Context, name string, opts *UploadOptions) (Upload, error) {
	const op = "create-upload"
	if opts == nil {
		opts = &UploadOptions{}
	}
	clean, key, err := s.objectKey(op, name)
	if err != nil {
		return Upload{}, err
	}
	if opts.Params.SSECustomerKey != "" || s.opts.ObjectParameters.SSECustomerKey != "" {
		return Upload{}, opError(op, key, errSSECDirect)
	}
	if clean, err = s.availableName(ctx, op, clean, s.conflictPolicy(opts.Conflict), opts.MaxLength); err != nil {
		return Upload{}, err
	}
	key = s.key(clean)
	p, err := s.mergeParams(clean, key, opts.Params, "", "")
	if err != nil {
		return Upload{}, opError(op, key, err)
	}
	if p.SSECustomerKey != "" {
		return Upload{}, opError(op, key, errSSECDirect)
	}
	in := &s3.CreateMultipartUploadInput{}
	copyFields(in, p.putInput(s.opts.BucketName, key))
	in.ChecksumAlgorithm = ""
	out, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return Upload{}, opError(op, key, err)
	}
	return Upload{Name: clean, Key: key, ID: aws.ToString(out.UploadId)}, nil
}

var errSSECDirect = errors.New("SSE-C cannot be used for direct uploads")

// ListParts lists every part uploaded so far, in part-number order,
// paging through S3's answers; it stops past MaxParts parts. It needs an
// API with ListParts (a PartLister).
func (s *Storage) ListParts(ctx context.Context, name, uploadID string) ([]Part, error) {
	const op = "list-parts"
	_, key, err := s.objectKey(op, name)
	if err != nil {
		return nil, err
	}
	lister, ok := s.client.(PartLister)
	if !ok {
		return nil, opError(op, key, errors.New("the S3 client cannot list parts (no ListParts method)"))
	}
	in := &s3.ListPartsInput{Bucket: aws.String(s.opts.BucketName), Key: aws.String(key), UploadId: aws.String(uploadID)}
	var parts []Part
	for len(parts) <= MaxParts { // each page adds a part: the loop ends
		out, err := lister.ListParts(ctx, in)
		if err != nil {
			return nil, opError(op, key, err)
		}
		for _, p := range out.Parts {
			parts = append(parts, Part{Number: aws.ToInt32(p.PartNumber), ETag: aws.ToString(p.ETag), Size: aws.ToInt64(p.Size),
				ChecksumSHA256: aws.ToString(p.ChecksumSHA256)})
		}
		if !aws.ToBool(out.IsTruncated) || len(out.Parts) == 0 {
			break
		}
		in.PartNumberMarker = out.NextPartNumberMarker
	}
	slices.SortFunc(parts, func(a, b Part) int { return int(a.Number - b.Number) })
	return parts, nil
}

// CompleteOptions adjusts one CompleteUpload. A nil *CompleteOptions is
// the zero value.
type CompleteOptions struct {
	// IfNoneMatch makes the completion a conditional create: when an
	// object is at the name already, it fails with ErrExist and the upload
	// stays open. It follows ConditionalWrites as Put does: with it on,
	// the completion carries If-None-Match: *; with it off (or after the
	// server answered 501 to the header), the name is checked first and
	// the completion sent without the header, which a concurrent writer
	// can race.
	IfNoneMatch bool
}

// CompleteUpload completes a multipart upload with parts, in part-number
// order, and returns what was stored (Name, Key, Size, ETag).
//
// When the answer is lost and the SDK's retry finds the upload gone
// (NoSuchUpload) or the name taken (412), the object at the name is
// compared with the one these parts make (S3's multipart ETag, the MD5
// of the parts' MD5s): when they agree, the first attempt succeeded, and
// so does CompleteUpload.
func (s *Storage) CompleteUpload(ctx context.Context, name, uploadID string, parts []Part, opts *CompleteOptions) (Info, error) {
	const op = "complete-upload"
	clean, key, err := s.objectKey(op, name)
	if err != nil {
		return Info{}, err
	}
	in := &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(s.opts.BucketName), Key: aws.String(key), UploadId: aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{},
	}
	var size int64
	for _, p := range parts {
		in.MultipartUpload.Parts = append(in.MultipartUpload.Parts, types.CompletedPart{PartNumber: aws.Int32(p.Number), ETag: aws.String(p.ETag),
			ChecksumSHA256: str0(p.ChecksumSHA256)})
		size += p.Size
	}
	info := Info{Name: clean, Key: key, Size: size}
	out, err := s.complete(ctx, op, clean, in, opts != nil && opts.IfNoneMatch)
	if err == nil {
		info.ETag = aws.ToString(out.ETag)
		return info, nil
	}
	if errors.Is(err, ErrNoUpload) || errors.Is(err, ErrExist) {
		if etag, ok := s.completedBefore(ctx, clean, parts); ok {
			info.ETag = etag
			return info, nil
		}
	}
	return Info{}, err
}

// complete sends the completion, conditional on the name being free when
// create is set, as ConditionalWrites says: If-None-Match: *, or a check
// first. A 501 to the header is answered as Put answers it: the same
// completion once more checked-then-sent, and when that works the server
// is taken to lack conditional writes.
func (s *Storage) complete(ctx context.Context, op, clean string, in *s3.CompleteMultipartUploadInput, create bool) (*s3.CompleteMultipartUploadOutput, error) {
	key := aws.ToString(in.Key)
	refused := false // a 501 to If-None-Match
	if create && s.conditional.Load() {
		in.IfNoneMatch = aws.String("*")
		out, err := s.client.CompleteMultipartUpload(ctx, in)
		if !isKind(err, errNotImplemented) {
			return out, createError(op, key, err)
		}
		in.IfNoneMatch, refused = nil, true
	}
	if create {
		if err := s.nameFree(ctx, op, clean); err != nil {
			return nil, err
		}
	}
	out, err := s.client.CompleteMultipartUpload(ctx, in)
	if err != nil {
		return nil, createError(op, key, err)
	}
	if refused && s.conditional.Load() {
		s.noConditionalWrites(ctx) // the completion without the header worked
	}
	return out, nil
}

// nameFree fails with ErrExist when an object is at clean: the check of
// check-then-write.
func (s *Storage) nameFree(ctx context.Context, op, clean string) error {
	taken, err := s.Exists(ctx, clean)
	switch {
	case err != nil:
		return err
	case taken:
		return &Error{Op: op, Key: s.key(clean), kind: ErrExist}
	}
	return nil
}

// completedBefore reports whether the object at clean is the one parts
// make, by its multipart ETag: a completion whose answer was lost.
func (s *Storage) completedBefore(ctx context.Context, clean string, parts []Part) (string, bool) {
	want, ok := MultipartETag(parts)
	if !ok {
		return "", false
	}
	got, err := s.Stat(ctx, clean)
	return got.ETag, err == nil && got.ETag == want
}

// MultipartETag returns the ETag S3 gives the object that parts complete
// to: the MD5 of the parts' binary MD5s, "-" and their number, quoted.
// ok is false when a part's ETag is not an MD5 (SSE-KMS, some servers).
func MultipartETag(parts []Part) (etag string, ok bool) {
	h := md5.New()
	for _, p := range parts {
		sum, err := hex.DecodeString(strings.Trim(p.ETag, `"`))
		if err != nil || len(sum) != md5.Size {
			return "", false
		}
		h.Write(sum)
	}
	return `"` + hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts)) + `"`, len(parts) > 0
}

// AbortUpload aborts a multipart upload, freeing its parts. An upload
// that is gone already (completed or aborted) is not an error.
func (s *Storage) AbortUpload(ctx context.Context, name, uploadID string) error {
	const op = "abort-upload"
	_, key, err := s.objectKey(op, name)
	if err != nil {
		return err
	}
	_, err = s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(s.opts.BucketName), Key: aws.String(key), UploadId: aws.String(uploadID),
	})
	if err = opError(op, key, err); isKind(err, ErrNoUpload) {
		return nil
	}
	return err
}

// createError is opError for a call that creates an object only if the
// name is free (If-None-Match: *): S3's 412 then means the name is taken,
// ErrExist.
func createError(op, key string, err error) error {
	err = opError(op, key, err)
	if e, ok := err.(*Error); ok && e.kind == errPrecondition {
		e.kind = ErrExist
	}
	return err
}
