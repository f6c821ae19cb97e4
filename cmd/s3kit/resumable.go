package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/s3kit/s3kit/handler"
)

// The page's scripts, served by serve itself (script-src 'self'): its
// module, and the pinned Uppy bundle it imports (see
// scripts/uppy-6.0.1/README.md). They are not stored in the static
// storage: a module script from another origin needs CORS there, and the
// embedded server's origin also serves the media bucket, whose files
// users upload.
//
//go:embed scripts/app.js scripts/uppy-6.0.1/uppy.min.mjs scripts/uppy-6.0.1/LICENSE
var scriptFiles embed.FS

// uppyDir is the directory of the vendored Uppy bundle, its version in
// its name, so that its files may be cached for good.
const uppyDir = "uppy-6.0.1/"

// scripts serves the page's scripts under /scripts/: JavaScript with its
// type, the bundle cached for a year, the page's module revalidated.
func scripts() http.Handler {
	sub, err := fs.Sub(scriptFiles, "scripts")
	if err != nil {
		panic(err) // the embedded directory exists
	}
	files := http.FileServerFS(sub)
	return http.StripPrefix("/scripts/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if strings.HasSuffix(r.URL.Path, ".js") || strings.HasSuffix(r.URL.Path, ".mjs") {
			h.Set("Content-Type", "text/javascript; charset=utf-8")
		}
		if strings.HasPrefix(r.URL.Path, uppyDir) {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	}))
}

// uppyHandler is the server half of Uppy's S3 protocol, mounted at /s3/:
// the uploads of files over the resumable threshold, sent to S3 in parts,
// each bound to the browser that started it, up to -max-file-size.
func (a *app) uppyHandler(secret []byte) (http.Handler, error) {
	h, err := handler.NewUppyHandler(a.st.media, handler.UppyOptions{
		Principal:      a.browsers.principal,
		Secret:         subKey(secret, "uppy upload ids"),
		MaxFileSize:    a.opts.maxFileSize,
		TrustedOrigins: a.opts.trustedOrigins,
		Logger:         a.opts.log,
	})
	if err != nil {
		return nil, err
	}
	return http.StripPrefix("/s3", h), nil
}

// subKey derives the key of one use from the app's secret.
func subKey(secret []byte, use string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("s3kit serve\x00" + use))
	return m.Sum(nil)
}

// defaults sets *v to def when it is zero.
func defaults(v *int64, def int64) {
	if *v == 0 {
		*v = def
	}
}
