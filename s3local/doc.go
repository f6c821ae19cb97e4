// Package s3local is an S3-compatible server that runs in your process, for
// development and for tests.
//
// It speaks the S3 protocol over HTTP, so that the same code runs against
// it and against Amazon S3: aws-sdk-go-v2's s3.Client (path-style and
// virtual-hosted-style), its upload manager, presigned URLs, browser POST
// uploads and storage.Storage work against it unmodified. It imports no
// s3kit package. Start one on loopback:
//
//	srv, err := s3local.Start(s3local.Options{})   // memory store, 127.0.0.1, any request accepted
//	defer srv.Close()
//	srv.CreateBucket("media")
//	// point a client at srv.URL(), path-style
//
// In tests of code that uses a storage.Storage, storagetest.Local does this
// in one call. A Server is also an http.Handler, for httptest.NewServer.
// It answers as S3 does — same routes, status codes, headers, XML
// documents and error documents (Code, Message, Resource, RequestId) — so
// that common clients work against it unchanged: aws-sdk-go-v2, the aws
// CLI (s3 cp, sync, mv between buckets, presign), rclone (copy, sync,
// check, server-side copy and move, purge), s3cmd (ls, put, get, sync,
// cp, mv, signurl) and django-storages with boto3.
//
// # Operations
//
// Supported, on both stores:
//
//   - Service: ListBuckets (by name; max-buckets, continuation-token,
//     prefix, bucket-region).
//   - Buckets: CreateBucket (LocationConstraint, canned ACL; 409
//     BucketAlreadyOwnedByYou, 400 InvalidBucketName), HeadBucket,
//     DeleteBucket (409 BucketNotEmpty; open uploads are discarded),
//     GetBucketLocation ("" for us-east-1, as S3), GetBucketVersioning
//     (never enabled). Operations on a missing bucket fail with 404
//     NoSuchBucket unless Options.AutoCreateBucket is set.
//   - Objects: PutObject, GetObject and HeadObject (a single byte range,
//     partNumber, the RFC 7232 conditions, response-* overrides on signed
//     requests), DeleteObject, DeleteObjects (Quiet too), browser POST
//     uploads (see POST policies), GetObjectTagging, PutObjectTagging and
//     DeleteObjectTagging (the bytes, ETag and Last-Modified stay).
//     Stored and returned: Content-Type (default binary/octet-stream),
//     Content-Encoding (without aws-chunked), Content-Disposition,
//     Content-Language, Cache-Control, Expires, x-amz-meta-* (lower-case
//     names), storage class, x-amz-tagging (GET returns
//     x-amz-tagging-count), canned ACL, the website redirect and the
//     server-side encryption headers (echoed). ETags are quoted hex MD5s;
//     Content-MD5 is verified (400 BadDigest).
//   - CopyObject: x-amz-copy-source ("bucket/key" or "/bucket/key",
//     URL-encoded, "?versionId=null" allowed), x-amz-metadata-directive
//     COPY (the source's headers and metadata) or REPLACE (the request's),
//     x-amz-tagging-directive, x-amz-copy-source-if-match, -none-match,
//     -modified-since and -unmodified-since (412 PreconditionFailed),
//     the destination's write conditions, x-amz-checksum-algorithm; a
//     copy onto itself that changes nothing is 400 InvalidRequest, as in
//     S3. The copy's ETag is the MD5 of its bytes.
//   - Conditional writes: "If-None-Match: *" and "If-Match: <etag>" on
//     PutObject, CopyObject and CompleteMultipartUpload fail with 412
//     PreconditionFailed (a failed CompleteMultipartUpload leaves the
//     upload open); Options.ConditionalWrites can instead ignore them or
//     answer 501, as some S3-compatible servers do.
//   - Listing: ListObjectsV2 (prefix, delimiter, max-keys up to 1000,
//     continuation-token, start-after, encoding-type=url, fetch-owner) and
//     ListObjects, version 1 (prefix, delimiter, marker, max-keys,
//     encoding-type=url; each object with its owner; NextMarker only when
//     a delimiter is given, as S3: without one, clients go on from the
//     last key), in UTF-8 binary key order.
//   - Multipart uploads: CreateMultipartUpload (x-amz-checksum-algorithm
//     and -type), UploadPart, UploadPartCopy (the copy source, its
//     conditions, x-amz-copy-source-range "bytes=first-last"; 400
//     InvalidArgument past the source's end), ListParts (max-parts up to
//     1000, part-number-marker, NextPartNumberMarker, the parts'
//     checksums), CompleteMultipartUpload (400 InvalidPartOrder,
//     InvalidPart, EntityTooSmall below Options.MinPartSize; ETag "<MD5 of
//     the part MD5s>-N"; COMPOSITE or FULL_OBJECT checksums),
//     AbortMultipartUpload (404 NoSuchUpload), ListMultipartUploads
//     (prefix, delimiter, max-uploads, markers).
//   - Payloads: plain and aws-chunked bodies (unsigned, signed and signed
//     with trailer, whose chunk and trailer signatures are verified),
//     x-amz-content-sha256, and the checksums CRC32, CRC32C, CRC64NVME,
//     SHA1, SHA256, SHA512 and MD5, as a header or a trailer (400
//     BadDigest); objects written without one get a CRC64NVME, as S3
//     computes by default, returned with "x-amz-checksum-mode: ENABLED".
//     XXHASH64, XXHASH3 and XXHASH128 checksums are accepted (their length
//     checked) but not verified, and a copy cannot compute them. Multipart
//     uploads take FULL_OBJECT checksums of CRC32, CRC32C and CRC64NVME,
//     and COMPOSITE ones of every verified algorithm but CRC64NVME, as S3.
//     Another algorithm is 400 InvalidRequest.
//   - Test hooks: Options.Intercept sees every operation and can answer an
//     Error instead (503 SlowDown on the second UploadPart, say) or drop the
//     connection mid-request (HangUp) or mid-response (CutResponse);
//     CreateBucket, Object, Objects, PutObject and Uploads inspect and seed
//     the state directly.
//
// Not supported, answered with 501 NotImplemented naming the operation
// ("GetBucketAcl is not implemented by s3local"): the ACL, policy, CORS,
// lifecycle, tagging, website, logging, notification, replication,
// encryption, object lock, ownership, public access block, accelerate,
// analytics, inventory, metrics, intelligent tiering, request payment and
// metadata configurations of buckets (Get, Put, Delete), PutBucketVersioning,
// ListObjectVersions, object ACLs, legal holds and retention,
// GetObjectAttributes, GetObjectTorrent, RestoreObject,
// SelectObjectContent, RenameObject and CreateSession. Unknown HTTP
// methods answer 405 MethodNotAllowed. Also left out: versioning (a
// versionId other than "null" is refused), ACL and policy evaluation
// beyond the canned ACLs (every signed caller may do anything), SigV4A
// signatures, SSE-C key checks (the headers are only echoed), tagging in
// POST uploads, and S3's quirks such as CompleteMultipartUpload answering
// 200 with an error body. DeleteObject ignores If-Match.
//
// # Services without a feature
//
// S3-compatible services lack features, and a client must be tested
// against that too. Options.Lacks makes the server refuse features, with
// the answers those services give: presigned POST (501, as Cloudflare
// R2), presigned URLs, each checksum algorithm (400 InvalidArgument
// "Unsupported header 'x-amz-checksum-crc32' received for this API call.",
// as Backblaze B2) and x-amz-checksum-mode, FULL_OBJECT multipart
// checksums per algorithm (R2 has them for CRC64NVME only), ListObjects
// version 1, ListParts, copies, canned ACLs (501, as R2), CORS (403 to
// every preflight) and virtual-hosted-style addressing. Options.Ignores
// accepts checksums, ACLs or encoding-type=url without honouring them —
// the dangerous kind, where the client is not told — and
// Options.ConditionalWrites ignores If-None-Match / If-Match or answers
// 501. Answers carry the server's clock (Options.Now) in their Date
// header, as S3's do, which is what clients measure their clock skew by.
// Feature lists each switch and whose answer it copies:
//
//	likeR2 := s3local.Options{Lacks: []s3local.Feature{s3local.FeaturePostObject, s3local.FeatureACL,
//		s3local.FeatureFullObjectCRC32, s3local.FeatureFullObjectCRC32C}}
//	likeB2 := s3local.Options{ConditionalWrites: s3local.ConditionalWritesNotImplemented,
//		Lacks: []s3local.Feature{s3local.FeatureChecksumCRC32, s3local.FeatureChecksumCRC32C,
//			s3local.FeatureChecksumCRC64NVME, s3local.FeatureChecksumSHA1, s3local.FeatureChecksumSHA256,
//			s3local.FeatureChecksumMode, s3local.FeaturePostObject},
//		Ignores: []s3local.Feature{s3local.FeatureACL}}
//
// # Limits
//
// As S3: 2 KiB of user metadata (names without x-amz-meta-, and values;
// 400 MetadataTooLarge), 8 KiB of request line and headers, cookies aside
// (400 RequestHeaderSectionTooLarge; a server started by Listen does not
// read more than 64 KiB of them, cookies included), keys of 1024 bytes, 10000 parts, 20 KiB of
// POST fields before the file. XML documents are read as their bytes
// arrive, up to 4 MiB (CompleteMultipartUpload), 2 MiB (DeleteObjects)
// or 64 KiB (CreateBucket, PutObjectTagging); over it, 400
// MaxMessageLengthExceeded, before reading the body.
//
// # Stores
//
// A Store keeps the buckets, objects and uploads; the Server only speaks
// the protocol. Both stores share one index (buckets, ordered keys, open
// uploads and the rule that commits a write) and differ in where the bytes
// live. NewMemoryStore (the default) keeps everything in memory and
// nothing survives the process. NewDiskStore keeps a directory that
// survives restarts: each object is a plain file under its key
// (<dir>/<bucket>/<key>), so that a developer can look at it, and its
// description (size, ETag, headers, metadata, checksum) is a JSON file in
// the hidden directory <dir>/.s3local, which no bucket or key can reach.
// A write commits in one step, by the rename of its body after its
// description was written to a journal: after a process kill, every
// object is one whole write, and the next open finishes or drops what the
// kill interrupted (see DiskStore for what a machine crash may lose).
// Keys that a directory tree cannot hold as they are ("a" beside "a/b",
// empty or dot segments, control characters, segments over 255 bytes,
// case-only differences on case-insensitive filesystems) are stored under
// the SHA-256 of the key in .s3local/objects instead; see DiskStore for the
// layout. Every key S3 accepts (up to 1024 bytes of UTF-8) round-trips on
// both stores, which pass the storagetest conformance suite, as the real
// server does.
//
// # Addressing
//
// Path style ("/bucket/key") and virtual-hosted style: a request whose Host
// is "<bucket>.<Options.Domain>" (default domain "localhost", port ignored)
// names its bucket in the host. Unknown query parameters (such as the SDK's
// "x-id") are ignored, as S3 does. Start and Listen serve on a loopback
// address only (127.0.0.1:0 for Start), unless Options.AllowNonLoopback is
// set. The server answers the Host names of Options.AllowedHosts besides
// the loopback ones, its Domain and its listening address; any other gets
// 421 Misdirected Request, so that a web page cannot reach it by
// rebinding its own DNS name to 127.0.0.1.
//
// # Authentication
//
// Without Options.Credentials, every request is accepted, signed or not,
// and signatures are not checked. With credentials, a request must carry a
// valid AWS Signature Version 4 in the Authorization header, in a
// presigned URL (X-Amz-Expires at most 604800) or in a POST policy, with
// the S3 canonical URI (each segment encoded once, no normalisation), or
// Signature Version 2 (the Authorization header "AWS AKID:signature", or
// a presigned URL with AWSAccessKeyId, Expires and Signature, as s3cmd
// signurl makes them), or fail with 403 SignatureDoesNotMatch,
// InvalidAccessKeyId, AccessDenied ("Request has expired"),
// RequestTimeTooSkewed (more than 15 minutes off Options.Now), or 400
// AuthorizationHeaderMalformed, AuthorizationQueryParametersError or
// InvalidToken. A SigV4 signature must cover the host and every x-amz-*
// header of the request, as S3 requires (403 AccessDenied "There were
// headers present in the request which were not signed", with
// HeadersNotSigned), except, on a presigned URL, x-amz-content-sha256 and
// the SSE-C key headers; Content-Type and Content-MD5 may be unsigned, as
// with S3. So an x-amz-acl, metadata, tags or a storage class added to a
// presigned PUT are refused, not stored.
//
// An unsigned request may do what the canned ACLs allow: read an object
// written with public-read or public-read-write, list a bucket created
// public-read, write in a bucket created public-read-write (a copy also
// needs a public-read source); anything else, the tags of an object
// included (as on S3, an ACL grants no tagging), is 403 AccessDenied. Unsigned
// reads, with or without credentials configured, may not use response-*
// overrides (400 InvalidRequest "Request specific response headers cannot
// be used for anonymous GET requests.", as S3), so that a public object
// is never served as another type, and are served with
// "X-Content-Type-Options: nosniff".
//
// # POST policies
//
// A multipart/form-data POST to a bucket is a browser-based upload, as
// storage.PresignPost and the SDK's PresignPostObject make them: the form's
// fields, then the file. With credentials configured the form must carry
// a policy signed with SigV4 (X-Amz-Algorithm, X-Amz-Credential,
// X-Amz-Date, X-Amz-Signature; 403 SignatureDoesNotMatch otherwise), which
// must not be expired (403 "Policy expired") and whose conditions must all
// hold (403 AccessDenied "Policy Condition failed"): exact values
// ({"field": "value"} or ["eq", "$field", "value"]), prefixes
// (["starts-with", "$key", "uploads/"], "" for any value; for Content-Type,
// each of a comma-separated list), the bucket, and
// ["content-length-range", min, max] (400 EntityTooSmall, EntityTooLarge).
// Every field of the form but x-amz-signature, file, policy and x-ignore-*
// must be named by a condition (403 "Extra input fields"). The key may hold
// ${filename}, replaced by the file's name. The fields acl, Content-Type,
// Cache-Control, Content-Disposition, Content-Encoding, Content-Language,
// Expires, x-amz-meta-*, x-amz-storage-class, x-amz-server-side-encryption*
// and x-amz-website-redirect-location are stored as PutObject's headers
// are. The answer is success_action_redirect (303 to it, with bucket, key
// and etag in the query), else success_action_status 200, 201 (a
// PostResponse document) or 204 (the default), with ETag and Location.
// Fields after the file are ignored; the fields before it are bounded to
// 20 KiB, names and values, as S3 bounds them (400
// MaxPOSTPreDataLengthExceeded). The policy is checked before a byte of
// the file is read.
//
// # CORS
//
// Browser pages on the origins of Options.AllowedOrigins may call the
// server: preflight (OPTIONS) requests from them are answered without
// authentication, for the methods GET, PUT, POST, DELETE and HEAD and any
// requested headers, and every response to them carries
// Access-Control-Allow-Origin and exposes ETag, Location and the x-amz-*
// response headers. The default allows the loopback origins (http and
// https, any port, on localhost, *.localhost, 127.0.0.1 and [::1]): what a
// development page served from the same machine needs, and nothing from
// the network. Other origins get 403 to their preflight and no CORS
// headers.
//
// # Concurrency
//
// A Server is safe for concurrent use by any number of requests and method
// calls, and so are both stores. Request bodies are read and hashed
// outside any lock, into the store (a temporary file on disk);
// the write then commits at once, under the store's lock, where the write
// condition is evaluated, so that of concurrent "If-None-Match: *" writers
// exactly one wins. Readers see the previous object or the new one, never
// a mix, and a GET in progress keeps reading the bytes it opened. A
// DiskStore's directory is used by one process at a time (a flock where
// the system has it).
//
// # Memory
//
// Every request body is bounded: PutObject, UploadPart and POST uploads by
// Options.MaxObjectSize (default 5 GiB; larger declared lengths fail with
// 400 EntityTooLarge before the body is read), XML documents by the
// limits above, in buffers that grow as their bytes arrive, never ahead.
// Copies stream from the source into the store as bodies do. The disk
// store never holds a body in memory: bodies, parts and completed
// multipart objects stream through temporary files, and the store keeps
// only the descriptions of its objects and uploads in memory: an object's
// is bounded by its key (1 KiB), the 8 KiB of headers it was written with
// and its ten tags (at most 46 KiB URL-encoded, set by PutObjectTagging);
// an open upload's by its parts (10000 at most, each a number, size, ETag,
// checksum and time).
// The memory store holds each body once, in segments of up to 1 MiB
// allocated as data arrives (never more than one segment ahead, whatever
// length a client declares), and never copied as it grows;
// CompleteMultipartUpload copies the parts into the object, so a
// multipart object is held twice until its upload ends. Its total is
// bounded only by the memory of the process: use the disk store for large
// data. Measured on a 1 GiB object, client (net/http) and server in one
// process, on loopback (peak RSS, an idle process being 15 MB; 2 CPUs,
// linux/amd64, 2026-12): a PUT peaks at 16 MB on the disk store and
// 1.09 GB on the memory store; a multipart upload of 5 MiB parts at 21 MB
// on the disk store. TestMemoryFigures prints them:
//
//	S3LOCAL_MEMORY_FIGURES=1 go test -v -run TestMemoryFigures ./s3local/
//
// # What is not kept
//
// A DiskStore does not sync files to the disk: a machine crash may lose
// the last writes (see DiskStore for exactly what survives), and it does
// not adopt files added to its directory by hand.
package s3local
