// Package handler gives Go web servers the upload endpoints of a Django
// site on S3: UploadHandler stores the files of multipart/form-data POSTs
// with a storage (a Saver, which *storage.Storage is), and PolicyHandler
// hands browsers presigned POST policies to upload straight to S3.
//
//	st, err := storage.New(ctx, storage.Options{BucketName: "media", Location: "uploads"})
//	up, err := handler.NewUploadHandler(st, handler.Options{
//		MaxFileSize:  10 << 20,
//		AllowedTypes: []string{"image/*", "application/pdf"},
//	})
//	http.Handle("POST /upload", up)
//
// A successful request is answered 201 with one JSON object per file:
//
//	{"files": [{"field": "avatar", "filename": "Me.png", "name": "2025/01/31/Me.png",
//	  "url": "https://...", "size": 5120, "content_type": "image/png", "etag": "\"9a0364b9...\""}]}
//
// # Modes
//
// In Spool mode (the default) each file is received whole before it goes
// to S3: in memory up to SpoolMemory (2.5 MiB, Django's
// FILE_UPLOAD_MAX_MEMORY_SIZE), then in a temporary file in TempDir that
// is unlinked as soon as it is created; Put then uploads it with
// concurrent parts read from the file. A slow client never holds an S3
// upload open, and the memory per file is bounded by SpoolMemory.
//
// In Stream mode each file goes to Put as it arrives, so parts reach S3
// while the client is still sending; the memory per file is the storage's
// stream buffers (see storage.Storage.Put and # Memory below), and
// nothing goes to disk. When
// names must not be overwritten (the default), a file larger than the
// storage's multipart threshold claims its name with a small placeholder
// before its first part is sent (see storage.Storage.Put), so that a name
// taken by another writer is renamed before anything is lost.
//
// In both modes the storage's gzip settings apply.
//
// # Names
//
// The client's file name is never used as given: storage.ValidName keeps
// its base name and only letters, digits, "_", "-" and "." (as Django's
// get_valid_name), Key maps it to the stored name (by default under a
// "2006/01/02/" prefix), and the storage cleans the result again. A name
// that is taken is never overwritten unless Overwrite is set: the
// storage's conditional create gives the file a "_XXXXXXX" suffix
// instead, race-free.
//
// # Content types
//
// The type of each file is sniffed from its first 3072 bytes and its name
// (storage.DetectContentType) before any byte reaches S3; the
// Content-Type the client sends is ignored. The bytes decide, except that
// bytes that only look like generic text or data take the type of the
// extension, since CSS, JavaScript or CSV cannot be told from their bytes:
// a page named "cat.png" is text/html, a text named "a.png" is image/png.
// AllowedTypes and DeniedTypes refuse the others with 415; they judge the
// type the client will receive, so a compressed name (x.png.gz) is
// judged by what its bytes decompress to, as storage.DetectContentType
// reads them. Types a browser would run (see IsActive:
// HTML, SVG, XML, JavaScript, ...) are stored with Content-Disposition:
// attachment unless InlineTypes lists them, so that an uploaded page
// cannot run in the site's origin.
//
// # Limits
//
// Every input is bounded, with Django's defaults where Django has one:
// the body (MaxRequestSize, 64 MiB, through http.MaxBytesReader), each
// file (MaxFileSize, 32 MiB), the number of file parts (MaxFiles, 100:
// every part with a filename parameter counts, empty file inputs
// included, as Django counts them since CVE-2023-24580) and of the other
// parts (MaxFields, 1000: fields, nameless parts and parts of another
// disposition, which are read and dropped), the total size of the fields,
// which are held in memory (MaxFieldsSize, 2.5 MiB), and each part's
// header (MaxPartHeaderSize, 16 KiB). A part counts before anything else
// is done with it, so a request is refused after at most MaxFiles +
// MaxFields + 1 parts, however many it holds. A request over a limit is
// answered 413, and nothing of it stays in S3.
//
// # Timeouts
//
// A client that stops sending is abandoned after IdleTimeout (30 s) with
// 408 request_timeout, whatever the server's own timeouts: each read of
// the body may wait for the client between IdleTimeout and 1¼
// IdleTimeout, through the connection's read deadline
// (http.ResponseController.SetReadDeadline, moved at most about four
// times per IdleTimeout, so the cost per read is one clock reading).
// Only time waiting for the client counts: the time the handler spends
// uploading to S3 between two reads does not. The deadline is never moved
// past the server's ReadTimeout, when it has one. When the request is
// abandoned, its work is cancelled (the storage aborts the multipart
// upload of the file in flight), its spool is closed and the files it
// stored are deleted.
//
// Behind a ResponseWriter that hides the connection's deadlines (a
// wrapper without an Unwrap method), each read runs in a goroutine of its
// own and is abandoned after IdleTimeout, with the same release of the
// request's work; but net/http cannot send the 408 until the client sends
// more or closes, or the server's ReadTimeout passes. The handler logs
// this once, at Warn. Give such wrappers an Unwrap method.
//
// # Memory
//
// What one request holds in the handler, besides what net/http holds for
// the connection (about 14 KiB) and what the storage holds for a stream:
//
//   - in both modes: the form fields (at most MaxFieldsSize, 2.5 MiB), the
//     multipart reader's 4 KiB buffer, the header of the part being read
//     (at most MaxPartHeaderSize + 4 KiB), the first 3 KiB of the file
//     being stored (its type is sniffed from them), and a 64 KiB
//     read-ahead from a pool, held only while data flows: it goes back to
//     the pool as soon as a read of the body comes back short, so a client
//     that stalls holds it only if its last read filled all 64 KiB;
//   - in Spool mode, the file being received: in memory up to SpoolMemory
//     (2.5 MiB), then in the temporary file, written through a pooled
//     256 KiB buffer;
//   - in Stream mode, nothing more: the bytes go to the Saver as they
//     arrive (the storage's worst case is in its documentation).
//
// Worst cases with the defaults, fields aside: about 90 KiB in Stream
// mode; 2.6 MiB in Spool mode (2.5 MiB in memory, or 350 KiB and the
// temporary file on disk). Measured on a client that sends the first
// 40 KiB of a file and stalls (TestUploadStalledMemory): about 8 KiB of
// the handler's in Stream mode (72 KiB before the read-ahead was taken
// only while data flows) and 51 KiB in Spool mode, the 40 KiB received
// included (330 KiB before). Behind a writer without deadlines, a read
// abandoned by the idle timeout holds up to 64 KiB until it ends.
//
// # Cross-origin requests
//
// Any page a user visits can make their browser post a form or a fetch to
// the site, with the user's cookies. The handlers refuse such requests by
// default, with Go's http.CrossOriginProtection, before anything else is
// done: a browser request whose Sec-Fetch-Site is not same-origin (or
// none, a request the user typed), or, from browsers too old to send it,
// whose Origin does not match the Host (Origin: null included), is
// answered 403 cross_origin_request. Requests with neither header pass:
// same-origin requests of old browsers, and clients that are not browsers
// (curl, Go's http.Client, server-to-server calls), which need no opt-out.
//
// TrustedOrigins accepts the browser requests of the origins it lists
// ("https://app.example.com"), for a front end served from another origin.
// InsecureAllowCrossOrigin turns the check off: only for a handler behind
// the application's own CSRF protection (tokens), since the handler itself
// cannot tell a request the user meant from one a page forged.
//
// # Failures
//
// A request stores all its files or none. When anything fails after some
// files are stored (a later file over a limit or of a refused type, a
// client that disconnects or stalls, an S3 error, an OnSaved error), the
// files already stored are deleted on a context that outlives the
// request's (bounded by CleanupTimeout); the storage aborts the multipart
// upload of the file in flight, and the spool is removed. The request's
// context reaches the Saver, so a client that leaves cancels the upload,
// and so does a body that fails or stalls.
//
// # Errors
//
// Each failure is made an *Error with its status where it is seen: the
// read of the body that failed (a timeout, a reset, a body over
// MaxRequestSize), the limit that was passed, the storage call that
// refused. Errors are answered in one place, as JSON {"error": {"code":
// "...", "message": "..."}}, with one of these statuses and codes:
//
//	400 malformed_request      not multipart, no boundary, truncated, reset or broken body
//	400 no_file                no file part (empty file inputs are skipped)
//	400 invalid_filename       a file name with no usable character, or a key the storage refuses
//	400 unexpected_file_field  a file in a field not listed in FileFields
//	400 request_aborted        the client left (logged; nobody reads the answer)
//	401 unauthorized           Authorize returned ErrUnauthorized
//	403 forbidden              Authorize returned ErrForbidden
//	403 cross_origin_request   a cross-origin browser request (see # Cross-origin requests)
//	405 method_not_allowed     not POST (with Allow: POST)
//	408 request_timeout        nothing of the body arrived for IdleTimeout (30 s), or the
//	                           server's ReadTimeout passed
//	409 name_taken             overwrite off, and a writer that overwrites took the name of a large
//	                           streamed file while it uploaded (see storage.Storage.Put)
//	413 request_too_large      over MaxRequestSize (declared, or as received)
//	413 file_too_large         a file over MaxFileSize
//	413 too_many_files         more than MaxFiles file parts, empty file inputs included
//	413 too_many_fields        more than MaxFields other parts
//	413 fields_too_large       other fields over MaxFieldsSize
//	413 header_too_large       a part header over MaxPartHeaderSize
//	415 unsupported_media_type the request is not multipart/form-data
//	415 type_not_allowed       a file of a type refused by AllowedTypes or DeniedTypes
//	500 internal_error         anything else: a storage error, a hook's plain error
//
// Hooks (Authorize, Key, OnSaved) choose their own answer by returning an
// *Error. The text of other errors is never sent to the client: it goes to
// the Logger with the 500.
//
// # Direct uploads
//
// PolicyHandler answers {"filename", "content_type", "size"} with a
// presigned POST policy (storage.PresignPost): the URL and the form fields
// with which the browser posts the file to S3 itself. The policy pins the
// key to a directory of its own, the size to [MinFileSize, MaxFileSize]
// and the content type to the declared one (with Content-Disposition:
// attachment for active types); S3 refuses anything else (400
// EntityTooLarge, 403 AccessDenied). The bytes are not sniffed: the
// declared type is what S3 serves. With PolicyOptions.PUT the answer also
// holds a presigned PUT whose Content-Length is signed.
//
// # Concurrency
//
// Handlers are safe for concurrent use; they keep no state between
// requests. The files of one request are stored one after the other, in
// the order of the form.
//
// # IAM
//
// The storage needs s3:PutObject and s3:DeleteObject (rollback),
// s3:GetObject for the name checks of conditional creates on servers
// without them, and s3:AbortMultipartUpload for large files; presigned
// POSTs and PUTs are signed with credentials that need s3:PutObject.
package handler
