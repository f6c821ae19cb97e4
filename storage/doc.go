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
// then the documented default. Every setting is validated once, by New;
// an error names the setting. SettingsTable prints the full table.
//
// Credentials are searched in the reference's order: session_profile;
// access_key, secret_key and security_token; AWS_S3_ACCESS_KEY_ID and
// AWS_S3_SECRET_ACCESS_KEY; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
// (with AWS_SESSION_TOKEN or AWS_SECURITY_TOKEN); then the SDK's default
// chain.
//
// # Names
//
// Names are hostile input. CleanName is the one cleaner: it normalises
// "a//b" and "./a" and rejects, with ErrInvalidName, "..", absolute
// names, backslashes, control and bidi characters, invalid UTF-8, and keys
// over 1024 bytes, whatever the location. The key of a name is
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
// # Content
//
// The content type is decided from the bytes and the name (see
// DetectContentType), never from a client's header; an explicit
// ContentType parameter wins. With Gzip on, content whose type is listed
// in GzipContentTypes is compressed while it streams and stored with
// Content-Encoding gzip; Open gives back the original bytes.
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
// upload straight to S3 within limits S3 enforces.
//
// # Memory
//
// Save streams: its memory is bounded by PartSize × Concurrency of
// Transfer whatever the size of the body, and it writes nothing to disk.
// Part buffers are shared by the uploads of a Storage. A body that fits
// the threshold goes in one PutObject; a larger io.ReaderAt (a file, a
// spool) is uploaded by feature/s3/manager with concurrent ReadAt parts;
// a larger stream by a loop that copies each byte once into a part
// buffer. A cancelled context or a failure leaves no object and no open
// multipart upload.
//
// # Errors
//
// Errors for a named object are *Error values carrying the operation and
// the key. errors.Is matches ErrNotExist (which is fs.ErrNotExist),
// ErrExist and ErrInvalidName; errors.As reaches the SDK's error.
//
// # Concurrency
//
// A Storage is safe for concurrent use. A File is not, except ReadAt.
//
// # IAM
//
// The actions used are s3:PutObject, s3:GetObject, s3:DeleteObject,
// s3:ListBucket (and s3:AbortMultipartUpload, s3:ListMultipartUploadParts
// for large uploads), plus s3:PutObjectAcl when an ACL is set.
package storage
