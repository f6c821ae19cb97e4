// Package storage is django-storages' S3Storage for Go: a bucket and a
// location in it, with every setting of the reference, used by the web
// layers of s3kit (handler, middleware, templatefuncs) through small
// interfaces that *Storage satisfies.
//
//	st, err := storage.New(ctx, storage.Options{BucketName: "media", Location: "uploads"})
//	name, err := st.Save(ctx, "avatars/me.png", r, nil)
//	f, err := st.Open(ctx, name) // an io.ReadSeekCloser for http.ServeContent
//
// # Settings
//
// Options has one field per setting of the reference. Each setting comes,
// in order of precedence, from the Go field, the OPTIONS of a named
// storage in a JSON config file (Config, shaped like Django's STORAGES),
// the environment under the reference's global name (AWS_LOCATION, ...),
// then the documented default. Every setting is defaulted and checked in
// one place, by the same rule whether it is read from a config file, the
// environment or Go; an error names where the value came from
// (Options.QuerystringExpire, config "default": option
// "querystring_expire", environment AWS_QUERYSTRING_EXPIRE), hints at JSON
// where a value looks like a Python literal, and gives the nearest known
// key for an unknown one. SettingsTable prints the full table.
//
// Options, ObjectParameters and Storage print and log with their secrets
// (secret key, session token, CloudFront key, SSE-C key, proxy passwords)
// redacted. A Storage gives the web layers narrow accessors (Bucket,
// Location, DefaultExpiry, Transfer, SignsURLs), never its options.
//
// Credentials are searched in the reference's order: session_profile;
// access_key, secret_key and security_token; AWS_S3_ACCESS_KEY_ID and
// AWS_S3_SECRET_ACCESS_KEY; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
// (with AWS_SESSION_TOKEN or AWS_SECURITY_TOKEN); then the SDK's default
// chain. When none has credentials, requests fail with ErrNoCredentials,
// whose text gives this order.
//
// An endpoint_url on localhost or an IP address is addressed in path
// style unless addressing_style says otherwise.
//
// # Names
//
// Names are hostile input. CleanName is the one cleaner: it normalises
// "a//b" and "./a" and rejects, with ErrInvalidName, "..", absolute
// names, backslashes, control and bidi characters (U+061C included), the
// invisible zero-width space, word joiner and BOM (U+200B, U+2060,
// U+FEFF), Unicode noncharacters (which S3's XML listings cannot carry),
// invalid UTF-8 and U+FFFD, and keys over 1024 bytes, whatever the
// location. The zero-width joiners U+200C and U+200D are kept (scripts and
// emoji need them). The key of a name is
// location + "/" + name. ValidName turns a client's file name into a safe
// one, like Django's get_valid_name.
//
// With FileOverwrite false, Save never overwrites: it writes with
// If-None-Match: * and, when another writer got there first (412), picks
// the next name ("_" and 7 characters of [A-Za-z0-9] before the last
// extension) and writes again. A large stream, which cannot be sent
// twice, first claims its name with a small placeholder created
// conditionally and then
// replaces the claim with If-Match. Where the server does not support
// conditional writes (ConditionalWrites false, or a 501 answer), Save
// checks and then writes, which concurrent writers can race.
//
// # Lost answers
//
// The SDK retries a request whose answer was lost, and a write's retry
// can then find its own object there (412) or its multipart upload
// completed (NoSuchUpload). Every object Put writes carries a random write
// id in its metadata (x-amz-meta-s3kit-write-id, not shown in Info), and
// when an answer is ambiguous Put asks S3 what holds the key: its own
// object is success, its own claim is removed, and only another writer's
// object means the name is taken. A lost answer never leaves a second
// copy, a claim, or a false error. File reads resume a cut body from its
// offset, pinned to the ETag.
//
// One loss cannot be cleaned by anyone: when the answer to
// CreateMultipartUpload is lost, S3 holds an upload whose id nobody
// received (the SDK's retry creates another). Give the bucket a lifecycle
// rule that aborts incomplete uploads, as AWS recommends anyway:
//
//	{"Rules": [{"ID": "abort-incomplete-multipart-uploads", "Status": "Enabled",
//	            "Filter": {"Prefix": ""},
//	            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]}
//
// (aws s3api put-bucket-lifecycle-configuration --bucket B
// --lifecycle-configuration file://lifecycle.json).
//
// # Content
//
// The content type is decided from the bytes and the name (see
// DetectContentType), never from a client's header; an explicit
// ContentType parameter wins. With Gzip on, content whose type is listed
// in GzipContentTypes is compressed while it streams and stored with
// Content-Encoding gzip; Open gives back the original bytes.
//
// # Integrity
//
// Every byte Put writes is checked by S3. Put computes the object's
// checksum (checksum_algorithm: CRC64NVME by default, CRC32, CRC32C, SHA1,
// SHA256, or none) in the pass that reads the body anyway: a stream's
// parts as their bytes arrive in its buffers, a seekable body (a file, a
// spool) in one pass ahead of sending it, the manager's parts before each
// is sent. The SDK then computes nothing of its own (it would, with a
// CRC-64 thirty times slower). A single PutObject carries the checksum in
// its x-amz-checksum-* header; a multipart upload is created with a
// FULL_OBJECT checksum type (a CRC), each part carries its CRC, and the
// completion carries the CRC of the whole object (the part CRCs
// combined) and its size, which S3 checks against what it assembled. S3
// offers no full-object multipart checksum for SHA1 and SHA256: such
// uploads are COMPOSITE, S3 keeping a checksum of the part checksums
// ("...-N"). S3 refuses bytes that do not match (BadDigest: ErrChecksum)
// and keeps the checksum; Info gives the one S3 confirmed. Over HTTPS the
// bodies are sent UNSIGNED-PAYLOAD, the checksum signed in its header
// protecting them, as with the SDK's own trailer checksums; over plain
// HTTP the SDK still signs each payload's SHA-256.
//
// SaveOptions.SHA256 returns the SHA-256 of the content, computed in the
// same pass; ExpectSHA256 checks it before the object counts: a single
// PutObject is then not sent (and an uncompressed one carries it as its
// x-amz-checksum-sha256, for S3 to check as well), a multipart upload is
// aborted rather than completed (S3 cannot check a full-object SHA-256
// of a multipart object). PresignPut, PresignPost and PresignDirect pin a
// SHA-256 a browser computed the same way.
//
// For gzip objects, S3's checksum covers the bytes stored (compressed);
// SHA256 and ExpectSHA256 cover the content given to Put (before
// compression).
//
// Reads: with response_checksum_validation when_supported (the SDK's
// default), Open's GETs ask for the object's checksum and the SDK checks
// a whole object's bytes against it when the read reaches the end: a
// File read to its end, a single PutObject's object and a FULL_OBJECT
// multipart object alike, fails with ErrChecksum on a damaged byte. Not
// checked: COMPOSITE objects (SHA1, SHA256 multipart: a checksum of
// parts), ranged reads (ReadAt, Seek then Read, the rest of a body
// resumed after a cut), and Get's ranges; a gzip object's stored bytes
// are checked, not its decoded ones.
//
// A server that refuses checksum headers (some S3-compatible services)
// needs checksum_algorithm none; so does the default of a client set to
// compute checksums only when required.
//
// # URLs
//
// URL follows the reference: with QuerystringAuth, a SigV4 presigned URL
// computed without the SDK's middleware stack (the day's signing key
// cached; byte-identical to s3.PresignClient's); without, the plain object
// URL; with CustomDomain, url_protocol//custom_domain/key, signed by
// CloudFront (canned policy) when CloudFrontKey and CloudFrontKeyID are
// set. SignsURLs says whether URLs expire. Hostile names fail with
// ErrInvalidName, as in Save. PresignPost and PresignPut let browsers
// upload straight to S3 within limits S3 enforces; CreateUpload,
// PresignDirect and CompleteUpload let them send a multipart upload's
// parts straight to S3 (Uppy's AwsS3 plugin), the part URLs signing no
// checksum unless asked (see PresignDirect).
//
// A presigned URL, PUT, POST policy or direct-upload URL never outlives
// the credentials that sign it: when temporary credentials would expire
// first, they are refreshed (when the storage caches them), and its life
// is lowered to what is left of theirs when they still expire first;
// URLWithExpiry and the Expires of the others tell when each stops
// working. URLStableWindow (url_stable_window) rounds the signing time
// of URLs down to a window, so that
// calls within it give the same URL and browsers can cache what pages
// point to; CloudFront URLs follow the same rule.
//
// Get sends one GetObject (or HeadObject) with an HTTP range and
// conditions and returns S3's answer, 304, 412 and 416 included, with the
// body streaming: what a proxy needs.
//
// # Memory
//
// Save writes nothing to disk and its memory is bounded whatever the size
// of the body. A seekable body (an io.ReaderAt such as a file or a spool)
// is sent in place: in one PutObject up to the threshold, else by
// feature/s3/manager with concurrent ReadAt parts. A stream is read into
// buffers taken as its bytes arrive (16 KiB ones for its first 64 KiB,
// then 256 KiB ones), so a slow or stalled client holds what it sent, not
// a part: a stream that sent 40 KiB holds 48 KiB. Beyond its first 64 KiB
// a stream must be admitted by the Storage's BufferMemory budget (default
// 256 MiB): it reserves MinPartSize plus one buffer, waiting in line and
// honouring ctx while the budget is spent, and then grows up to PartSize ×
// Concurrency while the budget has room; when it has none, a stream sends
// the part it fills as soon as it reaches MinPartSize. Admitted streams
// never wait on each other in a circle. So the worst case is, per
// Storage, BufferMemory plus 64 KiB per stream not yet admitted, and per
// Put, PartSize × Concurrency plus one buffer (32.25 MiB with the
// defaults).
// Compressed bodies (Gzip) are streams too, compressed before they are
// buffered. A seekable body is read once ahead of the SDK for its
// checksum, through one pooled 256 KiB buffer per part in flight (1 MiB
// per Put with the defaults, outside BufferMemory); a stream's parts are
// summed in their buffers. A cancelled context or a failure leaves no object and no open
// multipart upload.
//
// # Errors
//
// Errors for a named object are *Error values carrying the operation and
// the key, and saying "storage: " once. errors.Is matches the kind of
// failure, one of:
//
//   - ErrNotExist (fs.ErrNotExist): no such object (NoSuchKey, a 404);
//   - ErrExist (fs.ErrExist): the name is taken and the call was asked
//     not to replace it (ConflictFail, a conditional completion);
//   - ErrPermission (fs.ErrPermission): S3 refused the call (AccessDenied,
//     a bad key or signature, a 403);
//   - ErrInvalidName: the name cleaner refused the name (also S3's
//     KeyTooLongError);
//   - ErrNoCredentials: no credentials were found, in the order above;
//   - ErrDigestMismatch: the content is not the SHA-256 expected;
//   - ErrChecksum: bytes damaged on their way (S3's BadDigest, the SDK's
//     check of a read);
//   - ErrNoUpload: no such multipart upload (NoSuchUpload: completed,
//     aborted or never made);
//   - ErrPartTooSmall: a part but the last under MinPartSize
//     (EntityTooSmall);
//   - ErrInvalidPart: a part named for completion missing, or its ETag
//     wrong (InvalidPart, InvalidPartOrder).
//
// errors.As reaches the SDK's error. kindOf is the one place that maps
// S3's codes and statuses to these kinds, and to the internal ones that
// drive Put (a 412, a 501, a conflicting conditional write, a range past
// the end).
//
// # Concurrency
//
// A Storage is safe for concurrent use. A File is not, except ReadAt.
//
// # IAM
//
// The actions used are s3:PutObject, s3:GetObject (HeadObject too, which
// Put uses to settle an ambiguous answer), s3:DeleteObject, s3:ListBucket
// (and s3:AbortMultipartUpload, s3:ListMultipartUploadParts for large
// uploads), plus s3:PutObjectAcl when an ACL is set.
//
// The static flavour (S3StaticStorage, Options.Static) makes unsigned URLs,
// as the reference does: its objects must be readable by anyone, through
// default_acl "public-read" or a bucket policy granting s3:GetObject.
//
// # Files
//
// Each file holds one concept:
//
//	storage.go       Storage, New, the API seam and the narrow accessors
//	options.go       Options and its parts (TransferConfig, ClientConfig, ObjectParameters)
//	settings.go      the settings table: one row per setting, with its typed default
//	settingsinfo.go  Setting, a row of the table as SettingsTable prints it
//	checks.go        the rules of the settings' values
//	layers.go        where a setting comes from: Go, config OPTIONS, environment
//	hints.go         the hints of setting errors (nearest key, Python literals)
//	config.go        Config: the JSON file of named storages; SettingsTable
//	client.go        the S3 client built from the settings; ErrNoCredentials
//	names.go         CleanName, ValidName, keys, AvailableName and the conflict policies
//	save.go          Put and the write: names tried, claims, settling lost answers
//	source.go        the body of a Put: seekable input, or a stream read ahead; gzip
//	buffer.go        the memory of streamed bodies: segments, the budget
//	multipart.go     the streamed multipart upload, in named steps
//	managed.go       the manager's path: seekable bodies, their part checksums
//	checksum.go      S3's checksum algorithms, sums, CRCs combined
//	integrity.go     what a write checks: its checksum, the content's SHA-256
//	cleanup.go       what runs after a failure: retry, abort, delete-if-match, unclaim
//	params.go        the object parameters of a write
//	sdk.go           the SDK's inputs, the field copies between its types, response checksums
//	contenttype.go   DetectContentType
//	active.go        IsActiveType: content a browser could run
//	disposition.go   Attachment: Content-Disposition values
//	file.go          File and its readers (ranged, resumed, decoded)
//	stat.go          Info, Stat, Exists, Size, ModifiedTime, Delete
//	head.go          ReadHead, DeleteIfMatch: checking an object stored by a browser
//	get.go           Get: one GET or HEAD with a range and conditions, for proxies
//	list.go          ListDir, Walk
//	fs.go            the io/fs view
//	url.go           URL, URLWithExpiry and SignsURLs; what the presigned uploads sign with
//	presign.go       the SigV4 presigner of URLs and direct uploads
//	signingcreds.go  presigned things never outlive their credentials: refresh, clamp
//	window.go        the stable window of signed URLs
//	memo.go          the URLs of a window, signed once and looked up
//	cloudfront.go    CloudFront signing
//	escape.go        URL and header escaping
//	post.go          PresignPost, PresignPut
//	direct.go        direct uploads: CreateUpload, ListParts, CompleteUpload, AbortUpload
//	presigndirect.go PresignDirect: the presigned calls of a direct upload
//	errors.go        Error, the sentinels and kindOf, the one mapper of S3's codes
//	redact.go        printing without secrets
//
// Package storagetest is the conformance suite every server a Storage
// talks to must pass.
package storage
