package handler

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/s3kit/s3kit/storage"
)

// Error is an error answered to the client: an HTTP status, a stable
// machine-readable code and a message safe to show. Hooks (Authorize,
// Key, OnSaved) return an *Error to choose the answer; any other error
// they return is answered with a generic 500 and logged.
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
	CodeInternal             = "internal_error"
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

var (
	errMethod      = newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use POST")
	errNoFile      = newError(http.StatusBadRequest, CodeNoFile, "the request holds no file")
	errTooManyFile = newError(http.StatusRequestEntityTooLarge, CodeTooManyFiles, "too many files")
	errTooManyFlds = newError(http.StatusRequestEntityTooLarge, CodeTooManyFields, "too many form fields")
	errFieldsSize  = newError(http.StatusRequestEntityTooLarge, CodeFieldsTooLarge, "the form fields are too large")
	errHeaderSize  = newError(http.StatusRequestEntityTooLarge, CodeHeaderTooLarge, "a part header is too large")
	errInternal    = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal server error"}
)

// errorBody is the JSON every error is answered with.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// classify turns any error met while serving a request into the *Error
// answered for it. bodyErr is the first error the request body gave, which
// explains a failure better than whatever layer reported it.
func classify(err, bodyErr, partErr error, r *http.Request) *Error {
	for _, e := range []error{bodyErr, partErr, err} {
		if e == nil {
			continue
		}
		var he *Error
		if errors.As(e, &he) {
			return he
		}
		var mbe *http.MaxBytesError
		if errors.As(e, &mbe) {
			return newError(http.StatusRequestEntityTooLarge, CodeRequestTooLarge, "the request body is larger than %d bytes", mbe.Limit)
		}
		if (e == bodyErr || e == partErr) && isTimeout(e) {
			// Only the client's body: a timeout talking to S3 is ours (500).
			return newError(http.StatusRequestTimeout, CodeRequestTimeout, "the request body was not received in time")
		}
		if e == bodyErr || e == partErr {
			// A truncated, reset or otherwise broken upload.
			return newError(http.StatusBadRequest, CodeMalformed, "the request body is malformed or incomplete")
		}
	}
	if errors.Is(err, storage.ErrInvalidName) {
		return newError(http.StatusBadRequest, CodeInvalidFilename, "the file name cannot be stored")
	}
	if errors.Is(err, storage.ErrExist) {
		// Overwrite off and another writer took the name mid-upload.
		return newError(http.StatusConflict, CodeNameTaken, "another upload took the file name; try again")
	}
	if r.Context().Err() != nil {
		return newError(http.StatusBadRequest, CodeAborted, "the request was cancelled")
	}
	return nil // unknown: a 500
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// fail answers err as JSON: the one place errors become responses. Errors
// that are not classified are logged and answered with a generic 500.
func fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err, bodyErr, partErr error) {
	he := classify(err, bodyErr, partErr, r)
	if he == nil {
		log.ErrorContext(r.Context(), "handler: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		he = errInternal
	} else {
		log.DebugContext(r.Context(), "handler: request refused", "status", he.Status, "code", he.Code, "err", err)
	}
	if he.Status == http.StatusMethodNotAllowed && w.Header().Get("Allow") == "" {
		w.Header().Set("Allow", http.MethodPost)
	}
	var body errorBody
	body.Error.Code, body.Error.Message = he.Code, he.Message
	writeJSON(w, he.Status, body)
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
