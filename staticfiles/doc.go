// Package staticfiles does what Django's collectstatic does with
// ManifestStaticFilesStorage (and django-storages'
// S3ManifestStaticStorage): it gives every static file a name that
// changes with its content, rewrites the references between CSS and
// JavaScript files to those names, writes a staticfiles.json manifest
// that Django reads too, and uploads only what changed.
//
//	st, _ := storage.New(ctx, storage.Options{BucketName: "assets", Static: true})
//	sum, err := staticfiles.Collect(ctx, st, []staticfiles.Source{{Dir: "static"}, {Prefix: "vendor", Dir: "node_modules/lib/dist"}}, nil)
//	fmt.Println(sum) // "1999 uploaded, 0 unchanged": 999 files, twice each, and the manifest
//
//	m, err := staticfiles.LoadManifest(ctx, st) // in the web server
//	funcs, err := templatefuncs.New(templatefuncs.Options{Static: st, Manifest: m})
//
// # Names
//
// A file is stored twice: under its own name, with its original bytes
// (Django keeps the unhashed originals too), and under its hashed name,
// "name.<first 12 hex digits of the MD5>.ext" ("css/app.css" becomes
// "css/app.3f2a9c1b7d4e.css"), with the processed bytes for CSS and
// JavaScript. The MD5 of a CSS or JavaScript file is that of its content
// after rewriting, so a file changes name when a file it refers to does.
// Names are built exactly as Django's hashed_name builds them (Python's
// splitext: "a.tar.gz" becomes "a.tar.<hash>.gz"; a name is
// percent-decoded first), and are checked with storage.CleanName before
// anything is written.
//
// Sources are searched in order, as STATICFILES_DIRS is: the first
// source holding a name wins and the others' copies are ignored
// (Summary.Duplicates), as collectstatic does. Names matching
// DefaultIgnorePatterns ("CVS", ".*", "*~") are skipped; symbolic links
// are followed.
//
// # References
//
// The patterns and the rules are those of Django's HashedFilesMixin
// (Django 4.2 to 6.0), reproduced from its source with Python's own
// semantics (urllib's unquote and urldefrag, posixpath), and checked byte
// for byte against Django (Debian's 3.2, on the cases where it and
// current Django agree):
//
//   - in CSS, url(...) with any quoting, spaces inside the parentheses and
//     any case ("URL("), and @import "..." or '...'; in CSS and
//     JavaScript, a sourceMappingURL comment at the start of a line
//     ("/*# sourceMappingURL=... */", "//# sourceMappingURL=...");
//   - a relative URL is resolved against the file's directory ("../"
//     and "./" included, normalised as posixpath.normpath does); one
//     starting with Options.StaticURL ("/static/") against the root;
//   - left alone: data: and other URLs with a lower-case scheme,
//     protocol-relative ("//cdn..."), other absolute paths, "#"-only and
//     empty URLs;
//   - a ?query and a #fragment are kept, and so is the "?#iefix" of the
//     bulletproof @font-face syntax; a URL with a query is hashed from
//     the referenced file's original bytes, as Django does;
//   - the rewritten reference is written url("..."), and an @import
//     "x.css" becomes @import url("x.<hash>.css"), as Django writes them;
//   - as in Django, references inside CSS comments are rewritten too, and
//     url( "x.png" ) (a space before the quote) is the URL `"x.png" `,
//     a missing file.
//
// A CSS file that imports one that imports another is processed after
// its dependencies (a topological order: the fixed point Django reaches
// by repeating passes); references that form a cycle are an error, as
// they are in Django ("Max post-process passes exceeded"). Django's
// optional JavaScript module patterns (support_js_module_import_aggregation,
// off by default) are not implemented; CSS and JavaScript files must be
// UTF-8, as Django decodes them.
//
// # Manifest
//
// The manifest is Django's staticfiles.json, version "1.1" with its
// "hash" (the first 12 hex digits of the MD5 of its sorted paths),
// written as Python's json.dumps writes it, paths sorted. ParseManifest,
// ReadManifestFile and LoadManifest read versions "1.0" (Django before
// 4.2) and "1.1". A Manifest is a templatefuncs.Manifest: with Strict
// (Django's manifest_strict, the default) a name it does not hold is an
// error in the template; without, the name resolves to itself, the
// unhashed original.
//
// A storage configured with the S3ManifestStaticStorage BACKEND tells
// its manifest_name and manifest_strict through the optional
// ManifestSettings interface, which LoadManifest and Collect use.
//
// # Uploads
//
// Collect lists the destination once (one ListObjectsV2 request per
// 1000 objects), and compares each object with what it would write: the
// same size and the ETag of the same bytes, as a single upload (their
// MD5) or a multipart upload in the destination's Transfer().PartSize,
// after gzip compression where the destination compresses (its gzip is
// deterministic: the same bytes give the same ETag). It sends no HEAD
// requests. What differs is uploaded with up to Options.Concurrency
// requests at once; the hashed copies with Cache-Control: public,
// max-age=31536000, immutable. Objects whose ETag is not an MD5 (SSE-KMS,
// SSE-C) are uploaded on every run.
//
// The manifest is written last, and only once everything else is in
// place, so a run that fails halfway leaves the previous manifest, whose
// files are all still there. Old hashed files stay for servers still
// running the previous version, unless Options.Clear deletes what the run
// did not write (after the new manifest is in place).
//
// # Errors
//
// A reference to a file that is not among the sources is a
// *ReferenceError naming the file, the line and the reference, as
// Django's "The file ... could not be found" is (Django also finds stale
// files left in STATIC_ROOT by earlier runs; this package looks only at
// the sources). Options.WarnMissing turns it into a warning and leaves
// the reference unchanged. An unreadable source, a CSS file that is not
// UTF-8 or a failed upload stops the run before the manifest is written;
// the error says which file.
//
// # Concurrency
//
// Collect reads and uploads with up to Options.Concurrency goroutines
// and calls Options.Progress from them one call at a time. A Manifest is
// safe for concurrent use once made.
//
// # IAM
//
// Collect needs s3:ListBucket on the bucket and s3:PutObject on the
// location (and s3:DeleteObject with Clear); LoadManifest needs
// s3:GetObject on the manifest.
package staticfiles
