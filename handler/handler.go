package handler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

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
	// client is still sending, and the memory per file is the storage's
	// stream buffers (see storage.Storage.Put); the handler itself holds
	// little for a client that stalls (see the package documentation).
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
	DefaultIdleTimeout       = 30 * time.Second
)

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

	// MaxFiles bounds the number of file parts in one request: every part
	// with a filename parameter counts, empty file inputs included (as
	// Django's DATA_UPLOAD_MAX_NUMBER_FILES since CVE-2023-24580), so a
	// form with more file inputs than MaxFiles is refused even when some
	// are left empty. Default: 100.
	MaxFiles int

	// MaxFields bounds the number of the other parts: form fields, and
	// parts with no name or no form-data disposition, which are read and
	// dropped. With MaxFiles it bounds the parts of a request. Default:
	// 1000.
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

	// TrustedOrigins lists the origins ("https://app.example.com":
	// scheme, host and port) whose cross-origin browser requests are
	// accepted; see # Cross-origin requests in the package documentation.
	// Default: none.
	TrustedOrigins []string

	// InsecureAllowCrossOrigin turns the cross-origin check off, for a
	// handler behind the application's own CSRF protection. Clients that
	// are not browsers (curl, Go's http.Client) need no opt-out: they send
	// neither Sec-Fetch-Site nor Origin, and are accepted. Default: false.
	InsecureAllowCrossOrigin bool

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

	// IdleTimeout is how long the handler waits for the next bytes of the
	// body before it gives up on the request with 408 request_timeout; the
	// memory, spool file and S3 multipart upload of the request are then
	// released. It counts only the time a read waits for the client (a
	// read is given between IdleTimeout and 1¼ IdleTimeout), not the time
	// spent uploading to S3, and is kept with the connection's read
	// deadline (http.ResponseController), never past the server's own
	// ReadTimeout. Behind a ResponseWriter that cannot set deadlines, each
	// read runs in a goroutine of its own that is abandoned after it. -1
	// turns it off (only the server's timeouts apply). Default: 30 s, long
	// enough for a live client on a poor mobile link (TCP's retransmission
	// backs off to a few seconds; nginx's client_body_timeout allows 60 s,
	// Apache's RequestReadTimeout 20 s), short enough that what clients
	// that stop sending hold is freed within half a minute.
	IdleTimeout time.Duration

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
	saver Saver
	urler URLer   // the Saver's URL capability, or nil
	opts  Options // resolved: every default written in (Options.validate)

	// Derived from opts once, by NewUploadHandler.
	fileFields  map[string]bool             // opts.FileFields as a set; nil: any field
	types       typePolicy                  // opts.AllowedTypes, DeniedTypes and InlineTypes, parsed
	conflict    storage.Conflict            // from opts.Overwrite
	tooLarge    *Error                      // the answer past opts.MaxFileSize
	origin      *http.CrossOriginProtection // nil: InsecureAllowCrossOrigin
	noDeadlines sync.Once                   // logs that a writer cannot set read deadlines
}

// NewUploadHandler returns a handler that stores files with s, configured
// by opts. Every option is validated here, once.
func NewUploadHandler(s Saver, opts Options) (*UploadHandler, error) {
	if s == nil {
		return nil, errors.New("handler: nil Saver")
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	h := &UploadHandler{saver: s, opts: opts, conflict: storage.ConflictRename}
	h.urler, _ = s.(URLer)
	var err error
	if h.origin, err = newCrossOrigin(opts.TrustedOrigins, opts.InsecureAllowCrossOrigin); err != nil {
		return nil, err
	}
	if h.types, err = newTypePolicy(opts.AllowedTypes, opts.DeniedTypes, opts.InlineTypes); err != nil {
		return nil, err
	}
	if len(opts.FileFields) > 0 {
		h.fileFields = make(map[string]bool, len(opts.FileFields))
		for _, f := range opts.FileFields {
			h.fileFields[f] = true
		}
	}
	if opts.Overwrite {
		h.conflict = storage.ConflictOverwrite
	}
	h.tooLarge = newError(http.StatusRequestEntityTooLarge, CodeFileTooLarge, "a file is larger than %d bytes", opts.MaxFileSize)
	return h, nil
}

// validate checks o and writes the default of every unset field into it,
// as tusd's Config.validate does, so that the handler reads one value.
func (o *Options) validate() error {
	for _, step := range []func() error{o.resolveSizes, o.resolveCounts, o.resolveTransfer} {
		if err := step(); err != nil {
			return err
		}
	}
	if o.MaxNameLength < 0 {
		return fmt.Errorf("handler: option MaxNameLength: must not be negative, got %d", o.MaxNameLength)
	}
	if o.Key == nil {
		o.Key = DatedKey
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// resolveSizes resolves the byte limits; -1 (no bound) stays -1.
func (o *Options) resolveSizes() error {
	var err error
	size := func(name string, v *int64, def int64) {
		switch {
		case err != nil:
		case *v == 0:
			*v = def
		case *v < -1:
			err = fmt.Errorf("handler: option %s: must be positive or -1, got %d", name, *v)
		}
	}
	size("MaxFileSize", &o.MaxFileSize, DefaultMaxFileSize)
	size("MaxFieldsSize", &o.MaxFieldsSize, DefaultMaxFieldsSize)
	size("MaxPartHeaderSize", &o.MaxPartHeaderSize, DefaultMaxPartHeaderSize)
	defRequest := int64(DefaultMaxRequestSize)
	if err == nil && o.MaxFileSize > 0 && o.MaxFieldsSize > 0 {
		defRequest = max(defRequest, o.MaxFileSize+o.MaxFieldsSize+1<<20)
	}
	size("MaxRequestSize", &o.MaxRequestSize, defRequest)
	if err != nil {
		return err
	}
	if o.MaxFieldsSize < 0 || o.MaxPartHeaderSize < 0 {
		return errors.New("handler: options MaxFieldsSize and MaxPartHeaderSize must be positive: they bound memory")
	}
	return nil
}

// resolveCounts resolves the bounds on the number of parts.
func (o *Options) resolveCounts() error {
	for _, c := range []struct {
		name string
		v    *int
		def  int
	}{{"MaxFiles", &o.MaxFiles, DefaultMaxFiles}, {"MaxFields", &o.MaxFields, DefaultMaxFields}} {
		switch {
		case *c.v == 0:
			*c.v = c.def
		case *c.v < 0:
			return fmt.Errorf("handler: option %s: must be positive, got %d", c.name, *c.v)
		}
	}
	return nil
}

// resolveTransfer resolves how bytes go from the client to the Saver: the
// mode, the spool and the timeouts. A negative SpoolMemory (disk from the
// first byte) and an IdleTimeout of -1 (off) stay as they are.
func (o *Options) resolveTransfer() error {
	if o.Mode != Spool && o.Mode != Stream {
		return fmt.Errorf("handler: option Mode: %v is not Spool or Stream", o.Mode)
	}
	if o.SpoolMemory == 0 {
		o.SpoolMemory = DefaultSpoolMemory
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	if o.Mode == Spool {
		if fi, err := os.Stat(o.TempDir); err != nil || !fi.IsDir() {
			return fmt.Errorf("handler: option TempDir: %q is not a directory", o.TempDir)
		}
	}
	switch {
	case o.IdleTimeout == 0:
		o.IdleTimeout = DefaultIdleTimeout
	case o.IdleTimeout < 0 && o.IdleTimeout != -1:
		return fmt.Errorf("handler: option IdleTimeout: must be positive or -1, got %v", o.IdleTimeout)
	}
	switch {
	case o.CleanupTimeout == 0:
		o.CleanupTimeout = DefaultCleanupTimeout
	case o.CleanupTimeout < 0:
		return fmt.Errorf("handler: option CleanupTimeout: must be positive, got %v", o.CleanupTimeout)
	}
	return nil
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
	SHA256          string // the SHA-256 of the bytes received, hex, when the file came with a digest (checked)

	// Extra holds keys that OnSaved adds to the JSON object of the file;
	// it cannot replace the keys above.
	Extra map[string]any
}

// MarshalJSON encodes the file as an object with the keys field,
// filename, name, url (when known), size, content_type,
// content_encoding (when set), etag, sha256 (when the file came with a
// digest) and those of Extra.
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
	if f.SHA256 != "" {
		m["sha256"] = f.SHA256
	}
	return jsonMarshal(m)
}

// ServeHTTP stores the files of a multipart/form-data POST and answers 201
// with their JSON description, or an error as {"error": {"code",
// "message"}} with the statuses listed in the package documentation.
func (h *UploadHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out, err := h.serve(w, r)
	if err != nil {
		fail(w, r, h.opts.Logger, err)
		return
	}
	writeRaw(w, http.StatusCreated, out)
}

// serve stores the files of the request and returns the JSON answer; on
// an error, nothing of the request stays.
func (h *UploadHandler) serve(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	boundary, err := h.admit(r)
	if err != nil {
		return nil, err
	}
	digest, err := newRequestDigest(r)
	if err != nil {
		w.Header().Set("Want-Content-Digest", wantDigest)
		w.Header().Set("Want-Repr-Digest", wantDigest)
		return nil, err
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	body, client := h.openBody(w, r, cancel)
	defer body.release()
	defer client.done()
	client.digest = digest
	f := &form{mr: multipart.NewReader(body, boundary), body: body, fieldsLeft: h.opts.MaxFieldsSize, digest: digest}
	res := &Result{Fields: url.Values{}}
	err = h.receive(ctx, r, f, res)
	if err == nil && r.Context().Err() != nil {
		err = errAborted // the client left: keep nothing
	}
	if err == nil && h.opts.OnSaved != nil {
		err = h.opts.OnSaved(r, res)
	}
	var out []byte
	if err == nil {
		out, err = jsonMarshal(res)
	}
	if err != nil {
		return nil, h.rollback(ctx, res.Files, err)
	}
	h.opts.Logger.DebugContext(ctx, "handler: stored", "files", len(res.Files))
	return out, nil
}

// admit refuses a request before its body is read: not a POST,
// cross-origin, refused by Authorize, not multipart/form-data, or declaring a length over
// MaxRequestSize. It returns the multipart boundary.
func (h *UploadHandler) admit(r *http.Request) (string, error) {
	if r.Method != http.MethodPost {
		return "", errMethod
	}
	if err := checkOrigin(h.origin, r); err != nil {
		return "", err
	}
	if h.opts.Authorize != nil {
		if err := h.opts.Authorize(r); err != nil {
			return "", err
		}
	}
	boundary, err := checkMultipart(r)
	if err != nil {
		return "", err
	}
	if h.opts.MaxRequestSize >= 0 && r.ContentLength > h.opts.MaxRequestSize {
		return "", errRequestTooLarge(h.opts.MaxRequestSize)
	}
	return boundary, nil
}
