// Package s3mem is an in-memory, in-process S3-compatible server.
//
// A Server is an http.Handler. Tests run it with
//
//	srv := s3mem.New(s3mem.Options{MinPartSize: 1})
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//	srv.CreateBucket("bucket")
//
// and point an aws-sdk-go-v2 s3.Client at ts.URL (BaseEndpoint). It answers
// as Amazon S3 does for the subset of the API below — same routes, status
// codes, headers and XML documents, including error documents with Code,
// Message, Resource and RequestId — so that s3.Client (path-style and
// virtual-hosted-style), manager.Uploader, manager.Downloader and
// s3.PresignClient URLs work against it unmodified.
//
// # Supported
//
// Addressing: path style ("/bucket/key") and virtual-hosted style (Host
// "<bucket>.<Options.Domain>", default domain "localhost"). Unknown query
// parameters (such as the SDK's "x-id") are ignored, as S3 does.
//
// Buckets: ListBuckets (prefix, max-buckets, continuation-token),
// CreateBucket (409 BucketAlreadyOwnedByYou, 400 InvalidBucketName),
// DeleteBucket (409 BucketNotEmpty; open multipart uploads are discarded),
// HeadBucket, GetBucketLocation, GetBucketVersioning (never enabled).
// Operations on a missing bucket fail with 404 NoSuchBucket unless
// Options.AutoCreateBucket is set.
//
// Objects: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects
// (Quiet mode too), CopyObject (metadata and tagging directives COPY and
// REPLACE, x-amz-copy-source-if-* conditions). Stored and returned:
// Content-Type (default binary/octet-stream), Content-Encoding (without
// aws-chunked), Content-Disposition, Content-Language, Cache-Control,
// Expires, x-amz-meta-* (returned with lower-case names), storage class,
// x-amz-tagging (GET returns x-amz-tagging-count), canned ACL, the
// server-side encryption headers (echoed). ETags are quoted hex MD5s.
// Content-MD5 is verified (400 BadDigest). GET and HEAD support a single
// byte range (206, 416 InvalidRange; several ranges are ignored, as S3
// does), partNumber, the RFC 7232 conditions (304, 412) and the
// response-* header overrides.
//
// Conditional writes: "If-None-Match: *" and "If-Match: <etag>" on
// PutObject, CopyObject and CompleteMultipartUpload fail with 412
// PreconditionFailed (a failed CompleteMultipartUpload leaves the upload
// open). Options.ConditionalWrites can instead ignore them or answer 501
// NotImplemented.
//
// Payloads: plain bodies and aws-chunked bodies
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD
// and STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, whose chunk and trailer
// signatures are verified when credentials are configured).
// x-amz-content-sha256 hex digests are verified (400
// XAmzContentSHA256Mismatch). Checksums CRC32, CRC32C, CRC64NVME, SHA1,
// SHA256, SHA512 and MD5, sent as a header or as a trailer, are verified
// (400 BadDigest) and stored; objects written without one get a
// CRC64NVME checksum, as S3 computes by default. The checksum is returned
// by PutObject and UploadPart, and by GetObject/HeadObject when the
// request has "x-amz-checksum-mode: ENABLED". XXHASH checksums are
// accepted unverified.
//
// Listing: ListObjectsV2 (prefix, delimiter, max-keys capped at 1000,
// continuation-token, start-after, encoding-type=url, fetch-owner) and
// ListObjects (marker, NextMarker when a delimiter is given), in UTF-8
// binary key order.
//
// Multipart uploads: CreateMultipartUpload (x-amz-checksum-algorithm and
// x-amz-checksum-type), UploadPart, UploadPartCopy (with
// x-amz-copy-source-range), CompleteMultipartUpload (400 InvalidPartOrder,
// InvalidPart, EntityTooSmall below Options.MinPartSize; ETag
// "<md5 of part MD5s>-N"; COMPOSITE or FULL_OBJECT checksums),
// AbortMultipartUpload (404 NoSuchUpload), ListMultipartUploads (prefix,
// delimiter, max-uploads, key-marker, upload-id-marker) and ListParts
// (max-parts, part-number-marker).
//
// Authentication: with Options.Credentials set, AWS Signature Version 4 in
// the Authorization header or in a presigned URL (X-Amz-Expires at most
// 604800), with the S3 canonical URI (each segment encoded once, no
// normalisation). Failures answer 403 SignatureDoesNotMatch,
// InvalidAccessKeyId, AccessDenied ("Request has expired"),
// RequestTimeTooSkewed (more than 15 minutes off Options.Now), or 400
// AuthorizationHeaderMalformed / AuthorizationQueryParametersError /
// InvalidToken. Without credentials every request is accepted. With them,
// an unsigned GET or HEAD may read an object stored with the public-read
// (or public-read-write) canned ACL, as S3 allows; any other unsigned
// request is 403 AccessDenied.
//
// Test hooks: Options.Intercept sees every operation and can answer an
// Error instead (for instance 503 SlowDown on the second UploadPart) or
// drop the connection mid-request (HangUp) or mid-response (CutResponse).
// CreateBucket, Buckets, Objects, Object, PutObject and Uploads inspect and
// seed the state directly.
//
// # Not supported
//
// Versioning (versionId other than "null" is refused), object lock, ACL
// and policy evaluation (every authenticated caller may do anything),
// bucket configuration sub-resources (acl, policy, cors, lifecycle,
// tagging, website, ...), GetObjectTagging and the other object
// sub-resources, ListObjectVersions, POST form uploads, SelectObjectContent,
// RestoreObject, SigV2 and SigV4A signatures, SSE-C key checks (the
// headers are only echoed), persistence, and S3's quirks such as
// CompleteMultipartUpload answering 200 with an error body. Requests for
// an unsupported operation or sub-resource answer 501 NotImplemented with
// an XML error; unknown HTTP methods answer 405 MethodNotAllowed. The
// largest multipart object is bounded by memory only. DeleteObject ignores
// If-Match.
//
// # Concurrency
//
// A Server is safe for concurrent use by any number of requests and
// method calls. A single lock guards the bucket and upload maps; request
// bodies are read and hashed outside it, and stored objects are immutable,
// so GETs stream without holding the lock. A write is atomic: readers see
// the previous object or the new one, never a mix, and conditional writes
// are evaluated under the lock at commit time.
//
// # Memory
//
// Bodies are held in memory. A request body is read once into a buffer of
// its declared size, capped at 64 MiB before data arrives (beyond that the
// buffer grows as data arrives), and never beyond Options.MaxObjectSize:
// larger declared sizes fail with 400 EntityTooLarge before the body is
// read. CompleteMultipartUpload copies the parts into one buffer.
package s3mem
