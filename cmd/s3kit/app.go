package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/middleware"
	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/templatefuncs"
)

// The page and its assets (its style sheet), built into the binary. The
// assets are stored in the static storage when serve starts (under
// assetDir), so that the page finds them with the "static" template
// function, as a Django template would; without a static storage they are
// served from /assets/. Its scripts are served by serve itself (see
// scriptFiles).
//
//go:embed page.html assets
var pageFiles embed.FS

const assetDir = "s3kit"

// serveOptions are the settings of serve's handler, from its flags.
type serveOptions struct {
	mode           handler.Mode
	maxFileSize    int64  // every file, on every path
	resumable      int64  // the threshold: larger files go to /s3/ in parts, smaller ones to /upload or a policy
	secret         []byte // the key of the app's MACs; nil: appSecret's
	listLimit      int
	hosts          hostPolicy // the Host names answered
	trustedOrigins []string   // origins whose cross-origin POSTs are accepted
	proxyMedia     bool       // -media-mode proxy: /media/ streams files instead of redirecting
	log            *slog.Logger
}

// app is serve's handler: the Host check, then the cross-origin check,
// then the routes.
type app struct {
	handler  http.Handler
	mux      *http.ServeMux
	st       *storages
	funcs    *templatefuncs.Funcs
	page     *template.Template
	csp      string // the page's Content-Security-Policy
	opts     serveOptions
	browsers *browsers // the identities of browsers, the principals of /s3/
	inflight sync.WaitGroup
}

// otherCSP is the Content-Security-Policy of every answer but the page.
const otherCSP = "default-src 'none'; frame-ancestors 'none'; sandbox"

func newApp(ctx context.Context, st *storages, opts serveOptions) (*app, error) {
	a := &app{mux: http.NewServeMux(), st: st, opts: opts}
	if a.opts.secret == nil {
		a.opts.secret = appSecret(st)
	}
	defaults(&a.opts.maxFileSize, defaultMaxFileSize)
	defaults(&a.opts.resumable, defaultResumableThreshold)
	a.browsers = &browsers{key: subKey(a.opts.secret, "browser identities")}
	static, err := a.assets(ctx)
	if err != nil {
		return nil, err
	}
	if a.funcs, err = templatefuncs.New(templatefuncs.Options{Static: static, Media: st.media}); err != nil {
		return nil, err
	}
	// Parsed with the funcs of a background context; each request clones
	// the template with funcs bound to its own context.
	a.page, err = template.New("page.html").Delims("<<", ">>").Funcs(a.funcs.FuncMap(context.Background())).ParseFS(pageFiles, "page.html")
	if err != nil {
		return nil, err
	}
	if err := a.routes(); err != nil {
		return nil, err
	}
	if a.csp, err = pageCSP(ctx, static, st.media); err != nil {
		return nil, err
	}
	cop := http.NewCrossOriginProtection()
	for _, o := range opts.trustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, err
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintln(w, "s3kit serve refuses cross-origin requests (see -trusted-origins)")
	}))
	a.handler = opts.hosts.handler(cop.Handler(a.mux))
	return a, nil
}

// assets makes the page's assets reachable and returns what resolves
// their names: stored in the static storage (under assetDir), or, without
// one, served from /assets/.
func (a *app) assets(ctx context.Context) (templatefuncs.URLer, error) {
	assets, err := fs.Sub(pageFiles, "assets")
	if err != nil {
		return nil, err
	}
	if a.st.static == nil {
		a.mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
		return pathURLer("/assets/"), nil
	}
	if err := publishAssets(ctx, a.st.static, assets); err != nil {
		return nil, fmt.Errorf("storing the page's assets in the static storage: %w", err)
	}
	return prefixURLer{a.st.static, assetDir + "/"}, nil
}

// smallFileSize is the bound of the paths for files up to the resumable
// threshold: /upload and the POST policies.
func (o *serveOptions) smallFileSize() int64 { return min(o.maxFileSize, o.resumable) }

// routes adds the uploads, the redirects, the scripts and the page to the
// mux. Each upload handler refuses cross-origin requests itself, with the
// same trusted origins as serve's own layer.
func (a *app) routes() error {
	st, opts := a.st, a.opts
	up, err := handler.NewUploadHandler(st.media, handler.Options{
		Mode: opts.mode, MaxFileSize: opts.smallFileSize(), TrustedOrigins: opts.trustedOrigins, Logger: opts.log,
	})
	if err != nil {
		return err
	}
	policy, err := handler.NewPolicyHandler(st.media, handler.PolicyOptions{
		MaxFileSize: opts.smallFileSize(), TrustedOrigins: opts.trustedOrigins,
		Secret: subKey(opts.secret, "policy confirmations"), Logger: opts.log,
	})
	if err != nil {
		return err
	}
	uppy, err := a.uppyHandler(opts.secret)
	if err != nil {
		return err
	}
	media, err := mediaRoute(st.media, opts)
	if err != nil {
		return err
	}
	a.mux.Handle("POST /upload", up)
	a.mux.Handle("POST /upload/policy", policy)
	a.mux.Handle("POST /upload/policy/confirm", policy.Confirm())
	a.mux.Handle("/s3/", uppy)
	a.mux.Handle("GET /scripts/", scripts())
	a.mux.Handle("/media/", media.Handler(nil))
	if st.static != nil {
		static, err := middleware.NewRedirect(st.static, middleware.RedirectOptions{Prefix: "/static/", Logger: opts.log})
		if err != nil {
			return err
		}
		a.mux.Handle("/static/", static.Handler(nil))
	}
	a.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintln(w, "ok")
	})
	a.mux.HandleFunc("GET /{$}", a.servePage)
	return nil
}

// mediaRoute answers /media/<name>: a redirect to the file's URL, or with
// -media-mode proxy the file streamed through serve (Range, 304, sandboxed
// active types).
func mediaRoute(media *storage.Storage, opts serveOptions) (interface {
	Handler(http.Handler) http.Handler
}, error) {
	if opts.proxyMedia {
		return middleware.NewProxy(media, middleware.ProxyOptions{Prefix: "/media/", Logger: opts.log})
	}
	return middleware.NewRedirect(media, middleware.RedirectOptions{Prefix: "/media/", Logger: opts.log})
}

// pageCSP returns the page's Content-Security-Policy: scripts of its own
// origin only (the embedded server's origin also serves what users
// upload), its style sheet from the origin of its assets, and, for the
// direct uploads, the origins that POST policies and Uppy's parts are sent
// to; no inline script or style, no framing.
func pageCSP(ctx context.Context, static templatefuncs.URLer, media *storage.Storage) (string, error) {
	assets, err := static.URL(ctx, "app.css", nil)
	if err != nil {
		return "", fmt.Errorf("the URL of the page's style sheet: %w", err)
	}
	post, err := media.PresignPost(ctx, "s3kit-csp", nil) // no network call
	if err != nil {
		return "", fmt.Errorf("the URL of direct uploads: %w", err)
	}
	part, err := media.PresignDirect(ctx, storage.DirectUploadPart, "s3kit-csp", &storage.DirectOptions{UploadID: "csp", PartNumber: 1}) // no network call
	if err != nil {
		return "", fmt.Errorf("the URL of the parts of resumable uploads: %w", err)
	}
	connect := "'self'" + origin(post.URL)
	if o := origin(part.URL); !strings.Contains(connect+" ", o+" ") {
		connect += o
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'" + origin(assets) + "; img-src 'self' data:; connect-src " + connect +
		"; form-action 'self'; base-uri 'none'; frame-ancestors 'none'", nil
}

// origin returns " scheme://host" of an absolute http(s) URL, else "".
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return " " + p.Scheme + "://" + p.Host
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.inflight.Add(1)
	defer a.inflight.Done()
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", otherCSP)
	a.handler.ServeHTTP(w, r)
}

// wait waits, at most d, for the requests in flight (their cleanups).
func (a *app) wait(d time.Duration) {
	done := make(chan struct{})
	go func() { a.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// pageData is what page.html shows.
type pageData struct {
	Where       string
	Embedded    string // the embedded server's URL, or ""
	Location    string // the media storage's key prefix, or ""
	Taken       string // with the embedded server: the user's settings it applies, or ""
	Ignored     string // and those it does not, or ""
	Files       []listedFile
	More        bool // more files than listed
	MaxFileSize int64
	MaxFileText string // "5 GiB"
	Resumable   int64  // the resumable threshold
	ResumText   string // "100 MiB"
	Mode        string
}

type listedFile struct {
	Name, Link string
	Size       int64
	Modified   time.Time
}

func (a *app) servePage(w http.ResponseWriter, r *http.Request) {
	files, more, err := a.recent(r.Context())
	if err != nil {
		a.opts.log.ErrorContext(r.Context(), "s3kit: listing the stored files", "err", err)
		http.Error(w, "the stored files cannot be listed; see the server's log", http.StatusInternalServerError)
		return
	}
	d := pageData{Where: a.st.where, Files: files, More: more, MaxFileSize: a.opts.maxFileSize, MaxFileText: sizeText(a.opts.maxFileSize),
		Resumable: a.opts.resumable, ResumText: sizeText(a.opts.resumable), Mode: a.opts.mode.String()}
	if a.st.local {
		d.Embedded = a.st.endpoint
		d.Taken, d.Ignored = a.st.settings.lines()
	}
	if l := a.st.media.Location(); l != "" {
		d.Location = l + "/"
	}
	t, err := a.page.Clone()
	if err == nil {
		t.Funcs(a.funcs.FuncMap(r.Context()))
		var b strings.Builder
		if err = t.Execute(&b, d); err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Security-Policy", a.csp)
			a.browsers.ensure(w, r)
			fmt.Fprint(w, b.String())
			return
		}
	}
	a.opts.log.ErrorContext(r.Context(), "s3kit: rendering the page", "err", err)
	http.Error(w, "the page cannot be rendered; see the server's log", http.StatusInternalServerError)
}

// sizeText writes n bytes in binary units: "64 MiB", "1.5 GiB", "100 bytes".
func sizeText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	f, units := float64(n), []string{"KiB", "MiB", "GiB", "TiB"}
	i := -1
	for f >= unit && i < len(units)-1 {
		f /= unit
		i++
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0") + " " + units[i]
}

// errEnough stops a walk.
var errEnough = errors.New("enough")

// recent lists the stored files, newest first, at most listLimit of them
// (of the first 10000 keys).
func (a *app) recent(ctx context.Context) ([]listedFile, bool, error) {
	var all []listedFile
	err := a.st.media.Walk(ctx, "", func(info storage.Info) error {
		all = append(all, listedFile{Name: info.Name, Link: mediaLink(info.Name), Size: info.Size, Modified: info.ModTime})
		if len(all) == 10000 {
			return errEnough
		}
		return nil
	})
	if err != nil && err != errEnough {
		return nil, false, err
	}
	slices.SortStableFunc(all, func(x, y listedFile) int { return y.Modified.Compare(x.Modified) })
	more := len(all) > a.opts.listLimit
	return all[:min(len(all), a.opts.listLimit)], more, nil
}

// mediaLink is the path that redirects to a stored file.
func mediaLink(name string) string { return "/media/" + escapeSegments(name) }

// escapeSegments URL-encodes each segment of a slash-separated name or
// key, keeping the slashes: a path, or an x-amz-copy-source.
func escapeSegments(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// publishAssets stores the page's assets in the static storage, under
// assetDir, replacing older ones.
func publishAssets(ctx context.Context, st *storage.Storage, assets fs.FS) error {
	return fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := assets.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = st.Put(ctx, path.Join(assetDir, p), f, &storage.SaveOptions{
			Conflict: storage.ConflictOverwrite,
			Params:   storage.ObjectParameters{CacheControl: "no-cache"},
		})
		return err
	})
}

// prefixURLer resolves static names under a directory of a storage.
type prefixURLer struct {
	st     templatefuncs.URLer
	prefix string
}

func (p prefixURLer) URL(ctx context.Context, name string, opts *storage.URLOptions) (string, error) {
	return p.st.URL(ctx, p.prefix+name, opts)
}

// SignsURLs is the storage's, so that templatefuncs caches unsigned URLs.
func (p prefixURLer) SignsURLs() bool {
	s, ok := p.st.(interface{ SignsURLs() bool })
	return !ok || s.SignsURLs()
}

// pathURLer resolves static names to paths of this server.
type pathURLer string

func (p pathURLer) URL(_ context.Context, name string, _ *storage.URLOptions) (string, error) {
	clean, err := storage.CleanName(name)
	if err != nil {
		return "", err
	}
	return string(p) + clean, nil
}

// SignsURLs is false: the paths never change.
func (pathURLer) SignsURLs() bool { return false }
