package handler

import (
	"cmp"
	"net/http"
	"path"
	"regexp"

	"github.com/s3kit/s3kit/storage"
)

// Uppy v6's signRequest mode: the browser calls S3 itself, with URLs the
// application signs. UppyHandler signs them at POST presign, for the
// calls of an upload only, and checks the file afterwards at POST
// confirm.

// signRequest is what Uppy's signRequest callback is given (@uppy/aws-s3
// v6, s3-client/types.ts PresignableRequest), posted as JSON.
type signRequest struct {
	Method     string `json:"method"`
	Key        string `json:"key"`
	UploadID   string `json:"uploadId"`
	PartNumber int32  `json:"partNumber"`
	SHA256     string `json:"sha256"` // of the bytes of a PUT, when the client computed it
	Type       string `json:"type"`   // of a new file, when the callback knows it: signed as sent
	Size       *int64 `json:"size"`   // of a new file, when the callback knows it (0: an empty file)
}

// presign answers POST presign {method, key, uploadId?, partNumber?,
// sha256?, type?, size?} with {url, method, key, headers?}: a URL for one
// S3 call, per this table, and nothing else (no GetObject or DeleteObject
// of a key):
//
//	PUT    no uploadId            PutObject of a new key, chosen here
//	POST   no uploadId            CreateMultipartUpload of a new key, chosen here
//	PUT    uploadId, partNumber   UploadPart
//	GET    uploadId               ListParts
//	POST   uploadId               CompleteMultipartUpload, once the parts are within the limits
//	DELETE uploadId               AbortMultipartUpload
//
// A new key lies in a random directory of the caller's (S3 cannot make
// the browser's writes conditional), and is answered: Uppy uses it from
// then on. Every other call's key must lie in the caller's directory.
// The URLs that send bytes live Expire, the others ControlExpire. They
// sign the host and the key; a PUT's sha256 when given; the type of a new
// file when given (PutObject and CreateMultipartUpload), exactly as sent,
// and the size of a PutObject when given: S3 then refuses another type or
// length, and headers answers what the client must send (Uppy sends the
// type and the length of the file itself). A type or size not given is
// not enforced by S3; the size of a multipart upload is checked when its
// completion is signed. The bytes are checked at confirm.
func (h *UppyHandler) presign(r *http.Request, c *caller) (any, error) {
	var req signRequest
	if err := readJSON(r, 16<<10, &req, false); err != nil {
		return nil, err
	}
	op, err := signedOp(&req, h.opts.MaxParts)
	if err != nil {
		return nil, err
	}
	if (req.Type != "" || req.Size != nil) && req.UploadID != "" {
		return nil, newError(http.StatusBadRequest, CodeMalformed, "type and size describe a new file: PutObject and CreateMultipartUpload only")
	}
	var name string
	if req.UploadID == "" {
		name, err = h.newSignedName(r, c, &req)
	} else {
		name, err = h.nameOf(c, req.Key)
	}
	if err != nil {
		return nil, err
	}
	if op == storage.DirectCompleteUpload {
		if err := h.precheck(r, name, req.UploadID); err != nil {
			return nil, err
		}
	}
	exp := h.opts.ControlExpire
	if op == storage.DirectPutObject || op == storage.DirectUploadPart {
		exp = h.opts.Expire
	}
	sum, err := partSHA256(req.SHA256)
	if err != nil {
		return nil, err
	}
	if sum != nil && op != storage.DirectPutObject && op != storage.DirectUploadPart {
		return nil, newError(http.StatusBadRequest, CodeInvalidDigest, "only a PUT sends bytes to check a sha256 of")
	}
	opts := &storage.DirectOptions{UploadID: req.UploadID, PartNumber: req.PartNumber, Expire: exp, ChecksumSHA256: sum, ContentType: req.Type}
	if op == storage.DirectPutObject && req.Size != nil {
		if *req.Size > storage.MaxPartSize {
			return nil, newError(http.StatusRequestEntityTooLarge, CodeFileTooLarge, "a PUT carries at most %d bytes: use a multipart upload", int64(storage.MaxPartSize))
		}
		opts.ContentLength = cmp.Or(*req.Size, storage.ZeroLength)
	}
	pr, err := h.s.PresignDirect(r.Context(), op, name, opts)
	if err != nil {
		return nil, storageError(r.Context(), err)
	}
	ans := map[string]any{"url": pr.URL, "method": pr.Method, "key": h.locPfx + name}
	if pr.Header != nil {
		ans["headers"] = pr.Header
	}
	return ans, nil
}

// errNotSigned refuses a call outside the table.
var errNotSigned = newError(http.StatusForbidden, CodeForbidden, "only the calls of an upload are signed")

// signedOp maps a request to its S3 operation, per presign's table.
func signedOp(req *signRequest, maxParts int) (storage.DirectOp, error) {
	switch {
	case req.PartNumber != 0 && (req.Method != http.MethodPut || req.UploadID == ""):
		return 0, errNotSigned
	case req.UploadID == "" && req.Method == http.MethodPut:
		return storage.DirectPutObject, nil
	case req.UploadID == "" && req.Method == http.MethodPost:
		return storage.DirectCreateUpload, nil
	case req.UploadID == "":
		return 0, errNotSigned // GetObject, DeleteObject, HeadObject
	}
	switch req.Method {
	case http.MethodPut:
		if req.PartNumber < 1 || int(req.PartNumber) > maxParts {
			return 0, newError(http.StatusBadRequest, CodeMalformed, "a part number is between 1 and %d", maxParts)
		}
		return storage.DirectUploadPart, nil
	case http.MethodGet:
		return storage.DirectListParts, nil
	case http.MethodPost:
		return storage.DirectCompleteUpload, nil
	case http.MethodDelete:
		return storage.DirectAbortUpload, nil
	}
	return 0, errNotSigned
}

// uppyKeyPrefix is what Uppy's default generateObjectKey puts before a
// file's name: a random UUID and "-".
var uppyKeyPrefix = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-`)

// newSignedName is the name of a new file of signRequest mode, from the
// key Uppy proposes: its base name, less Uppy's UUID prefix, in a random
// directory of the caller's. The type of its extension, and the type and
// size the request declares, are checked against the limits; presign has
// S3 enforce the declared ones.
func (h *UppyHandler) newSignedName(r *http.Request, c *caller, req *signRequest) (string, error) {
	base := uppyKeyPrefix.ReplaceAllString(path.Base(req.Key), "")
	name, err := h.newName(r, c, base, true)
	if err != nil {
		return "", err
	}
	if req.Size != nil {
		switch {
		case *req.Size < 0:
			return "", newError(http.StatusBadRequest, CodeMalformed, "size must not be negative")
		case *req.Size > h.opts.MaxFileSize:
			return "", newError(http.StatusRequestEntityTooLarge, CodeFileTooLarge, "a file is larger than %d bytes", h.opts.MaxFileSize)
		}
	}
	if ct, _ := storage.DetectContentType(name, nil); !h.check.types.accepts(ct) {
		return "", errTypeNotAllowed(ct)
	}
	if req.Type != "" {
		if !printableASCII(req.Type) {
			return "", newError(http.StatusBadRequest, CodeMalformed, "type is not a media type in printable ASCII")
		}
		if _, err := h.declare(name, req.Type); err != nil {
			return "", err
		}
	}
	return name, nil
}

// printableASCII reports whether s is a header value a browser sends as
// it is, so that a signed type can match it.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// precheck lists the parts of an upload the browser is about to complete
// and aborts it when they are over the limits: too many, too large in
// all, or too small but the last.
func (h *UppyHandler) precheck(r *http.Request, name, id string) error {
	listed, err := h.s.ListParts(r.Context(), name, id)
	if err != nil {
		return h.uploadError(r.Context(), err)
	}
	sent := make([]sentPart, len(listed))
	for i, p := range listed {
		sent[i] = sentPart{PartNumber: p.Number, ETag: p.ETag}
	}
	if _, final, err := checkParts(sent, listed, h.opts.MaxFileSize, h.opts.MaxParts); err != nil {
		if final {
			h.abortUpload(r.Context(), name, id)
		}
		return err
	}
	return nil
}

// confirm answers POST confirm {key} for a file the browser stored itself
// (signRequest mode, or a params POST): it checks the file as complete
// does, deletes it when refused, and answers {location, key, bucket,
// file}. Calling it twice checks twice (and calls OnSaved twice).
func (h *UppyHandler) confirm(r *http.Request, c *caller) (any, error) {
	var req struct {
		Key string `json:"key"`
	}
	if err := readJSON(r, 16<<10, &req, false); err != nil {
		return nil, err
	}
	name, err := h.nameOf(c, req.Key)
	if err != nil {
		return nil, err
	}
	r, cancel := h.check.detach(r)
	defer cancel()
	f, err := h.check.inspect(r, name, "")
	if err != nil {
		return nil, err
	}
	return h.saved(r.Context(), req.Key, f), nil
}
