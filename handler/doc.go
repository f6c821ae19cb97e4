// Package handler gives Go web servers the upload endpoints of a Django
// site on S3: UploadHandler stores the files of multipart/form-data POSTs
// with a storage (a Saver, which *storage.Storage is), PolicyHandler
// hands browsers presigned POST policies to upload straight to S3, and
// UppyHandler speaks Uppy's S3 protocol, for large files sent in parts
// straight to S3 and resumed after a reload.
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
// # Endpoints
//
// Every endpoint and what it guarantees; every answer is JSON with
// Cache-Control: no-store and nosniff, every error an *Error (see #
// Errors), a method an endpoint does not take is 405 with Allow, and
// cross-origin browser requests are refused unless trusted.
//
//	UploadHandler          POST multipart/form-data → 201 {files}. Limits, types (sniffed)
//	                       and digests are checked before a file counts; a refused or
//	                       failed request keeps nothing (or is 500 not_deleted).
//	PolicyHandler          POST {filename, content_type, size, sha256} → 200 {url, fields,
//	                       name, expires, token, put}. S3 enforces the key, the size range,
//	                       the declared type and the sha256; it does not look at the bytes.
//	PolicyHandler.Confirm  POST {name, token} → 200 the file. Reads the file back, checks
//	                       size and sniffed type, deletes what fails; runs to its end when
//	                       the client leaves.
//	UppyHandler            Companion's routes and /s3/presign, /s3/confirm (see # Uppy).
//	                       Companion mode: the handler completes every upload itself, within
//	                       the limits, and checks the bytes before answering. signRequest
//	                       mode: S3 enforces the key, and the type, size and sha256 when
//	                       the request gives them; the bytes are checked at /s3/confirm.
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
// # Digests
//
// A client can prove that the bytes stored are the bytes it sent, with
// RFC 9530 digests, checked before anything counts:
//
//   - For the whole request, a Content-Digest or Repr-Digest header with
//     sha-256 or sha-512 (`Content-Digest: sha-256=:<base64>:`). It covers
//     the whole multipart body, so the handler checks it once it has read
//     the body to its end, which it does as soon as the bytes of a file
//     end, before the storage commits that file: the request's last file
//     (the only one, in the usual form) is never stored when the digest
//     does not match, its single PutObject never sent or its multipart
//     upload aborted. Files before the last are committed before the end
//     of the request is read (S3 cannot check a digest of the whole form),
//     and deleted again.
//   - For each file, a form field named after the file field with
//     DigestFieldSuffix (the digest of the file in "avatar" is
//     "avatar.digest"), sent before its file, holding `sha-256=:<base64>:`
//     or the 64 hex digits sha256sum prints; several files in one field
//     take its values in order. Clients that can set part headers may send
//     the part's own Content-Digest or Repr-Digest instead (when both are
//     given they must agree). The digest goes to the storage
//     (storage.SaveOptions.ExpectSHA256), which computes the file's SHA-256
//     in the pass that reads it: a file sent in one PutObject is not sent
//     when it does not match, and is sent with the digest as its
//     x-amz-checksum-sha256 so that S3 checks the bytes it receives
//     against it too; a multipart upload, whose full-object SHA-256 S3
//     cannot check, is checked here before it is completed, and aborted.
//     A compressed file (the storage's gzip) is checked on the bytes
//     received; S3 checks its own checksum of the compressed bytes. The
//     answer gives the checked digest of each such file as "sha256" (hex).
//
// A digest that does not match is 400 digest_mismatch, and nothing of the
// request stays. A digest with no algorithm the handler checks, or that
// is not RFC 9530 syntax, is 400 invalid_digest, with
// Want-Content-Digest and Want-Repr-Digest naming those it checks; so is
// a digest field after its file (or with no file).
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
// 40 KiB of a file and stalls (TestUploadStalledMemory logs them): about
// 9 KiB of the handler's in Stream mode and 75 KiB in Spool mode, the
// 40 KiB received and the room the spool's buffer grew to included.
// Behind a writer without deadlines, a read
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
// "...", "message": "..."}} (UppyHandler: Companion's {"error":
// "message", "code": "..."}), with one of these statuses and codes:
//
//	400 malformed_request      not multipart, no boundary, truncated, reset or broken body
//	400 digest_mismatch        the request or a file does not match its digest (see # Digests)
//	400 invalid_digest         a digest that cannot be checked, or a digest field after its file
//	400 no_file                no file part (empty file inputs are skipped)
//	400 invalid_filename       a file name with no usable character, or a key the storage refuses
//	400 unexpected_file_field  a file in a field not listed in FileFields
//	400 request_aborted        the client left (logged; nobody reads the answer)
//	400 file_too_small         a direct upload under MinFileSize
//	400 part_too_small         UppyHandler: a part but the last under 5 MiB
//	400 invalid_part           UppyHandler: a part named for completion was not uploaded so
//	401 unauthorized           Authorize returned ErrUnauthorized
//	403 forbidden              Authorize returned ErrForbidden
//	403 cross_origin_request   a cross-origin browser request (see # Cross-origin requests)
//	403 upload_expired         UppyHandler: an upload older than MaxUploadAge
//	404 not_found              UppyHandler: no such route, upload or file
//	405 method_not_allowed     not POST (with Allow: POST)
//	408 request_timeout        nothing of the body arrived for IdleTimeout (30 s), or the
//	                           server's ReadTimeout passed
//	409 name_taken             overwrite off, and a writer that overwrites took the name of a large
//	                           streamed file while it uploaded (see storage.Storage.Put); for
//	                           UppyHandler, the name was taken (see # Uppy)
//	413 request_too_large      over MaxRequestSize (declared, or as received)
//	413 file_too_large         a file over MaxFileSize
//	413 too_many_files         more than MaxFiles file parts, empty file inputs included
//	413 too_many_fields        more than MaxFields other parts
//	413 fields_too_large       other fields over MaxFieldsSize
//	413 header_too_large       a part header over MaxPartHeaderSize
//	413 too_many_parts         UppyHandler: more than MaxParts parts
//	415 unsupported_media_type the request is not multipart/form-data
//	415 type_not_allowed       a file of a type refused by AllowedTypes or DeniedTypes
//	415 type_mismatch          a direct upload whose bytes are of a type a browser would run,
//	                           stored to be shown inline (a page declared image/png)
//	500 internal_error         anything else: a storage error, a hook's plain error
//	500 not_deleted            a refused or failed upload whose file could not be deleted: it may remain
//
// Hooks (Authorize, Key, OnSaved) choose their own answer by returning an
// *Error. The text of other errors is never sent to the client: it goes to
// the Logger with the 500.
//
// # Direct uploads
//
// PolicyHandler answers {"filename", "content_type", "size"} with a
// presigned POST policy (storage.PresignPost): the URL and the form fields
// with which the browser posts the file to S3 itself, and a token. The
// policy pins the exact key (in a directory of its own: a POST cannot be
// conditional), the size to [MinFileSize, MaxFileSize] and the content
// type to the declared one (with Content-Disposition: attachment for
// active types); S3 refuses anything else (400 EntityTooLarge, 403
// AccessDenied). S3 does not look at the bytes: once it has the file, the
// page posts {"name", "token"} to the Confirm endpoint, which reads the
// file's head back, judges its size and sniffed type as UploadHandler
// does, deletes what fails (413, 415) and gives OnSaved the rest. With
// PolicyOptions.PUT the answer also holds a presigned PUT whose
// Content-Length is signed.
//
// # Uppy
//
// UppyHandler serves the routes of Uppy's Companion for @uppy/aws-s3 v4 to
// v6 (companionEndpoint: the site's origin; Uppy appends "/s3"), mounted
// with http.StripPrefix("/s3", h), and the signRequest route of v6:
//
//	GET    /s3/params?filename=&type=              a POST policy for a small file (Uppy sends
//	                                               files of 5 MiB or less this way, always)
//	POST   /s3/multipart {filename, type, metadata}  → {key, uploadId, bucket}
//	GET    /s3/multipart/{uploadId}/{n}?key=       → {url, expires}: a presigned UploadPart
//	GET    /s3/multipart/{uploadId}/batch?key=&partNumbers=1,2  → {presignedUrls}
//	GET    /s3/multipart/{uploadId}?key=           → [{PartNumber, ETag, Size}], every page
//	POST   /s3/multipart/{uploadId}/complete?key= {parts}  → {location, key, bucket, file}
//	DELETE /s3/multipart/{uploadId}?key=           → {}
//	POST   /s3/presign {method, key, uploadId, partNumber, sha256, type, size}
//	                                               → {url, method, key, headers} (signRequest)
//	POST   /s3/confirm {key}                        → {location, key, bucket, file}
//
// The shapes are Companion's (packages/@uppy/companion/src/server/
// controllers/s3.ts), errors {"error": "message", "code": "..."}; every
// answer is Cache-Control: no-store. The browser PUTs each part to S3
// with no Content-Type and reads its ETag, so a part URL signs only the
// host, and the bucket's CORS rules must expose ETag. After a resume,
// Uppy completes with ETags quoted (from the list) and unquoted (from its
// PUTs): both are accepted.
//
// Every upload belongs to the principal that started it (the Principal
// hook), with no state on the server: the key lies in the principal's
// directory (PrincipalPrefix), and the uploadId given to Uppy is S3's id
// with an HMAC (keyed by Secret) of the principal, the key, the id and the
// start time. A call of another principal, with a key that is not the
// upload's, or past MaxUploadAge (7 days; aborting is always accepted),
// is answered 403; any instance with the same Secret agrees. The server
// chooses every key: Key under the principal's directory, the file name
// cleaned by storage.ValidName.
//
// Before completing, the handler lists the parts and matches them with
// those Uppy names: more than MaxParts, more than MaxFileSize in all, or a
// part but the last under 5 MiB (S3's EntityTooSmall, checked here since
// not every server checks it) aborts the upload (413, 400): nothing
// stays. The declared type is judged before the upload starts; once it is
// complete, the file's first 3 KiB are read back (a ranged GET) and judged
// as UploadHandler judges (AllowedTypes, DeniedTypes, and a type a
// browser would run is refused unless stored as an attachment, so that a
// page declared image/png is refused): a refused file is deleted (415).
// Completion is conditional (If-None-Match: *) unless Conflict is
// ConflictOverwrite: a name taken when the upload starts is renamed (409
// with ConflictFail), and one taken by an upload that completes first is
// 409, the late upload aborted (S3 cannot rename an upload). A completion
// whose answer was lost and that S3 then refuses (NoSuchUpload, 412) is
// recognised by the object's multipart ETag, and succeeds. OnSaved sees
// each accepted file.
//
// In signRequest mode the browser calls S3 with the URLs the handler
// signs at /s3/presign: PutObject and CreateMultipartUpload of a new key,
// chosen by the server in a random directory of the principal's (the
// browser's writes cannot be conditional), UploadPart, ListParts,
// CompleteMultipartUpload and AbortMultipartUpload of a key in the
// principal's directory; nothing that reads or deletes an object. URLs
// that carry bytes live Expire (15 minutes), the others ControlExpire (1
// minute).
//
// What S3 enforces in this mode is less than in Companion mode, and the
// difference is the page's to close. Uppy's callback gives the handler
// only the method and the key; a page may add to the request it posts
// the file's "type" and "size", and a PUT's "sha256". Every URL signs the
// host and the key. A PutObject or CreateMultipartUpload URL also signs
// the "type" given, exactly as sent, as the Content-Type header: S3
// refuses another type, or none (403), so the object gets that type. Uppy
// sends file.type || "application/octet-stream": post exactly that
// string. A PutObject URL also signs the "size" given as the
// Content-Length (0 is an empty file): S3 refuses a body of another
// length (403). The answer's "headers" lists what was signed (the browser
// sets the length itself; Uppy 6 ignores "headers" and sends the type it
// was given). Without them, S3 enforces neither: a browser holding a
// PutObject or CreateMultipartUpload URL may store any type (as any
// Content-Type) and, with PutObject, any size S3 takes (5 GiB). The size
// of a multipart upload is never signed (its parts are not known in
// advance): the handler checks it before it signs a completion. A PUT's
// "sha256" (PutObject or UploadPart) is signed as x-amz-checksum-sha256 and
// S3 refuses other bytes. What the handler checks before it signs: the
// type of the key's extension, the "type" and "size" given (refused with
// 415, 413), and, before it signs a completion, the parts uploaded so far
// (over the limits, the upload is aborted); parts uploaded after that,
// within the completion URL's ControlExpire, are not seen. The checks of
// the stored bytes (type sniffed, size, OnSaved) happen only when the page
// posts the key to /s3/confirm, which checks the file as a completion
// does and deletes what fails. A file nobody confirms stays as the
// browser sent it, unchecked: give the bucket's objects no trust until
// they are confirmed (serve them from another origin, with nosniff, or
// have a job delete unconfirmed keys), or use Companion mode, where the
// handler completes every upload itself and a POST policy bounds every
// small file. Files sent through /s3/params are bounded by their policy
// (key, size, content type) and confirmed the same way.
//
// Completions (the complete route) and confirmations run to their end
// once started, on a context the client's leaving does not cancel,
// bounded by FinishTimeout: a completed file that cannot be read back to
// be checked is deleted, and a refused file that cannot be deleted is
// answered 500 not_deleted.
//
// The handler never touches the bytes: what it holds per request is the
// request's JSON (at most 1 MiB for a completion of 10,000 parts) and the
// list of parts. 100 concurrent uploads through it cost the process a few
// MiB (see the README's figures). Give the bucket a lifecycle rule
// (AbortIncompleteMultipartUpload after MaxUploadAge) for uploads their
// users abandon.
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
// UppyHandler needs s3:PutObject (create, parts, complete),
// s3:ListMultipartUploadParts, s3:AbortMultipartUpload, s3:GetObject (the
// checks after completion) and s3:DeleteObject (refused files).
package handler
