// Package templatefuncs gives html/template (and text/template) the URLs
// of stored files, as Django's {% static %} and FileField.url do:
//
//	funcs, err := templatefuncs.New(templatefuncs.Options{Static: static, Media: media})
//	t := template.Must(template.New("page").Funcs(funcs.FuncMap(ctx)).Parse(`<img src="{{ media .Avatar }}">`))
//
// It depends only on a small interface, URLer, that *storage.Storage
// satisfies.
//
// # Functions
//
// FuncMap returns a fresh template.FuncMap per call with "static" (the
// static storage: custom domain or location, unsigned by default) and
// "media" (the default storage, presigned when it is configured so).
// Both return (string, error), so that a bad name stops Execute, and
// plain strings, so that html/template escapes them where they land.
// They work with any delimiters: Delims("<<", ">>") and
// << static "css/app.css" >>.
//
// # Names
//
// Names are cleaned by the storage (storage.CleanName): a hostile name is
// an error, never a URL. With a Manifest (the collectstatic manifest:
// a *staticfiles.Manifest from staticfiles.LoadManifest or
// staticfiles.ReadManifestFile), "static" first maps a name to its hashed
// name; a name the manifest does not resolve is an error (a strict
// manifest, Django's manifest_strict, resolves only the names it holds).
//
// # Speed
//
// The static storage's URLs do not expire when it does not sign (the
// default for a static storage), so "static" remembers them in a bounded
// cache: a lookup costs a map read and no allocation. "media" builds its
// URL every time (about a microsecond when presigned).
//
// # Concurrency
//
// Funcs and the FuncMaps it returns are safe for concurrent use.
package templatefuncs
