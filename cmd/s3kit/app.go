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

// The page and its assets, built into the binary. The assets are stored
// in the static storage when serve starts (under assetDir), so that the
// page finds them with the "static" template function, as a Django
// template would; without a static storage they are served from /assets/.
//
//go:embed page.html assets
var pageFiles embed.FS

const assetDir = "s3kit"

// serveOptions are the settings of serve's handler, from its flags.
type serveOptions struct {
	mode        handler.Mode
	maxFileSize int64
	listLimit   int
	log         *slog.Logger
}

// app is serve's handler.
type app struct {
	mux      *http.ServeMux
	st       *storages
	funcs    *templatefuncs.Funcs
	page     *template.Template
	opts     serveOptions
	inflight sync.WaitGroup
}

func newApp(ctx context.Context, st *storages, opts serveOptions) (*app, error) {
	a := &app{mux: http.NewServeMux(), st: st, opts: opts}
	assets, err := fs.Sub(pageFiles, "assets")
	if err != nil {
		return nil, err
	}
	var static templatefuncs.URLer = pathURLer("/assets/")
	if st.static != nil {
		if err := publishAssets(ctx, st.static, assets); err != nil {
			return nil, fmt.Errorf("storing the page's assets in the static storage: %w", err)
		}
		static = prefixURLer{st.static, assetDir + "/"}
	} else {
		a.mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
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
	up, err := handler.NewUploadHandler(st.media, handler.Options{
		Mode: opts.mode, MaxFileSize: opts.maxFileSize, Logger: opts.log,
	})
	if err != nil {
		return nil, err
	}
	policy, err := handler.NewPolicyHandler(st.media, handler.PolicyOptions{MaxFileSize: opts.maxFileSize, Logger: opts.log})
	if err != nil {
		return nil, err
	}
	media, err := middleware.NewRedirect(st.media, middleware.RedirectOptions{Prefix: "/media/", Logger: opts.log})
	if err != nil {
		return nil, err
	}
	a.mux.Handle("POST /upload", up)
	a.mux.Handle("POST /upload/policy", policy)
	a.mux.Handle("/media/", media.Handler(nil))
	if st.static != nil {
		static, err := middleware.NewRedirect(st.static, middleware.RedirectOptions{Prefix: "/static/", Logger: opts.log})
		if err != nil {
			return nil, err
		}
		a.mux.Handle("/static/", static.Handler(nil))
	}
	a.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintln(w, "ok")
	})
	a.mux.HandleFunc("GET /{$}", a.servePage)
	return a, nil
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.inflight.Add(1)
	defer a.inflight.Done()
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	a.mux.ServeHTTP(w, r)
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
	Files       []listedFile
	More        bool // more files than listed
	MaxFileSize int64
	MaxFileText string // "64 MiB"
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
	d := pageData{Where: a.st.where, Files: files, More: more, MaxFileSize: a.opts.maxFileSize, MaxFileText: sizeText(a.opts.maxFileSize), Mode: a.opts.mode.String()}
	if a.st.embedded != nil {
		d.Embedded = a.st.embedded.URL()
	}
	t, err := a.page.Clone()
	if err == nil {
		t.Funcs(a.funcs.FuncMap(r.Context()))
		var b strings.Builder
		if err = t.Execute(&b, d); err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
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
func mediaLink(name string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/media/" + strings.Join(segs, "/")
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
