// Command s3kit serves, inspects and fills S3 storages configured as
// django-storages configures them.
//
//	s3kit serve                      # a development server: uploads, redirects, static files
//	s3kit url NAME                   # the URL of a stored file
//	s3kit ls [DIR]                   # list a directory
//	s3kit put FILE [NAME]            # store a file
//	s3kit get NAME [FILE]            # fetch a file ("-" for standard output)
//	s3kit rm NAME...                 # delete files
//	s3kit collectstatic [prefix=]DIR... # hash, rewrite and upload static files, as Django does
//	s3kit doctor                     # probe the S3 service: what it supports, the settings it needs
//
// # Storages
//
// Storages come from the AWS_* environment (AWS_STORAGE_BUCKET_NAME, ...)
// or from a JSON file of named storages shaped like Django's STORAGES
// (-config FILE, -storage NAME; serve uses "default" for media and
// "staticfiles" for /static/). With no bucket configured, or with -data or
// -memory, every command uses the embedded S3-compatible server (package
// s3local) on a data directory (-data, default ./s3kit-data): serve starts
// it on loopback, and the other commands read and write the same
// directory (through the running serve's server while there is one). The
// server's key is "s3kit" and its secret is random, kept in the data
// directory (.s3kit-secret, mode 0600), or per process with -memory. The
// user's storage settings apply to it, but for those that pick the server
// or the identity used on it; each command names, at start, the settings
// it took and those it ignored. The embedded server is for development,
// not production.
//
// # Commands
//
// serve [flags] runs a development server on -addr (127.0.0.1:8000):
// a page that lists and uploads media files, /media/NAME (a redirect to
// a presigned URL, or with -media-mode proxy the file streamed through
// serve, with Range and 304), /static/ and /healthz. Its page uploads
// files through the server (POST /upload; -upload-mode spool or stream),
// with a presigned POST policy, or, over -resumable-threshold (100 MiB),
// straight to S3 in parts with the vendored Uppy 6 (handler.UppyHandler at
// /s3/): pause, resume, and resumption after a reload. Each resumable
// upload belongs to the browser that started it (a MAC'd, HttpOnly,
// SameSite=Strict cookie the page sets). -max-file-size (5 GiB) bounds
// every path; /upload and the policies take files up to the threshold.
// serve answers loopback Host names only (and -allowed-hosts), refuses
// cross-origin POSTs (http.CrossOriginProtection; -trusted-origins, which
// the upload handlers are given too), and sends its page with a
// Content-Security-Policy. The embedded server listens on -s3-addr
// (127.0.0.1, a free port). On SIGINT or SIGTERM, requests in flight get
// -shutdown-timeout (10 s) to finish, then are cancelled and their
// uploads aborted. -v logs every refused request and storage warning.
//
// url [flags] NAME prints the URL of a stored file: signed for
// -expire (default: the storage's querystring_expire) when the storage
// signs URLs, with -download for Content-Disposition: attachment.
//
// ls [flags] [DIR] lists the directories and files of DIR (default: the
// top); -r lists the whole tree below it, with sizes and times.
//
// put [flags] FILE [NAME] stores FILE under NAME (default: its base name)
// and prints the name it was stored under, with its size, type and
// SHA-256: a taken name gets a suffix, as the storage's file_overwrite
// says, unless -overwrite.
//
// get [flags] NAME [FILE] fetches NAME into FILE (default: its base
// name; "-" for standard output), and does not replace an existing FILE
// unless -f.
//
// rm [flags] NAME... deletes each stored file named; a name that does not
// exist is an error (exit status 1, after the others are deleted) unless
// -f.
//
// collectstatic [flags] [prefix=]DIR... hashes, rewrites and uploads the
// static files of each DIR (under prefix/ when given), with their manifest,
// as Django's ManifestStaticFilesStorage: -dry-run says what would change,
// -clear deletes what this run did not write or find unchanged,
// -warn-missing makes a missing CSS reference a warning, -static-url is
// STATIC_URL, -manifest-version 1.0 writes the format of Django before
// 4.2, -concurrency bounds the files handled at once.
//
// doctor [flags] probes the S3 service of the storage (what it supports:
// checksums, conditional writes, presigned POST, CORS from -origin, ...)
// and prints the settings the service needs, as text or with -json;
// -require names probes the application needs (exit status 1 unless they
// pass); -timeout bounds the probes. What it writes, it deletes.
//
// Each command has -h. Exit status: 0 on success, 1 when the command
// failed, 2 for a usage error.
package main
