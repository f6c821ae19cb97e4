package middleware

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/s3kit/s3kit/storage"
)

// URLer gives the URL of a stored file. *storage.Storage satisfies it.
type URLer interface {
	URL(ctx context.Context, name string, opts *storage.URLOptions) (string, error)
}

// Exister is the optional capability RedirectOptions.CheckExists needs.
// *storage.Storage satisfies it.
type Exister interface {
	Exists(ctx context.Context, name string) (bool, error)
}

// Expirer is the optional capability of a storage to tell how long the
// URLs it signs stay valid by default (querystring_expire); Redirect then
// bounds how long its redirects may be cached by it. *storage.Storage
// satisfies it.
type Expirer interface {
	DefaultExpiry() time.Duration
}

// RedirectOptions configures a Redirect. Only Prefix is required.
type RedirectOptions struct {
	// Prefix is the URL path under which names are served, such as
	// "/media/": a request for /media/a/b.png redirects to the URL of
	// "a/b.png". It must start with "/"; a trailing "/" is added.
	Prefix string

	// Status is the redirect status: http.StatusFound (302, the default)
	// or http.StatusTemporaryRedirect (307).
	Status int

	// Expire is the lifetime of the signed URLs redirected to. Default:
	// the storage's (querystring_expire).
	Expire time.Duration

	// MaxAge is the max-age of "Cache-Control: private" on redirects; it
	// must be shorter than the URL lifetime, so that a browser never
	// follows a cached redirect to an expired URL. Default: half the
	// lifetime when it is known (Expire, or the storage's DefaultExpiry
	// when it is an Expirer), else no caching. A negative MaxAge sends
	// "Cache-Control: no-store".
	MaxAge time.Duration

	// Authorize, when set, is called with the request and the cleaned
	// name before anything else. An error that matches fs.ErrNotExist
	// answers 404 (to hide that the file exists), any other 403; the
	// error text is never sent. Default: every request is allowed.
	Authorize func(r *http.Request, name string) error

	// CheckExists makes Redirect ask the storage whether the file exists
	// first (one HEAD request to S3) and answer 404 when it does not. The
	// storage must then implement Exister. Default: false (the browser
	// gets S3's 404 or 403 after the redirect).
	CheckExists bool

	// Logger receives a record for each internal error (answered 500), at
	// Error, and for each 403 of the storage (S3 AccessDenied), at Debug:
	// S3 answers 403 for a missing key to credentials without
	// s3:ListBucket, so a flood of them may mean the policy lacks it.
	// Default: none.
	Logger *slog.Logger
}

// Redirect answers GET and HEAD requests under a prefix with a redirect
// to the storage URL of the file named by the rest of the path: a
// presigned S3 URL, a CloudFront signed URL or a public URL, whichever
// the storage is configured for. Create it with NewRedirect; it is safe
// for concurrent use.
type Redirect struct {
	st           URLer
	ex           Exister
	prefix       string
	status       int
	expire       time.Duration
	cacheControl string
	authorize    func(*http.Request, string) error
	log          *slog.Logger
}

// NewRedirect returns a Redirect to the URLs of st. Every option is
// checked here, once.
func NewRedirect(st URLer, opts RedirectOptions) (*Redirect, error) {
	if st == nil {
		return nil, errors.New("middleware: NewRedirect: nil storage")
	}
	rd := &Redirect{st: st, expire: opts.Expire, authorize: opts.Authorize, log: opts.Logger}
	if !strings.HasPrefix(opts.Prefix, "/") || strings.ContainsAny(opts.Prefix, "?#") {
		return nil, fmt.Errorf("middleware: redirect prefix must be a path starting with \"/\", got %q", opts.Prefix)
	}
	rd.prefix = opts.Prefix
	if !strings.HasSuffix(rd.prefix, "/") {
		rd.prefix += "/"
	}
	switch opts.Status {
	case 0:
		rd.status = http.StatusFound
	case http.StatusFound, http.StatusTemporaryRedirect:
		rd.status = opts.Status
	default:
		return nil, fmt.Errorf("middleware: redirect status must be 302 or 307, got %d", opts.Status)
	}
	if err := storage.ValidExpiry(opts.Expire); err != nil && opts.Expire != 0 {
		return nil, fmt.Errorf("middleware: redirect expiry %w", err)
	}
	lifetime := opts.Expire
	if e, ok := st.(Expirer); ok && lifetime == 0 {
		lifetime = e.DefaultExpiry()
	}
	switch {
	case opts.MaxAge < 0:
		rd.cacheControl = "no-store"
	case opts.MaxAge == 0 && lifetime >= 2*time.Second:
		rd.cacheControl = "private, max-age=" + strconv.Itoa(int(lifetime/2/time.Second))
	case opts.MaxAge == 0:
		rd.cacheControl = "no-store"
	case lifetime != 0 && opts.MaxAge >= lifetime:
		return nil, fmt.Errorf("middleware: redirect max-age %v must be shorter than the URL lifetime %v", opts.MaxAge, lifetime)
	case opts.MaxAge < time.Second:
		return nil, fmt.Errorf("middleware: redirect max-age must be at least 1 s, got %v", opts.MaxAge)
	default:
		rd.cacheControl = "private, max-age=" + strconv.Itoa(int(opts.MaxAge/time.Second))
	}
	if opts.CheckExists {
		ex, ok := st.(Exister)
		if !ok {
			return nil, fmt.Errorf("middleware: CheckExists needs a storage with Exists; %T has none", st)
		}
		rd.ex = ex
	}
	if rd.log == nil {
		rd.log = slog.New(slog.DiscardHandler)
	}
	return rd, nil
}

// Handler returns a handler that serves the requests under the prefix
// and passes the others to next (a 404 when next is nil).
func (rd *Redirect) Handler(next http.Handler) http.Handler {
	if next == nil {
		next = http.NotFoundHandler()
	}
	return &redirectHandler{rd: rd, next: next}
}

type redirectHandler struct {
	rd   *Redirect
	next http.Handler
}

// Errors answered by Redirect, mapped to statuses in one place (fail).
var (
	errBadName   = errors.New("middleware: invalid name")
	errForbidden = errors.New("middleware: forbidden")
	errMethod    = errors.New("middleware: method not allowed")
)

func (h *redirectHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rd := h.rd
	p := r.URL.Path
	if !strings.HasPrefix(p, rd.prefix) {
		h.next.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rd.fail(w, r, errMethod)
		return
	}
	name, err := storage.CleanName(p[len(rd.prefix):])
	switch {
	case err != nil:
		rd.fail(w, r, errBadName)
		return
	case name == "" || strings.HasSuffix(name, "/"):
		rd.fail(w, r, fs.ErrNotExist) // a directory: nothing to redirect to
		return
	}
	if rd.authorize != nil {
		if err := rd.authorize(r, name); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				err = errForbidden
			}
			rd.fail(w, r, err)
			return
		}
	}
	ctx := r.Context()
	if rd.ex != nil {
		ok, err := rd.ex.Exists(ctx, name)
		if err == nil && !ok {
			err = fs.ErrNotExist
		}
		if err != nil {
			rd.fail(w, r, err)
			return
		}
	}
	opts := storage.URLOptions{Expire: rd.expire, Method: r.Method}
	if hasParam(r.URL.RawQuery, "download") {
		opts.ResponseContentDisposition = storage.Attachment(path.Base(name))
	}
	loc, err := h.rd.st.URL(ctx, name, &opts)
	if err != nil {
		rd.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd["Location"] = []string{loc}
	hd["Cache-Control"] = []string{rd.cacheControl}
	w.WriteHeader(rd.status)
}

// fail is the one place that turns errors into statuses. The body is the
// status text: never the error's.
func (rd *Redirect) fail(w http.ResponseWriter, r *http.Request, err error) {
	var code int
	switch {
	case errors.Is(err, errMethod):
		code = http.StatusMethodNotAllowed
		w.Header().Set("Allow", "GET, HEAD")
	case errors.Is(err, errBadName), errors.Is(err, storage.ErrInvalidName):
		code = http.StatusBadRequest
	case errors.Is(err, fs.ErrNotExist):
		code = http.StatusNotFound
	case errors.Is(err, errForbidden):
		code = http.StatusForbidden
	case errors.Is(err, fs.ErrPermission): // S3 AccessDenied
		code = http.StatusForbidden
		rd.log.DebugContext(r.Context(), "middleware: redirect: the storage refused", "path", r.URL.Path, "err", err)
	case errors.Is(err, context.Canceled):
		code = http.StatusInternalServerError // the client went away: nothing to log
	default:
		code = http.StatusInternalServerError
		rd.log.ErrorContext(r.Context(), "middleware: redirect", "path", r.URL.Path, "err", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		text := http.StatusText(code)
		if text == "" {
			text = "error"
		}
		fmt.Fprintln(w, text)
	}
}

// hasParam reports whether the raw query has a parameter called key,
// with or without a value.
func hasParam(rawQuery, key string) bool {
	for rawQuery != "" {
		var kv string
		kv, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, _, _ := strings.Cut(kv, "=")
		if k == key {
			return true
		}
	}
	return false
}
