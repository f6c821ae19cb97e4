package middleware

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/s3kit/s3kit/storage"
)

// route is what Redirect and Proxy share: the prefix, the methods, name
// cleaning, the Authorize hook and the one place errors become statuses.
type route struct {
	what      string // "redirect" or "proxy", for log records
	prefix    string
	authorize func(*http.Request, string) error
	log       *slog.Logger
	// storageCleans tells that the storage is a *storage.Storage, which
	// cleans every name it is given, refusing the hostile ones with
	// storage.ErrInvalidName (a 400 here): without Authorize, nothing
	// needs the clean name before it, so it is cleaned once, there.
	storageCleans bool
}

func newRoute(what, prefix string, st any, authorize func(*http.Request, string) error, log *slog.Logger) (route, error) {
	if !strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "?#") {
		return route{}, fmt.Errorf("middleware: %s prefix must be a path starting with \"/\", got %q", what, prefix)
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	_, cleans := st.(*storage.Storage)
	return route{what: what, prefix: prefix, authorize: authorize, log: log, storageCleans: cleans}, nil
}

// Errors answered by Redirect and Proxy, mapped to statuses in one place
// (fail).
var (
	errBadName   = errors.New("middleware: invalid name")
	errForbidden = errors.New("middleware: forbidden")
	errMethod    = errors.New("middleware: method not allowed")
)

// name returns the cleaned, authorised name a GET or HEAD under the
// prefix asks for. ok is false when the request is not under the prefix
// (it goes to next) or was answered with an error.
func (rt *route) name(w http.ResponseWriter, r *http.Request, next http.Handler) (name string, ok bool) {
	p := r.URL.Path
	if !strings.HasPrefix(p, rt.prefix) {
		next.ServeHTTP(w, r)
		return "", false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rt.fail(w, r, errMethod)
		return "", false
	}
	raw := p[len(rt.prefix):]
	if rt.storageCleans && rt.authorize == nil && !maybeDirectory(raw) {
		return raw, true
	}
	name, err := storage.CleanName(raw)
	switch {
	case err != nil:
		rt.fail(w, r, errBadName)
		return "", false
	case name == "" || strings.HasSuffix(name, "/"):
		rt.fail(w, r, fs.ErrNotExist) // a directory: no file there
		return "", false
	}
	if rt.authorize != nil {
		if err := rt.authorize(r, name); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				err = errForbidden
			}
			rt.fail(w, r, err)
			return "", false
		}
	}
	return name, true
}

// maybeDirectory reports whether raw may clean to "" or to a name ending
// in "/" (a directory): CleanName keeps a trailing "/" and drops "."
// segments, so only these can.
func maybeDirectory(raw string) bool {
	return raw == "" || raw == "." || strings.HasSuffix(raw, "/") || strings.HasSuffix(raw, "/.")
}

// fail is the one place that turns errors into statuses. The body is the
// status text: never the error's.
func (rt *route) fail(w http.ResponseWriter, r *http.Request, err error) {
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
		rt.log.DebugContext(r.Context(), "middleware: "+rt.what+": the storage refused", "path", r.URL.Path, "err", err)
	case errors.Is(err, context.Canceled):
		code = http.StatusInternalServerError // the client went away: nothing to log
	default:
		code = http.StatusInternalServerError
		rt.log.ErrorContext(r.Context(), "middleware: "+rt.what, "path", r.URL.Path, "err", err)
	}
	writeStatus(w, r, code)
}

// writeStatus answers code with its status text, uncacheable, with the
// safety headers of the proxy's files: nosniff and the sandbox.
func writeStatus(w http.ResponseWriter, r *http.Request, code int) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
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
