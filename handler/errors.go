package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/s3kit/s3kit/storage"
)

// Error is an error answered to the client: an HTTP status, a stable
// machine-readable code and a message safe to show. The handlers make one
// where a failure is seen (the read of the body that failed, the limit
// that was passed, the storage call that refused) and answer it as is.
// Hooks (Authorize, Key, OnSaved) return an *Error to choose the answer;
// any other error they return is answered with a generic 500 and logged.
type Error struct {
	Status  int    // the HTTP status
	Code    string // a stable code such as "file_too_large"
	Message string // a sentence for humans; never internal details
}

// Error formats the error as "handler: code: message".
func (e *Error) Error() string { return "handler: " + e.Code + ": " + e.Message }

// The codes of the errors the handlers answer with; see the package
// documentation for the status of each.
const (
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeMalformed            = "malformed_request"
	CodeNoFile               = "no_file"
	CodeInvalidFilename      = "invalid_filename"
	CodeUnexpectedField      = "unexpected_file_field"
	CodeTypeNotAllowed       = "type_not_allowed"
	CodeRequestTooLarge      = "request_too_large"
	CodeFileTooLarge         = "file_too_large"
	CodeFileTooSmall         = "file_too_small"
	CodeTooManyFiles         = "too_many_files"
	CodeTooManyFields        = "too_many_fields"
	CodeFieldsTooLarge       = "fields_too_large"
	CodeHeaderTooLarge       = "header_too_large"
	CodeNameTaken            = "name_taken"
	CodeRequestTimeout       = "request_timeout"
	CodeAborted              = "request_aborted"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeCrossOrigin          = "cross_origin_request"
	CodeNotFound             = "not_found"
	CodeUploadExpired        = "upload_expired"
	CodeTypeMismatch         = "type_mismatch"
	CodeTooManyParts         = "too_many_parts"
	CodePartTooSmall         = "part_too_small"
	CodeInvalidPart          = "invalid_part"
	CodeDigestMismatch       = "digest_mismatch"
	CodeInvalidDigest        = "invalid_digest"
	CodeInternal             = "internal_error"
	CodeNotDeleted           = "not_deleted"
)

// ErrUnauthorized and ErrForbidden are ready answers for an Authorize
// hook: 401 and 403.
var (
	ErrUnauthorized = &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "authentication required"}
	ErrForbidden    = &Error{Status: http.StatusForbidden, Code: CodeForbidden, Message: "not allowed to upload"}
)

func newError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// The fixed answers. Those that depend on a limit are made with it, once,
// by the constructors or at the read that passed it.
var (
	errMethod      = newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use POST")
	errNoFile      = newError(http.StatusBadRequest, CodeNoFile, "the request holds no file")
	errMalformed   = newError(http.StatusBadRequest, CodeMalformed, "the request body is malformed or incomplete")
	errBadFilename = newError(http.StatusBadRequest, CodeInvalidFilename, "the file name has no usable characters")
	errBadKey      = newError(http.StatusBadRequest, CodeInvalidFilename, "the file name cannot be stored")
	errTooManyFile = newError(http.StatusRequestEntityTooLarge, CodeTooManyFiles, "too many files")
	errTooManyFlds = newError(http.StatusRequestEntityTooLarge, CodeTooManyFields, "too many form fields")
	errFieldsSize  = newError(http.StatusRequestEntityTooLarge, CodeFieldsTooLarge, "the form fields are too large")
	errHeaderSize  = newError(http.StatusRequestEntityTooLarge, CodeHeaderTooLarge, "a part header is too large")
	errTimeout     = newError(http.StatusRequestTimeout, CodeRequestTimeout, "the request body was not received in time")
	errNameTaken   = newError(http.StatusConflict, CodeNameTaken, "another upload took the file name; try again")
	errAborted     = newError(http.StatusBadRequest, CodeAborted, "the request was cancelled")
	errCrossOrigin = newError(http.StatusForbidden, CodeCrossOrigin, "cross-origin requests are not accepted")
	errInternal    = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal server error"}
)

// errTypeNotAllowed refuses a file of the content type ct.
func errTypeNotAllowed(ct string) *Error {
	return newError(http.StatusUnsupportedMediaType, CodeTypeNotAllowed, "files of type %s are not accepted", mediaType(ct))
}

// notDeleted is the answer when a refused or failed upload's file could
// not be deleted: a 500 that says the file may remain, whatever the
// refusal was (why, or the error that made the deletion needed).
func notDeleted(why error) *Error {
	msg := "the upload failed"
	var he *Error
	if errors.As(why, &he) {
		msg = "the upload was refused (" + he.Message + ")"
	}
	return newError(http.StatusInternalServerError, CodeNotDeleted, "%s but its file could not be deleted: it may remain stored", msg)
}

// errRequestTooLarge is the answer to a body over MaxRequestSize.
func errRequestTooLarge(limit int64) *Error {
	return newError(http.StatusRequestEntityTooLarge, CodeRequestTooLarge, "the request body is larger than %d bytes", limit)
}

// storageError is the answer to an error of a storage call: the client's
// fault when the name cannot be stored or was taken, nobody's when the
// client left; any other error is returned as is, to be answered with a
// 500 and logged.
func storageError(ctx context.Context, err error) error {
	var he *Error
	switch {
	case errors.As(err, &he):
		return he // a Saver of the user's that chose its answer
	case errors.Is(err, storage.ErrInvalidName):
		return errBadKey
	case errors.Is(err, storage.ErrDigestMismatch):
		return errFileDigest
	case errors.Is(err, storage.ErrExist):
		// Overwrite off, and a writer that overwrites took the name of a
		// large streamed file while it uploaded.
		return errNameTaken
	case ctx.Err() != nil:
		return errAborted
	}
	return err
}

// errorBody is the JSON every error is answered with.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// fail answers err as JSON in the handlers' shape, {"error": {"code",
// "message"}}.
func fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	failAs(w, r, log, err, func(he *Error) any {
		var body errorBody
		body.Error.Code, body.Error.Message = he.Code, he.Message
		return body
	})
}

// failAs is the one place errors become responses, in the body shape
// makes. An *Error is answered as it is; any other error is logged and
// answered with a generic 500. A 405 carries Allow (POST unless set).
func failAs(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, shape func(*Error) any) {
	var he *Error
	if errors.As(err, &he) {
		log.DebugContext(r.Context(), "handler: request refused", "method", r.Method, "path", r.URL.Path, "status", he.Status, "code", he.Code)
	} else {
		log.ErrorContext(r.Context(), "handler: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		he = errInternal
	}
	if he.Status == http.StatusMethodNotAllowed && w.Header().Get("Allow") == "" {
		w.Header().Set("Allow", http.MethodPost)
	}
	writeJSON(w, he.Status, shape(he))
}

// writeJSON writes v, which always encodes, with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a bug: only fixed types come here
	}
	writeRaw(w, status, b)
}

// writeRaw writes an encoded JSON body with status.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
