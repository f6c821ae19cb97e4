package handler

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/s3kit/s3kit/storage"
)

// Companion's routes, as @uppy/aws-s3 v4 to v6 call them (Companion's
// src/server/controllers/s3.ts): the shapes of the requests and answers
// are Companion's; what is checked is this handler's.

// params answers GET params?filename=&type=&metadata[k]=v with a
// presigned POST policy for the whole file, {method, url, fields,
// expires}. The key is exact, in a random directory (a POST cannot be
// conditional), the size is bounded by MaxFileSize and the content type
// pinned. Uppy posts the fields and the file to url and takes url +
// fields.key as the file's location, so url ends in "/". Nothing calls
// the handler afterwards; a page may (confirm).
func (h *UppyHandler) params(r *http.Request, c *caller) (any, error) {
	q := r.URL.Query()
	name, err := h.newName(r, c, q.Get("filename"), true)
	if err != nil {
		return nil, err
	}
	p, err := h.declare(name, q.Get("type"))
	if err != nil {
		return nil, err
	}
	pol, err := h.s.PresignPost(r.Context(), name, &storage.PostOptions{Expire: h.opts.Expire, MaxSize: h.opts.MaxFileSize, Params: p})
	if err != nil {
		return nil, storageError(r.Context(), err)
	}
	u := pol.URL
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return map[string]any{"method": "POST", "url": u, "fields": pol.Fields, "expires": seconds(h.opts.Expire)}, nil
}

// create answers POST multipart {filename, type, metadata} with {key,
// uploadId, bucket}: the server's key, and S3's upload id bound to the
// caller (uploadid.go). The metadata is read and dropped: S3 keeps 2 KiB
// of it, and it would carry the client's text to every reader.
func (h *UppyHandler) create(r *http.Request, c *caller) (any, error) {
	var req struct {
		Filename string          `json:"filename"`
		Type     string          `json:"type"`
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := readJSON(r, 64<<10, &req, false); err != nil {
		return nil, err
	}
	name, err := h.newName(r, c, req.Filename, false)
	if err != nil {
		return nil, err
	}
	p, err := h.declare(name, req.Type)
	if err != nil {
		return nil, err
	}
	up, err := h.s.CreateUpload(r.Context(), name, &storage.UploadOptions{Params: p, Conflict: h.conflict()})
	if err != nil {
		return nil, storageError(r.Context(), err)
	}
	return map[string]string{"key": up.Key, "uploadId": h.uploadID(c.principal, up.Key, up.ID, time.Now()), "bucket": h.s.Bucket()}, nil
}

// signPart answers GET multipart/{uploadId}/{partNumber}?key= with {url,
// expires}: a presigned UploadPart that signs no content type and no
// checksum, as Uppy PUTs the slice with neither. A client that computes
// the part's SHA-256 adds &sha256= (RFC 9530 or hex): it is signed, and
// the answer's headers ({"X-Amz-Checksum-Sha256": ...}, which Uppy's
// signPart result carries as it is) must be sent with the part; S3
// refuses other bytes.
func (h *UppyHandler) signPart(r *http.Request, c *caller) (any, error) {
	name, _, id, err := h.upload(r, c, false)
	if err != nil {
		return nil, err
	}
	n, err := h.partNumber(r.PathValue("partNumber"))
	if err != nil {
		return nil, err
	}
	sum, err := partSHA256(r.URL.Query().Get("sha256"))
	if err != nil {
		return nil, err
	}
	pr, err := h.s.PresignDirect(r.Context(), storage.DirectUploadPart, name, &storage.DirectOptions{UploadID: id, PartNumber: n, Expire: h.opts.Expire, ChecksumSHA256: sum})
	if err != nil {
		return nil, storageError(r.Context(), err)
	}
	ans := map[string]any{"url": pr.URL, "expires": seconds(h.opts.Expire)}
	if pr.Header != nil {
		ans["headers"] = pr.Header
	}
	return ans, nil
}

// partSHA256 reads the optional sha256 of a part's bytes; nil when
// absent.
func partSHA256(v string) ([]byte, error) {
	if v == "" {
		return nil, nil
	}
	return fileDigest(v)
}

// maxBatch bounds the parts of one batch request.
const maxBatch = 1000

// signBatch answers GET multipart/{uploadId}/batch?key=&partNumbers=1,2
// with {presignedUrls: {"1": url, ...}}, at most 1000 parts at a time.
// A client that computes the parts' SHA-256 adds one &sha256= per part,
// in the order of partNumbers: each is signed, and the answer's headers
// ({"1": {"X-Amz-Checksum-Sha256": ...}, ...}) must be sent with the
// parts.
func (h *UppyHandler) signBatch(r *http.Request, c *caller) (any, error) {
	name, _, id, err := h.upload(r, c, false)
	if err != nil {
		return nil, err
	}
	list := strings.Split(r.URL.Query().Get("partNumbers"), ",")
	sums := r.URL.Query()["sha256"]
	switch {
	case len(list) > maxBatch:
		return nil, newError(http.StatusBadRequest, CodeMalformed, "at most %d parts at a time", maxBatch)
	case len(sums) > 0 && len(sums) != len(list):
		return nil, newError(http.StatusBadRequest, CodeInvalidDigest, "one sha256 per part number, or none")
	}
	urls := make(map[string]string, len(list))
	headers := map[string]map[string]string{}
	for i, s := range list {
		n, err := h.partNumber(s)
		if err != nil {
			return nil, err
		}
		opts := &storage.DirectOptions{UploadID: id, PartNumber: n, Expire: h.opts.Expire}
		if len(sums) > 0 {
			if opts.ChecksumSHA256, err = fileDigest(sums[i]); err != nil {
				return nil, err
			}
		}
		pr, err := h.s.PresignDirect(r.Context(), storage.DirectUploadPart, name, opts)
		if err != nil {
			return nil, storageError(r.Context(), err)
		}
		urls[strconv.Itoa(int(n))] = pr.URL
		if pr.Header != nil {
			headers[strconv.Itoa(int(n))] = pr.Header
		}
	}
	if len(headers) > 0 {
		return map[string]any{"presignedUrls": urls, "headers": headers}, nil
	}
	return map[string]any{"presignedUrls": urls}, nil
}

// listedPart is a part as Companion lists it: S3's field names, the ETag
// quoted as S3 gives it.
type listedPart struct {
	PartNumber int32  `json:"PartNumber"`
	ETag       string `json:"ETag"`
	Size       int64  `json:"Size"`
}

// listParts answers GET multipart/{uploadId}?key= with every part
// uploaded so far, [{PartNumber, ETag, Size}], from every page of S3's
// ListParts: how Uppy resumes.
func (h *UppyHandler) listParts(r *http.Request, c *caller) (any, error) {
	name, _, id, err := h.upload(r, c, false)
	if err != nil {
		return nil, err
	}
	parts, err := h.s.ListParts(r.Context(), name, id)
	if err != nil {
		return nil, h.uploadError(r.Context(), err)
	}
	out := make([]listedPart, len(parts))
	for i, p := range parts {
		out[i] = listedPart{p.Number, p.ETag, p.Size}
	}
	return out, nil
}

// abort answers DELETE multipart/{uploadId}?key= with {} once the upload
// is aborted (or gone already), however old it is.
func (h *UppyHandler) abort(r *http.Request, c *caller) (any, error) {
	name, _, id, err := h.upload(r, c, true)
	if err != nil {
		return nil, err
	}
	if err := h.s.AbortUpload(r.Context(), name, id); err != nil {
		return nil, storageError(r.Context(), err)
	}
	return struct{}{}, nil
}

// complete answers POST multipart/{uploadId}/complete?key= {parts} with
// {location, key, bucket, file} once the upload is completed and its file
// checked (finish).
func (h *UppyHandler) complete(r *http.Request, c *caller) (any, error) {
	name, key, id, err := h.upload(r, c, false)
	if err != nil {
		return nil, err
	}
	var req struct {
		Parts []sentPart `json:"parts"`
	}
	if err := readJSON(r, 1<<20, &req, false); err != nil {
		return nil, err
	}
	f, err := h.finish(r, name, id, req.Parts)
	if err != nil {
		return nil, err
	}
	return h.saved(r.Context(), key, f), nil
}

// finish completes an upload with the parts the client names, within the
// limits, conditionally unless overwriting, then checks the file stored.
// A refusal by a bound, a type or a taken name leaves nothing: the upload
// is aborted, the file deleted. It runs on a context detached from the
// client's (FinishTimeout): a client that leaves once it asked for the
// completion leaves no file unchecked.
func (h *UppyHandler) finish(r *http.Request, name, id string, sent []sentPart) (*File, error) {
	r, cancel := h.check.detach(r)
	defer cancel()
	ctx := r.Context()
	listed, err := h.s.ListParts(ctx, name, id)
	if err != nil {
		return nil, h.uploadError(ctx, err)
	}
	parts, final, err := checkParts(sent, listed, h.opts.MaxFileSize, h.opts.MaxParts)
	if err != nil {
		if final {
			h.abortUpload(ctx, name, id)
		}
		return nil, err
	}
	info, err := h.s.CompleteUpload(ctx, name, id, parts, &storage.CompleteOptions{IfNoneMatch: h.conflict() != storage.ConflictOverwrite})
	switch {
	case errors.Is(err, storage.ErrExist), errors.Is(err, storage.ErrPartTooSmall):
		h.abortUpload(ctx, name, id)
		return nil, h.uploadError(ctx, err)
	case errors.Is(err, storage.ErrNoUpload), errors.Is(err, storage.ErrInvalidPart):
		return nil, h.uploadError(ctx, err)
	case err != nil:
		return nil, h.unsure(ctx, name, id, parts, err)
	}
	return h.check.inspect(r, name, info.ETag)
}

// unsure answers a completion that failed in a way that leaves it unknown
// whether S3 completed it (a timeout, a lost answer S3 did not tell
// again). The answer is a failure, so neither outcome may stay: the upload
// is aborted (a no-op if S3 completed it), then the object the parts make,
// if it is there, is deleted by its ETag, since nothing checked it.
func (h *UppyHandler) unsure(ctx context.Context, name, id string, parts []storage.Part, err error) error {
	h.abortUpload(ctx, name, id)
	etag, ok := storage.MultipartETag(parts)
	if !ok {
		h.opts.Logger.ErrorContext(ctx, "handler: a failed completion may have stored an unchecked file (no MD5 ETags to find it by)", "name", name, "err", err)
		return err
	}
	if h.check.remove(ctx, name, etag) != nil {
		return notDeleted(err)
	}
	return h.uploadError(ctx, err)
}

// saved is the answer for a stored file: Companion's {location, key,
// bucket}, and the file as the upload handler describes it.
func (h *UppyHandler) saved(ctx context.Context, key string, f *File) any {
	if h.urler != nil {
		var err error
		if f.URL, err = h.urler.URL(ctx, f.Name, h.opts.URLOptions); err != nil {
			h.opts.Logger.WarnContext(ctx, "handler: no URL for a stored file", "name", f.Name, "err", err)
		}
	}
	return map[string]any{"location": f.URL, "key": key, "bucket": h.s.Bucket(), "file": f}
}

// abortUpload aborts a refused upload, on a context that outlives the
// request's.
func (h *UppyHandler) abortUpload(ctx context.Context, name, id string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.CleanupTimeout)
	defer cancel()
	if err := h.s.AbortUpload(cctx, name, id); err != nil && !errors.Is(err, storage.ErrNoUpload) {
		h.opts.Logger.WarnContext(ctx, "handler: could not abort a refused upload", "name", name, "err", err)
	}
}

// uploadError is the answer to an error of a call on an upload.
func (h *UppyHandler) uploadError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, storage.ErrNoUpload):
		return newError(http.StatusNotFound, CodeNotFound, "no such upload: it was completed or aborted")
	case errors.Is(err, storage.ErrPartTooSmall):
		return newError(http.StatusBadRequest, CodePartTooSmall, "every part but the last must hold at least %d bytes", storage.MinPartSize)
	case errors.Is(err, storage.ErrInvalidPart):
		return newError(http.StatusBadRequest, CodeInvalidPart, "a part was not uploaded, or not with this ETag")
	}
	return storageError(ctx, err)
}

// upload checks the upload a call names, by the path's uploadId and the
// query's key, and returns its name, key and S3 upload id.
func (h *UppyHandler) upload(r *http.Request, c *caller, expired bool) (name, key, id string, err error) {
	key = r.URL.Query().Get("key")
	if name, err = h.nameOf(c, key); err != nil {
		return "", "", "", err
	}
	id, err = h.openUploadID(c.principal, key, r.PathValue("uploadId"), time.Now(), expired)
	return name, key, id, err
}

// errForeignKey refuses a key outside the caller's directory.
var errForeignKey = newError(http.StatusForbidden, CodeForbidden, "this key is not yours")

// nameOf maps a key the client gives back to its name, which must lie in
// the caller's directory.
func (h *UppyHandler) nameOf(c *caller, key string) (string, error) {
	name, ok := strings.CutPrefix(key, h.locPfx)
	if !ok || !strings.HasPrefix(name, c.dir) {
		return "", errForeignKey
	}
	if clean, err := storage.CleanName(name); err != nil || clean != name {
		return "", errForeignKey
	}
	return name, nil
}

// newName is the name a new file is stored under: the caller's directory,
// then Key of the cleaned file name, with a random directory before the
// base name when the write cannot be conditional.
func (h *UppyHandler) newName(r *http.Request, c *caller, filename string, random bool) (string, error) {
	if filename == "" {
		return "", newError(http.StatusBadRequest, CodeNoFile, "filename is required")
	}
	name, err := storage.ValidName(filename)
	if err != nil {
		return "", errBadFilename
	}
	key, err := h.opts.Key(r, name)
	if err != nil {
		return "", err
	}
	if random {
		dir, base := path.Split(key)
		key = dir + rand.Text()[:16] + "/" + base
	}
	return c.dir + key, nil
}

// declare checks the type a client declares for name, or derives one from
// the extension when it declares none or application/octet-stream (what
// Uppy sends for a file the browser has no type for), and returns the
// object's parameters (typePolicy.declare).
func (h *UppyHandler) declare(name, declared string) (storage.ObjectParameters, error) {
	if mediaType(declared) == "application/octet-stream" {
		declared = ""
	}
	return h.check.types.declare(name, declared)
}

func (h *UppyHandler) conflict() storage.Conflict {
	if h.opts.Conflict == storage.ConflictDefault {
		return storage.ConflictRename
	}
	return h.opts.Conflict
}

// partNumber parses a part number, 1 to MaxParts.
func (h *UppyHandler) partNumber(s string) (int32, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > h.opts.MaxParts {
		return 0, newError(http.StatusBadRequest, CodeMalformed, "a part number is between 1 and %d", h.opts.MaxParts)
	}
	return int32(n), nil
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }
