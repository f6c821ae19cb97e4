package handler

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/s3kit/s3kit/internal/spool"
	"github.com/s3kit/s3kit/storage"
)

// Saver stores uploaded files and removes them again when a later step
// of the same request fails. *storage.Storage satisfies it.
type Saver interface {
	Put(ctx context.Context, name string, r io.Reader, opts *storage.SaveOptions) (storage.Info, error)
	Delete(ctx context.Context, name string) error
}

// URLer is the optional capability of a Saver to give the URL of a
// stored file; when the Saver has it, the JSON answer carries the URL of
// each file. *storage.Storage satisfies it.
type URLer interface {
	URL(ctx context.Context, name string, opts *storage.URLOptions) (string, error)
}

// Mode says how a file goes from the request to the Saver.
type Mode uint8

const (
	// Spool (the default) receives each file whole first: in memory up to
	// SpoolMemory, then in a temporary file in TempDir; then Put uploads
	// it with concurrent parts. A slow client never holds an S3 upload
	// open, and the memory per file is bounded by SpoolMemory.
	Spool Mode = iota
	// Stream hands the file to Put as it arrives: parts go to S3 while the
	// client is still sending, and the memory per file is bounded by the
	// storage's part size × concurrency.
	Stream
)

// String returns "spool" or "stream".
func (m Mode) String() string {
	switch m {
	case Spool:
		return "spool"
	case Stream:
		return "stream"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Documented defaults of Options.
const (
	DefaultMaxRequestSize    = 64 << 20  // 64 MiB
	DefaultMaxFileSize       = 32 << 20  // 32 MiB
	DefaultMaxFiles          = 100       // Django's DATA_UPLOAD_MAX_NUMBER_FILES
	DefaultMaxFields         = 1000      // Django's DATA_UPLOAD_MAX_NUMBER_FIELDS
	DefaultMaxFieldsSize     = 2_621_440 // 2.5 MiB, Django's DATA_UPLOAD_MAX_MEMORY_SIZE
	DefaultMaxPartHeaderSize = 16 << 10  // 16 KiB
	DefaultSpoolMemory       = 2_621_440 // 2.5 MiB, Django's FILE_UPLOAD_MAX_MEMORY_SIZE
	DefaultCleanupTimeout    = 30 * time.Second
)

// sniffLen is how many leading bytes of a file decide its type
// (mimetype's read limit, as in storage.DetectContentType).
const sniffLen = 3072

// Options configures an UploadHandler. The zero value of every field
// means its documented default.
type Options struct {
	// Mode is Spool or Stream. Default: Spool.
	Mode Mode

	// MaxRequestSize bounds the whole request body (http.MaxBytesReader);
	// -1 means no bound. Default: 64 MiB, or MaxFileSize + MaxFieldsSize
	// + 1 MiB when that is larger, so one file of the largest size fits.
	MaxRequestSize int64

	// MaxFileSize bounds each file, in bytes as received; -1 means no
	// bound (MaxRequestSize still applies). Default: 32 MiB.
	MaxFileSize int64

	// MaxFiles bounds the number of files in one request. Default: 100.
	MaxFiles int

	// MaxFields bounds the number of non-file form fields. Default: 1000.
	MaxFields int

	// MaxFieldsSize bounds the total size of the names and values of the
	// non-file form fields, which are held in memory. Default: 2.5 MiB.
	MaxFieldsSize int64

	// MaxPartHeaderSize bounds the MIME header of each part. Default:
	// 16 KiB.
	MaxPartHeaderSize int64

	// FileFields lists the form fields that may carry files; a file in
	// another field is answered with 400. Default: any field.
	FileFields []string

	// AllowedTypes lists the media types ("image/png") or type patterns
	// ("image/*", "*/*") of the files accepted, as sniffed from their
	// bytes; others are answered with 415. Default: every type.
	AllowedTypes []string

	// DeniedTypes lists types refused with 415 even when AllowedTypes
	// matches them. Default: none.
	DeniedTypes []string

	// InlineTypes lists active types (see IsActive) that are stored
	// without Content-Disposition: attachment, for sites that sanitise or
	// isolate them. Default: none, so HTML, SVG, XML and scripts are
	// always stored as attachments.
	InlineTypes []string

	// Key maps a form field and a cleaned file name (storage.ValidName)
	// to the name the file is stored under; the storage cleans the result
	// again. Default: DatedKey.
	Key func(r *http.Request, field, name string) (string, error)

	// Overwrite lets a file replace one of the same name. Default: false:
	// a name that is taken gets a "_" and 7 random characters before its
	// extension (race-free, see storage.ConflictRename).
	Overwrite bool

	// MaxNameLength, when positive, bounds the stored name to that many
	// characters (see storage.SaveOptions.MaxLength). Default: no bound
	// but the storage's 1024-byte key limit.
	MaxNameLength int

	// SpoolMemory is how many bytes of a file the Spool mode keeps in
	// memory before it rolls over to a temporary file; a negative value
	// writes to disk from the first byte. Default: 2.5 MiB.
	SpoolMemory int64

	// TempDir is where the Spool mode's temporary files go. The files are
	// unlinked as soon as they are created. Default: os.TempDir().
	TempDir string

	// Authorize, when set, is called before the body is read. A non-nil
	// error refuses the request: an *Error (such as ErrUnauthorized or
	// ErrForbidden) is answered as is, any other error with a 500.
	Authorize func(r *http.Request) error

	// OnSaved, when set, is called once every file of the request is
	// stored, before the answer. It may add to the Extra maps of the
	// result and of its files. An error deletes the stored files and is
	// answered like an error of Authorize.
	OnSaved func(r *http.Request, res *Result) error

	// URLOptions is passed to the Saver's URL method, when it has one.
	// Default: nil.
	URLOptions *storage.URLOptions

	// CleanupTimeout bounds the deletion of the files of a failed
	// request, which runs on a context that outlives the request's.
	// Default: 30 s.
	CleanupTimeout time.Duration

	// Logger receives a record for each 500 (at Error), each refused
	// request (at Debug) and each failed cleanup (at Warn). Default: none.
	Logger *slog.Logger
}

// UploadHandler is an http.Handler that stores the files of
// multipart/form-data POST requests with a Saver and answers 201 with a
// JSON description of them. Create one with NewUploadHandler; it is safe
// for concurrent use.
type UploadHandler struct {
	saver          Saver
	urler          URLer
	mode           Mode
	maxRequest     int64
	maxFile        int64
	maxFiles       int
	maxFields      int
	maxFieldsSize  int64
	maxHeader      int64
	fileFields     map[string]bool
	types          typePolicy
	key            func(r *http.Request, field, name string) (string, error)
	conflict       storage.Conflict
	maxNameLen     int
	spoolMemory    int64
	tempDir        string
	authorize      func(r *http.Request) error
	onSaved        func(r *http.Request, res *Result) error
	urlOpts        *storage.URLOptions
	cleanupTimeout time.Duration
	log            *slog.Logger
	tooLarge       *Error // the answer past maxFile
}

// NewUploadHandler returns a handler that stores files with s, configured
// by opts. Every option is validated here, once.
func NewUploadHandler(s Saver, opts Options) (*UploadHandler, error) {
	if s == nil {
		return nil, errors.New("handler: nil Saver")
	}
	h := &UploadHandler{
		saver: s, mode: opts.Mode, key: opts.Key, maxNameLen: opts.MaxNameLength,
		tempDir: opts.TempDir, authorize: opts.Authorize, onSaved: opts.OnSaved,
		urlOpts: opts.URLOptions, log: opts.Logger, conflict: storage.ConflictRename,
	}
	h.urler, _ = s.(URLer)
	if opts.Mode != Spool && opts.Mode != Stream {
		return nil, fmt.Errorf("handler: option Mode: %v is not Spool or Stream", opts.Mode)
	}
	var err error
	size := func(name string, v, def int64) int64 {
		switch {
		case err != nil:
		case v == 0:
			return def
		case v < -1:
			err = fmt.Errorf("handler: option %s: must be positive or -1, got %d", name, v)
		}
		return v
	}
	h.maxFile = size("MaxFileSize", opts.MaxFileSize, DefaultMaxFileSize)
	h.maxFieldsSize = size("MaxFieldsSize", opts.MaxFieldsSize, DefaultMaxFieldsSize)
	h.maxHeader = size("MaxPartHeaderSize", opts.MaxPartHeaderSize, DefaultMaxPartHeaderSize)
	defRequest := int64(DefaultMaxRequestSize)
	if h.maxFile > 0 && h.maxFieldsSize > 0 {
		defRequest = max(defRequest, h.maxFile+h.maxFieldsSize+1<<20)
	}
	h.maxRequest = size("MaxRequestSize", opts.MaxRequestSize, defRequest)
	if err != nil {
		return nil, err
	}
	h.tooLarge = newError(http.StatusRequestEntityTooLarge, CodeFileTooLarge, "a file is larger than %d bytes", h.maxFile)
	if h.maxFieldsSize < 0 || h.maxHeader < 0 {
		return nil, errors.New("handler: options MaxFieldsSize and MaxPartHeaderSize must be positive: they bound memory")
	}
	if h.maxFiles = opts.MaxFiles; h.maxFiles == 0 {
		h.maxFiles = DefaultMaxFiles
	} else if h.maxFiles < 0 {
		return nil, fmt.Errorf("handler: option MaxFiles: must be positive, got %d", opts.MaxFiles)
	}
	if h.maxFields = opts.MaxFields; h.maxFields == 0 {
		h.maxFields = DefaultMaxFields
	} else if h.maxFields < 0 {
		return nil, fmt.Errorf("handler: option MaxFields: must be positive, got %d", opts.MaxFields)
	}
	if opts.MaxNameLength < 0 {
		return nil, fmt.Errorf("handler: option MaxNameLength: must not be negative, got %d", opts.MaxNameLength)
	}
	if len(opts.FileFields) > 0 {
		h.fileFields = make(map[string]bool, len(opts.FileFields))
		for _, f := range opts.FileFields {
			h.fileFields[f] = true
		}
	}
	if h.types, err = newTypePolicy(opts.AllowedTypes, opts.DeniedTypes, opts.InlineTypes); err != nil {
		return nil, err
	}
	if h.key == nil {
		h.key = DatedKey
	}
	if opts.Overwrite {
		h.conflict = storage.ConflictOverwrite
	}
	switch {
	case opts.SpoolMemory == 0:
		h.spoolMemory = DefaultSpoolMemory
	case opts.SpoolMemory > 0:
		h.spoolMemory = opts.SpoolMemory
	}
	if h.tempDir == "" {
		h.tempDir = os.TempDir()
	}
	if h.mode == Spool {
		if fi, err := os.Stat(h.tempDir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("handler: option TempDir: %q is not a directory", h.tempDir)
		}
	}
	switch {
	case opts.CleanupTimeout == 0:
		h.cleanupTimeout = DefaultCleanupTimeout
	case opts.CleanupTimeout < 0:
		return nil, fmt.Errorf("handler: option CleanupTimeout: must be positive, got %v", opts.CleanupTimeout)
	default:
		h.cleanupTimeout = opts.CleanupTimeout
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// DatedKey is the default Key: the UTC date of the upload as a
// "2006/01/02/" prefix, then the cleaned file name.
func DatedKey(_ *http.Request, _, name string) (string, error) {
	return time.Now().UTC().Format("2006/01/02/") + name, nil
}

// Result is what a successful request stored: the JSON answer is
// {"files": [...]} plus the keys of Extra.
type Result struct {
	// Files are the stored files, in the order of the request.
	Files []*File
	// Fields are the non-file form fields of the request.
	Fields url.Values
	// Extra holds keys that OnSaved adds to the top level of the JSON
	// answer; "files" cannot be replaced.
	Extra map[string]any
}

// MarshalJSON encodes the result as {"files": [...]} and Extra.
func (res *Result) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(res.Extra)+1)
	for k, v := range res.Extra {
		m[k] = v
	}
	files := res.Files
	if files == nil {
		files = []*File{}
	}
	m["files"] = files
	return jsonMarshal(m)
}

// File describes one stored file.
type File struct {
	Field           string // the form field
	Filename        string // the file name the client sent
	Name            string // the stored name, relative to the storage's location
	URL             string // the URL of the file, when the Saver is a URLer
	Size            int64  // the bytes received
	ContentType     string // sniffed from the bytes
	ContentEncoding string // "gzip" when the storage compressed it
	ETag            string // as S3 returned it, quoted

	// Extra holds keys that OnSaved adds to the JSON object of the file;
	// it cannot replace the keys above.
	Extra map[string]any
}

// MarshalJSON encodes the file as an object with the keys field,
// filename, name, url (when known), size, content_type,
// content_encoding (when set), etag and those of Extra.
func (f *File) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(f.Extra)+8)
	for k, v := range f.Extra {
		m[k] = v
	}
	m["field"], m["filename"], m["name"], m["size"] = f.Field, f.Filename, f.Name, f.Size
	m["content_type"], m["etag"] = f.ContentType, f.ETag
	if f.URL != "" {
		m["url"] = f.URL
	}
	if f.ContentEncoding != "" {
		m["content_encoding"] = f.ContentEncoding
	}
	return jsonMarshal(m)
}

// ServeHTTP stores the files of a multipart/form-data POST and answers 201
// with their JSON description, or an error as {"error": {"code",
// "message"}} with the statuses listed in the package documentation.
func (h *UploadHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		fail(w, r, h.log, errMethod, nil, nil)
		return
	}
	if h.authorize != nil {
		if err := h.authorize(r); err != nil {
			fail(w, r, h.log, err, nil, nil)
			return
		}
	}
	if err := checkMultipart(r); err != nil {
		fail(w, r, h.log, err, nil, nil)
		return
	}
	if h.maxRequest >= 0 && r.ContentLength > h.maxRequest {
		fail(w, r, h.log, &http.MaxBytesError{Limit: h.maxRequest}, nil, nil)
		return
	}
	raw := r.Body
	if h.maxRequest >= 0 {
		raw = http.MaxBytesReader(w, r.Body, h.maxRequest)
	}
	// The multipart reader reads 4 KiB at a time; a larger buffer below it
	// saves most of the read system calls.
	br := bodyReaders.Get().(*bufio.Reader)
	br.Reset(raw)
	defer func() { br.Reset(nil); bodyReaders.Put(br) }()
	body := &trackedBody{r: br, Closer: raw, budget: -1}
	r.Body = body
	mr, err := r.MultipartReader()
	if err != nil {
		fail(w, r, h.log, newError(http.StatusBadRequest, CodeMalformed, "the request is not a valid multipart form"), nil, nil)
		return
	}
	res := &Result{Fields: url.Values{}}
	var partErr error
	err = h.receive(r, mr, body, res, &partErr)
	if err == nil && r.Context().Err() != nil {
		err = r.Context().Err() // the client left: keep nothing
	}
	if err == nil && h.onSaved != nil {
		err = h.onSaved(r, res)
	}
	var out []byte
	if err == nil {
		out, err = jsonMarshal(res)
	}
	if err != nil {
		h.rollback(r.Context(), res.Files)
		fail(w, r, h.log, err, body.err, partErr)
		return
	}
	h.log.DebugContext(r.Context(), "handler: stored", "files", len(res.Files))
	writeRaw(w, http.StatusCreated, out)
}

// checkMultipart refuses anything but multipart/form-data with a
// boundary.
func checkMultipart(r *http.Request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return newError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the request must be multipart/form-data")
	}
	if params["boundary"] == "" {
		return newError(http.StatusBadRequest, CodeMalformed, "the multipart boundary is missing")
	}
	return nil
}

// receive reads the parts one by one, storing files as they come and
// collecting the other fields. The files stored so far are in res even
// when it fails.
func (h *UploadHandler) receive(r *http.Request, mr *multipart.Reader, body *trackedBody, res *Result, partErr *error) error {
	fieldsLeft := h.maxFieldsSize
	fields := 0
	for {
		body.budget = h.maxHeader + 4096 // the header and one bufio read-ahead
		p, err := mr.NextPart()
		body.budget = -1
		if err == io.EOF {
			break
		}
		if err != nil {
			*partErr = err
			return err
		}
		field, filename, isFile := disposition(p)
		if !isFile || field == "" {
			// A plain field (or a nameless part, which is read and dropped
			// as Go's ReadForm does).
			if fields++; fields > h.maxFields {
				return errTooManyFlds
			}
			fieldsLeft -= int64(len(field))
			v, err := io.ReadAll(io.LimitReader(p, max(fieldsLeft, 0)+1))
			if err != nil {
				*partErr = err
				return err
			}
			if fieldsLeft -= int64(len(v)); fieldsLeft < 0 {
				return errFieldsSize
			}
			if field != "" {
				res.Fields.Add(field, string(v))
			}
			continue
		}
		if filename == "" {
			// An empty file input: browsers send the part with no name and
			// no bytes. Read it (within the file limit) and skip it.
			pr := &partReader{r: p, limit: h.maxFile, tooLarge: h.tooLarge}
			if _, err := io.Copy(io.Discard, pr); err != nil {
				*partErr = pr.err
				return err
			}
			continue
		}
		if h.fileFields != nil && !h.fileFields[field] {
			return newError(http.StatusBadRequest, CodeUnexpectedField, "the field %q does not take files", field)
		}
		if len(res.Files) >= h.maxFiles {
			return errTooManyFile
		}
		f, err := h.saveFile(r, p, field, filename, partErr)
		if f != nil {
			res.Files = append(res.Files, f) // stored, even on error: rolled back
		}
		if err != nil {
			return err
		}
	}
	if len(res.Files) == 0 {
		return errNoFile
	}
	return nil
}

// disposition returns the field name and the raw file name of a part, as
// its Content-Disposition gives them (Part.FileName would apply
// filepath.Base, which ValidName does anyway, to the name echoed back).
func disposition(p *multipart.Part) (field, filename string, isFile bool) {
	d, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil || d != "form-data" {
		return "", "", false
	}
	filename, isFile = params["filename"]
	return params["name"], filename, isFile
}

// saveFile sniffs, checks and stores one file part.
func (h *UploadHandler) saveFile(r *http.Request, p *multipart.Part, field, filename string, partErr *error) (*File, error) {
	ctx := r.Context()
	name, err := storage.ValidName(filename)
	if err != nil {
		return nil, newError(http.StatusBadRequest, CodeInvalidFilename, "the file name has no usable characters")
	}
	key, err := h.key(r, field, name)
	if err != nil {
		return nil, err
	}
	pr := &partReader{r: p, limit: h.maxFile, tooLarge: h.tooLarge}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(pr, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		*partErr = pr.err
		return nil, err
	}
	head = head[:n]
	ct, enc := storage.DetectContentType(name, head)
	if !h.types.accepts(ct) {
		return nil, newError(http.StatusUnsupportedMediaType, CodeTypeNotAllowed, "files of type %s are not accepted", mediaType(ct))
	}
	opts := &storage.SaveOptions{
		Params:    storage.ObjectParameters{ContentType: ct, ContentEncoding: enc},
		Conflict:  h.conflict,
		MaxLength: h.maxNameLen,
	}
	if h.types.attachment(ct) {
		opts.Params.ContentDisposition = attachmentDisposition(name)
	}

	var src io.Reader
	switch h.mode {
	case Spool:
		sp := spool.New(h.spoolMemory, h.tempDir)
		defer sp.Close()
		if err := h.fill(sp, head, pr); err != nil {
			*partErr = pr.err
			return nil, err
		}
		src = sp.Reader()
	case Stream:
		src = io.MultiReader(bytes.NewReader(head), pr)
	}
	info, err := h.saver.Put(ctx, key, src, opts)
	if err != nil {
		*partErr = pr.err
		return nil, err
	}
	if pr.err != nil { // a Saver that ignored a read error
		*partErr = pr.err
		return &File{Name: info.Name}, pr.err
	}
	f := &File{
		Field: field, Filename: filename, Name: info.Name, Size: pr.n,
		ContentType: ct, ContentEncoding: info.ContentEncoding, ETag: info.ETag,
	}
	if h.urler != nil {
		if f.URL, err = h.urler.URL(ctx, info.Name, h.urlOpts); err != nil {
			h.log.WarnContext(ctx, "handler: no URL for a stored file", "name", info.Name, "err", err)
		}
	}
	return f, nil
}

// spoolWriters buffer the small reads of a multipart part into large
// writes to the spool.
var spoolWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 256<<10) }}

// fill copies the sniffed head and the rest of the part into the spool.
func (h *UploadHandler) fill(sp *spool.File, head []byte, pr *partReader) error {
	if _, err := sp.Write(head); err != nil {
		return err
	}
	if len(head) < sniffLen {
		return nil // the whole part was in the head
	}
	bw := spoolWriters.Get().(*bufio.Writer)
	defer spoolWriters.Put(bw)
	bw.Reset(struct{ io.Writer }{sp}) // hide ReadFrom, so bw buffers
	defer bw.Reset(nil)
	if _, err := bw.ReadFrom(pr); err != nil {
		return err
	}
	return bw.Flush()
}

// rollback deletes the files a failed request stored, on a context that
// outlives the request's.
func (h *UploadHandler) rollback(ctx context.Context, files []*File) {
	if len(files) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cleanupTimeout)
	defer cancel()
	for _, f := range files {
		if err := h.saver.Delete(cctx, f.Name); err != nil {
			h.log.WarnContext(ctx, "handler: could not delete a file of a failed upload", "name", f.Name, "err", err)
		}
	}
}

// bodyReaders buffer request bodies.
var bodyReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// trackedBody is the request body: it keeps the first read error, and
// bounds what may be read while a part header is parsed.
type trackedBody struct {
	r io.Reader
	io.Closer
	err    error
	budget int64 // bytes that may still be read; -1: no bound
}

func (b *trackedBody) Read(p []byte) (int, error) {
	if b.budget >= 0 {
		if b.budget == 0 {
			if b.err == nil {
				b.err = errHeaderSize
			}
			return 0, errHeaderSize
		}
		if int64(len(p)) > b.budget {
			p = p[:b.budget]
		}
	}
	n, err := b.r.Read(p)
	if b.budget >= 0 {
		b.budget -= int64(n)
	}
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// partReader reads one file part, counting its bytes, enforcing the file
// limit and keeping the first error other than io.EOF.
type partReader struct {
	r     io.Reader
	n     int64
	limit int64 // -1: none
	err   error

	tooLarge *Error // the error past limit
}

func (pr *partReader) Read(p []byte) (int, error) {
	if pr.err != nil {
		return 0, pr.err
	}
	n, err := pr.r.Read(p)
	pr.n += int64(n)
	if pr.limit >= 0 && pr.n > pr.limit {
		pr.err = pr.tooLarge
		return n, pr.err
	}
	if err != nil && err != io.EOF {
		pr.err = err
	}
	return n, err
}
