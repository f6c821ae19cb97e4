package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/s3kit/s3kit/storage"
)

// DirectStore is what UppyHandler needs of a storage: multipart uploads
// that browsers send straight to S3, presigned POST policies for small
// files, and a look at what was stored. *storage.Storage satisfies it.
type DirectStore interface {
	Presigner // presigned POST policies: the params route
	Inspector // the checks after completion
	CreateUpload(ctx context.Context, name string, opts *storage.UploadOptions) (storage.Upload, error)
	PresignDirect(ctx context.Context, op storage.DirectOp, name string, opts *storage.DirectOptions) (*storage.PresignedRequest, error)
	ListParts(ctx context.Context, name, uploadID string) ([]storage.Part, error)
	CompleteUpload(ctx context.Context, name, uploadID string, parts []storage.Part, opts *storage.CompleteOptions) (storage.Info, error)
	AbortUpload(ctx context.Context, name, uploadID string) error
	Bucket() string   // the bucket, in answers
	Location() string // the key prefix: keys are Location + "/" + name
}

// Inspector reads back what a client stored straight to S3, and deletes
// it when it fails the checks. *storage.Storage satisfies it.
type Inspector interface {
	ReadHead(ctx context.Context, name string, n int) (storage.Info, []byte, error)
	DeleteIfMatch(ctx context.Context, name, etag string) error
}

// Documented defaults of UppyOptions.
const (
	DefaultDirectMaxFileSize = 1 << 30 // 1 GiB
	DefaultDirectExpire      = 15 * time.Minute
	DefaultControlExpire     = time.Minute
	DefaultMaxUploadAge      = 7 * 24 * time.Hour
	DefaultFinishTimeout     = 5 * time.Minute
	MinSecretLen             = 32
)

// UppyOptions configures an UppyHandler. The zero value of every field
// means its documented default; Principal and Secret are required.
type UppyOptions struct {
	// Principal names the caller of each request (a user id, say), from
	// its session cookie or header. Every upload belongs to the principal
	// that created it: another principal's calls on it are answered 403.
	// An *Error (ErrUnauthorized) is answered as is, an empty principal
	// with 401, any other error with a 500. Required.
	Principal func(r *http.Request) (string, error)

	// Secret keys the MAC that binds each upload to its principal (see #
	// Uppy in the package documentation): at least 32 random bytes, the
	// same on every instance behind a load balancer. Required.
	Secret []byte

	// PrincipalPrefix maps a principal to the directory of its files,
	// relative to the storage's location; a key outside it is refused.
	// It must give distinct principals directories neither of which holds
	// the other. Default: PrincipalHash.
	PrincipalPrefix func(principal string) (string, error)

	// Key maps a cleaned file name (storage.ValidName) to the name to
	// store it under, inside the principal's directory. Default: DatedKey's
	// "2006/01/02/name".
	Key func(r *http.Request, name string) (string, error)

	// MaxFileSize bounds each file: its parts are listed before the
	// upload is completed, and an upload over the bound is aborted with
	// 413. Default: 1 GiB.
	MaxFileSize int64

	// MaxParts bounds the parts of an upload. Default and maximum: 10000.
	MaxParts int

	// AllowedTypes, DeniedTypes and InlineTypes are as in Options. The
	// type the client declares is checked before anything is sent; the
	// bytes are sniffed once the file is stored, and a file refused then
	// is deleted (415).
	AllowedTypes, DeniedTypes, InlineTypes []string

	// Conflict is what happens when the name is taken: ConflictRename
	// (the default, also for ConflictDefault) gives a file a new name when
	// its name is taken when the upload starts, ConflictFail refuses it
	// with 409; both answer 409 when another upload of the name completes
	// first (S3 cannot rename an upload). ConflictOverwrite replaces.
	Conflict storage.Conflict

	// Expire is how long the URLs that carry bytes stay valid: parts,
	// presigned PUTs, POST policies. Default: 15 minutes.
	Expire time.Duration

	// ControlExpire is how long the other URLs of signRequest mode stay
	// valid: create, list, complete, abort. Default: 1 minute.
	ControlExpire time.Duration

	// MaxUploadAge is how long after it starts an upload may go on; past
	// it, its calls are answered 403 (aborting is always accepted). Give
	// the bucket a lifecycle rule that aborts incomplete multipart uploads
	// after as long. Default: 7 days.
	MaxUploadAge time.Duration

	// TrustedOrigins and InsecureAllowCrossOrigin are as in Options.
	TrustedOrigins           []string
	InsecureAllowCrossOrigin bool

	// OnSaved, when set, is called with each file once it is stored and
	// checked, before the answer; it may add to the file's Extra. An
	// error deletes the file and is answered as an error of Principal.
	OnSaved func(r *http.Request, f *File) error

	// URLOptions is passed to the store's URL method, when it has one,
	// for the location of a completed file. Default: nil.
	URLOptions *storage.URLOptions

	// CleanupTimeout bounds the aborts and deletions of refused uploads.
	// Default: 30 s.
	CleanupTimeout time.Duration

	// FinishTimeout bounds a completion and the checks of the file it
	// stores (and a confirmation's checks), which run to their end even
	// when the client goes away meanwhile: a file that cannot be checked
	// in time is deleted. Default: 5 minutes.
	FinishTimeout time.Duration

	// Logger is as in Options. Default: none.
	Logger *slog.Logger
}

// UppyHandler is an http.Handler that speaks Uppy's S3 protocol
// (@uppy/aws-s3 v4 to v6): Companion's routes and the signRequest route
// of v6, with every upload bound to its principal, limits checked before
// completion and types after. Mount it under a prefix with
// http.StripPrefix (Uppy's companionEndpoint, with "/s3" appended):
//
//	mux.Handle("/s3/", http.StripPrefix("/s3", uppy))
//
// Create one with NewUppyHandler; it is safe for concurrent use and keeps
// no state between requests. See # Uppy in the package documentation.
type UppyHandler struct {
	s      DirectStore
	urler  URLer       // the store's URL capability, or nil
	opts   UppyOptions // resolved (UppyOptions.validate)
	check  checker
	origin *http.CrossOriginProtection // nil: InsecureAllowCrossOrigin
	mux    *http.ServeMux
	locPfx string // the store's location and "/", or ""
}

// NewUppyHandler returns a handler for Uppy's S3 protocol on s,
// configured by opts, validated here once.
func NewUppyHandler(s DirectStore, opts UppyOptions) (*UppyHandler, error) {
	if s == nil {
		return nil, errors.New("handler: nil DirectStore")
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	h := &UppyHandler{s: s, opts: opts}
	h.urler, _ = s.(URLer)
	if loc := s.Location(); loc != "" {
		h.locPfx = loc + "/"
	}
	var err error
	if h.origin, err = newCrossOrigin(opts.TrustedOrigins, opts.InsecureAllowCrossOrigin); err != nil {
		return nil, err
	}
	types, err := newTypePolicy(opts.AllowedTypes, opts.DeniedTypes, opts.InlineTypes)
	if err != nil {
		return nil, err
	}
	h.check = checker{store: s, types: types, maxSize: opts.MaxFileSize, onSaved: opts.OnSaved,
		cleanup: opts.CleanupTimeout, finish: opts.FinishTimeout, log: opts.Logger}
	h.routes()
	return h, nil
}

// validate checks o and writes the default of every unset field into it.
func (o *UppyOptions) validate() error {
	switch {
	case o.Principal == nil:
		return errors.New("handler: option Principal is required: every upload belongs to someone")
	case len(o.Secret) < MinSecretLen:
		return fmt.Errorf("handler: option Secret: at least %d bytes are required, got %d", MinSecretLen, len(o.Secret))
	case o.MaxFileSize < 0 || o.MaxParts < 0 || o.MaxParts > storage.MaxParts:
		return fmt.Errorf("handler: options MaxFileSize and MaxParts: %d and %d are not positive bounds (MaxParts at most %d)", o.MaxFileSize, o.MaxParts, storage.MaxParts)
	case o.MaxUploadAge < 0 || o.CleanupTimeout < 0 || o.FinishTimeout < 0:
		return errors.New("handler: options MaxUploadAge, CleanupTimeout and FinishTimeout must not be negative")
	}
	defaults(&o.MaxFileSize, DefaultDirectMaxFileSize)
	defaults(&o.MaxParts, storage.MaxParts)
	defaults(&o.Expire, DefaultDirectExpire)
	defaults(&o.ControlExpire, DefaultControlExpire)
	defaults(&o.MaxUploadAge, DefaultMaxUploadAge)
	defaults(&o.CleanupTimeout, DefaultCleanupTimeout)
	defaults(&o.FinishTimeout, DefaultFinishTimeout)
	for _, e := range []time.Duration{o.Expire, o.ControlExpire} {
		if err := storage.ValidExpiry(e); err != nil {
			return fmt.Errorf("handler: options Expire and ControlExpire: %w", err)
		}
	}
	if o.PrincipalPrefix == nil {
		o.PrincipalPrefix = PrincipalHash
	}
	if o.Key == nil {
		o.Key = func(r *http.Request, name string) (string, error) { return DatedKey(r, "", name) }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// defaults sets *v to def when it is zero.
func defaults[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// PrincipalHash is the default PrincipalPrefix: "u/" and 32 hex digits
// of the SHA-256 of the principal, a directory per principal that holds
// no other's, whatever characters the principal has.
func PrincipalHash(principal string) (string, error) {
	sum := sha256.Sum256([]byte("s3kit principal\x00" + principal))
	return "u/" + hex.EncodeToString(sum[:16]), nil
}

// uppyRoute is one route of the protocol: its method and path, and its
// work.
type uppyRoute struct {
	method, path string
	fn           route
}

// routes registers Companion's routes, the signRequest route and the
// confirmation. A request for a path of the table with another method is
// answered 405 in JSON with the path's Allow; any other, 404.
func (h *UppyHandler) routes() {
	table := []uppyRoute{
		{"GET", "/params", h.params},
		{"POST", "/multipart", h.create},
		{"GET", "/multipart/{uploadId}", h.listParts},
		{"DELETE", "/multipart/{uploadId}", h.abort},
		{"GET", "/multipart/{uploadId}/batch", h.signBatch},
		{"GET", "/multipart/{uploadId}/{partNumber}", h.signPart},
		{"POST", "/multipart/{uploadId}/complete", h.complete},
		{"POST", "/presign", h.presign},
		{"POST", "/confirm", h.confirm},
	}
	m, paths := http.NewServeMux(), http.NewServeMux()
	allow := map[string][]string{}
	for _, rt := range table {
		m.HandleFunc(rt.method+" "+rt.path, h.handle(rt.fn))
		allow[rt.path] = append(allow[rt.path], rt.method)
	}
	for path, methods := range allow {
		a := strings.Join(methods, ", ")
		notAllowed := func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", a)
			h.fail(w, r, newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use %s", a))
		}
		paths.HandleFunc(path, notAllowed)
		if !slices.Contains(methods, "GET") {
			// "GET /multipart/{uploadId}/{partNumber}" would take it.
			m.HandleFunc("GET "+path, notAllowed)
		}
	}
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if hd, pattern := paths.Handler(r); pattern != "" {
			hd.ServeHTTP(w, r)
			return
		}
		h.fail(w, r, newError(http.StatusNotFound, CodeNotFound, "no such route of Uppy's S3 protocol"))
	})
	h.mux = m
}

// ServeHTTP answers one call of Uppy's S3 protocol.
func (h *UppyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// caller is who makes a request: the principal, and the directory of its
// files ("u/…/").
type caller struct {
	principal string
	dir       string
}

// route is one route's work: its answer, or an error to answer.
type route func(r *http.Request, c *caller) (any, error)

// handle runs a route after the checks every request passes: its origin,
// then its principal.
func (h *UppyHandler) handle(fn route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ans, err := h.serve(r, fn)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, ans)
	}
}

func (h *UppyHandler) serve(r *http.Request, fn route) (any, error) {
	if err := checkOrigin(h.origin, r); err != nil {
		return nil, err
	}
	p, err := h.opts.Principal(r)
	if err != nil {
		return nil, err
	}
	if p == "" {
		return nil, ErrUnauthorized
	}
	dir, err := h.opts.PrincipalPrefix(p)
	if err != nil {
		return nil, err
	}
	if clean, err := storage.CleanName(dir); err != nil || clean == "" || clean != strings.Trim(dir, "/") {
		return nil, fmt.Errorf("handler: PrincipalPrefix gave %q, not a clean directory name", dir)
	}
	return fn(r, &caller{principal: p, dir: strings.Trim(dir, "/") + "/"})
}

// fail answers err as Companion does, {"error": "message"}, with a
// stable "code" beside it (failAs).
func (h *UppyHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	failAs(w, r, h.opts.Logger, err, func(he *Error) any {
		return struct {
			Error string `json:"error"`
			Code  string `json:"code"`
		}{he.Message, he.Code}
	})
}
