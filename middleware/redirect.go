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
	"sync/atomic"
	"time"

	"github.com/s3kit/s3kit/storage"
)

// URLer gives the URL of a stored file. *storage.Storage satisfies it.
// Implementations must not modify opts: Redirect shares them between
// requests.
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

// ExpiryURLer is the optional capability of a storage to tell, with each
// URL, when that URL stops working (the zero Time for one that does not
// expire). Redirect then calls it instead of URL, and bounds the max-age
// of each redirect by the real life of its URL, which may be shorter than
// the storage's default (a stable window, credentials that expire
// sooner). *storage.Storage satisfies it.
type ExpiryURLer interface {
	URLWithExpiry(ctx context.Context, name string, opts *storage.URLOptions) (string, time.Time, error)
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
	// when it is an Expirer), else no caching. When the storage is an
	// ExpiryURLer, each redirect's max-age is at most half the remaining
	// life of its own URL, MaxAge or not. A negative MaxAge sends
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
	route
	st           URLer
	exu          ExpiryURLer // st, when it tells each URL's expiry
	ex           Exister
	status       int
	expire       time.Duration
	cacheControl []string      // when the URL's life is not known per URL
	maxAge       time.Duration // the bound per URL: MaxAge, or 0 for none; -1 no-store
	now          func() time.Time
	cc           atomic.Pointer[maxAgeValue] // the last Cache-Control made per URL

	getOpts, headOpts storage.URLOptions // the options of most requests
}

// maxAgeValue is a Cache-Control value for a max-age in seconds.
type maxAgeValue struct {
	secs  int64
	value []string
}

// The Cache-Control values Redirect sets are made once and shared by the
// responses (one allocation less per request). net/http and
// Header.Set/Add never write a value in place: Set replaces the slice,
// Add appends past its length, which the shared slice does not see.
var noStore = []string{"no-store"}

// NewRedirect returns a Redirect to the URLs of st. Every option is
// checked here, once.
func NewRedirect(st URLer, opts RedirectOptions) (*Redirect, error) {
	if st == nil {
		return nil, errors.New("middleware: NewRedirect: nil storage")
	}
	rt, err := newRoute("redirect", opts.Prefix, st, opts.Authorize, opts.Logger)
	if err != nil {
		return nil, err
	}
	rd := &Redirect{route: rt, st: st, expire: opts.Expire, maxAge: opts.MaxAge, now: time.Now,
		getOpts:  storage.URLOptions{Expire: opts.Expire, Method: http.MethodGet},
		headOpts: storage.URLOptions{Expire: opts.Expire, Method: http.MethodHead}}
	rd.exu, _ = st.(ExpiryURLer)
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
	cc, err := staticCacheControl(st, opts)
	if err != nil {
		return nil, err
	}
	rd.cacheControl = []string{cc}
	if opts.CheckExists {
		ex, ok := st.(Exister)
		if !ok {
			return nil, fmt.Errorf("middleware: CheckExists needs a storage with Exists; %T has none", st)
		}
		rd.ex = ex
	}
	return rd, nil
}

// staticCacheControl is the Cache-Control of redirects whose URL's life
// is not known per URL: half the lifetime the options or the storage
// tell, or MaxAge.
func staticCacheControl(st URLer, opts RedirectOptions) (string, error) {
	lifetime := opts.Expire
	if e, ok := st.(Expirer); ok && lifetime == 0 {
		lifetime = e.DefaultExpiry()
	}
	switch {
	case opts.MaxAge < 0:
		return "no-store", nil
	case opts.MaxAge == 0 && lifetime >= 2*time.Second:
		return "private, max-age=" + strconv.Itoa(int(lifetime/2/time.Second)), nil
	case opts.MaxAge == 0:
		return "no-store", nil
	case lifetime != 0 && opts.MaxAge >= lifetime:
		return "", fmt.Errorf("middleware: redirect max-age %v must be shorter than the URL lifetime %v", opts.MaxAge, lifetime)
	case opts.MaxAge < time.Second:
		return "", fmt.Errorf("middleware: redirect max-age must be at least 1 s, got %v", opts.MaxAge)
	}
	return "private, max-age=" + strconv.Itoa(int(opts.MaxAge/time.Second)), nil
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

func (h *redirectHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rd := h.rd
	name, ok := rd.name(w, r, h.next)
	if !ok {
		return
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
	opts := &rd.getOpts // shared, read-only: no allocation per request
	if r.Method == http.MethodHead {
		opts = &rd.headOpts
	}
	if hasParam(r.URL.RawQuery, "download") {
		opts = &storage.URLOptions{Expire: rd.expire, Method: r.Method, ResponseContentDisposition: storage.Attachment(path.Base(name))}
	}
	var (
		loc     string
		expires time.Time
		err     error
	)
	if rd.exu != nil {
		loc, expires, err = rd.exu.URLWithExpiry(ctx, name, opts)
	} else {
		loc, err = rd.st.URL(ctx, name, opts)
	}
	if err != nil {
		rd.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd["Location"] = []string{loc}
	hd["Cache-Control"] = rd.cacheControlFor(expires)
	w.WriteHeader(rd.status)
}

// cacheControlFor returns the Cache-Control of a redirect to a URL that
// expires at expires: a max-age of half its remaining life, at most
// MaxAge; the static value when the expiry is not known (zero).
func (rd *Redirect) cacheControlFor(expires time.Time) []string {
	if expires.IsZero() || rd.maxAge < 0 {
		return rd.cacheControl
	}
	// Half the life counted in whole seconds begun: the URL is signed at
	// a whole second, so the clock's fraction since then is not lost.
	// (In seconds and nanoseconds apart: Time.Sub costs thrice as much.)
	now := rd.now()
	begun := expires.Unix() - now.Unix()
	if expires.Nanosecond() > now.Nanosecond() {
		begun++
	}
	secs := begun / 2
	if rd.maxAge > 0 {
		secs = min(secs, int64(rd.maxAge/time.Second))
	}
	if secs < 1 {
		return noStore
	}
	if v := rd.cc.Load(); v != nil && v.secs == secs {
		return v.value
	}
	v := &maxAgeValue{secs: secs, value: []string{"private, max-age=" + strconv.FormatInt(secs, 10)}}
	rd.cc.Store(v)
	return v.value
}
