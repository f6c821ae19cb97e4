package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Sentinel errors. Test for them with errors.Is; every error a Storage
// method returns for a named object is an *Error that wraps one of them
// when it applies.
var (
	// ErrNotExist means the object does not exist. It is fs.ErrNotExist,
	// so errors.Is(err, fs.ErrNotExist) holds as well.
	ErrNotExist = fs.ErrNotExist

	// ErrExist means the object exists and the call was asked not to
	// replace or rename it (ConflictFail). It is fs.ErrExist.
	ErrExist = fs.ErrExist

	// ErrPermission means S3 refused the call (AccessDenied, or a 403
	// without a body): the credentials lack the permission, or a bucket
	// policy forbids it. It is fs.ErrPermission.
	ErrPermission = fs.ErrPermission

	// ErrInvalidName means a name was rejected by the name cleaner:
	// traversal, an absolute path, a backslash, control, bidi or
	// invisible characters, noncharacters, invalid UTF-8, an empty name
	// or a key over 1024 bytes (see CleanName).
	ErrInvalidName = errors.New("storage: invalid name")

	// ErrDigestMismatch means the content of a Put does not have the
	// SHA-256 the caller expected (SaveOptions.ExpectSHA256): nothing was
	// stored.
	ErrDigestMismatch = errors.New("storage: the content does not match its digest")

	// ErrChecksum means bytes were damaged on their way: S3 refused a
	// write whose bytes did not match the checksum sent with them
	// (BadDigest, XAmzContentChecksumMismatch, XAmzContentSHA256Mismatch)
	// and stored nothing, or a read's bytes did not match the object's
	// checksum. Trying again may work.
	ErrChecksum = errors.New("storage: checksum mismatch")

	// ErrNoUpload means S3 knows no such multipart upload: it was
	// completed, aborted, or never existed under that key (NoSuchUpload).
	ErrNoUpload = errors.New("storage: no such multipart upload")

	// ErrPartTooSmall means a part other than the last is smaller than
	// MinPartSize (EntityTooSmall).
	ErrPartTooSmall = errors.New("storage: a part is smaller than the minimum part size")

	// ErrInvalidPart means a part named for completion was not uploaded,
	// or its ETag does not match (InvalidPart, InvalidPartOrder).
	ErrInvalidPart = errors.New("storage: a part was not uploaded or its ETag does not match")
)

// Error records a failed operation on one key. The sentinel it stands for
// (ErrNotExist, ErrExist, ErrPermission, ErrInvalidName, ErrDigestMismatch,
// ErrChecksum, ErrNoUpload, ErrPartTooSmall, ErrInvalidPart) is matched by
// errors.Is; the
// underlying SDK error, when there is one, is reachable with errors.As
// (for example *smithy.GenericAPIError or *types.NoSuchKey).
type Error struct {
	Op  string // the Storage method: "save", "open", "stat", "delete", ...
	Key string // the S3 key, or the raw name when it was rejected
	Err error  // the underlying cause; may be nil when kind says it all

	kind error // one of the sentinels, or nil
}

// Error formats the error as "storage: op "key": cause", with "storage: "
// once: a cause of this package loses its own.
func (e *Error) Error() string {
	switch {
	case e.kind != nil && e.Err != nil:
		return fmt.Sprintf("storage: %s %q: %v: %v", e.Op, e.Key, trimPrefix(e.kind), trimPrefix(e.Err))
	case e.kind != nil:
		return fmt.Sprintf("storage: %s %q: %v", e.Op, e.Key, trimPrefix(e.kind))
	default:
		return fmt.Sprintf("storage: %s %q: %v", e.Op, e.Key, trimPrefix(e.Err))
	}
}

// Unwrap returns the sentinel and the underlying error, so that both
// errors.Is(err, ErrNotExist) and errors.As(err, &apiErr) work.
func (e *Error) Unwrap() []error {
	switch {
	case e.kind != nil && e.Err != nil:
		return []error{e.kind, e.Err}
	case e.kind != nil:
		return []error{e.kind}
	default:
		return []error{e.Err}
	}
}

func trimPrefix(err error) string {
	s := err.Error()
	const p = "storage: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// opError wraps err once with op and key, classifying S3 error codes. An
// err that is already an *Error is returned as is.
func opError(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Op: op, Key: key, Err: err, kind: kindOf(err)}
}

func nameError(op, name string) error {
	return &Error{Op: op, Key: name, kind: ErrInvalidName}
}

// errPrecondition, errNotImplemented and errConditionalBusy are internal
// kinds that drive the conditional-write logic, errInvalidRange the read
// of an empty object's head; callers never see them as sentinels.
var (
	errPrecondition    = errors.New("storage: precondition failed")
	errNotImplemented  = errors.New("storage: not implemented by the server")
	errConditionalBusy = errors.New("storage: conflicting conditional write in progress")
	errInvalidRange    = errors.New("storage: the range is not satisfiable")
)

// kindOf is the one place that maps S3 error codes and statuses to
// sentinels.
func kindOf(err error) error {
	if err == nil {
		return nil
	}
	var ke *kindError
	if errors.As(err, &ke) {
		return ke.kind
	}
	if strings.HasPrefix(err.Error(), sdkChecksumMismatch) || strings.Contains(err.Error(), ": "+sdkChecksumMismatch) {
		return ErrChecksum // the SDK's check of a GET's bytes
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return ErrNotExist
		case "AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch":
			return ErrPermission
		case "KeyTooLongError":
			return ErrInvalidName
		case "PreconditionFailed":
			return errPrecondition
		case "ConditionalRequestConflict":
			return errConditionalBusy
		case "NotImplemented":
			return errNotImplemented
		case "NoSuchUpload":
			return ErrNoUpload
		case "EntityTooSmall":
			return ErrPartTooSmall
		case "InvalidPart", "InvalidPartOrder":
			return ErrInvalidPart
		case "InvalidRange":
			return errInvalidRange
		case "BadDigest", "XAmzContentChecksumMismatch", "XAmzContentSHA256Mismatch", "InvalidDigest":
			// InvalidDigest: SeaweedFS's answer to a trailer checksum that
			// does not match (s3kit sends no malformed digest).
			return ErrChecksum
		case "NoSuchBucket":
			return nil
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			// A HEAD has no body, so a missing key only shows as 404.
			return ErrNotExist
		case http.StatusForbidden:
			return ErrPermission
		case http.StatusPreconditionFailed:
			return errPrecondition
		case http.StatusNotImplemented:
			return errNotImplemented
		}
	}
	return nil
}

// sdkChecksumMismatch starts the text of the error the SDK's response
// validation returns (its type is internal to the SDK).
const sdkChecksumMismatch = "checksum did not match"

// kindError is an error of a kind found by s3kit itself rather than
// answered by S3: a digest or checksum that does not match.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }

// isKind reports whether err was classified as kind.
func isKind(err, kind error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.kind == kind
	}
	return kindOf(err) == kind
}
