// Package faultproxy is a fault-injecting reverse proxy for S3 traffic,
// for tests and benchmarks. It sits between a client (a storage.Storage
// whose endpoint_url is the proxy's URL, an s3.Client) and a real
// S3-compatible server, and does to chosen requests what networks and
// overloaded servers do: lose an answer after the server committed the
// write, reset a connection mid-body, answer 503 SlowDown or 500
// InternalError, or add latency.
//
//	p, err := faultproxy.Start("http://127.0.0.1:8333", faultproxy.Options{Rules: []faultproxy.Rule{
//		{Op: faultproxy.OpCompleteMultipartUpload, Nth: 1, Fault: faultproxy.LoseResponse},
//	}})
//	defer p.Close()
//	st, err := storage.New(ctx, storage.Options{BucketName: "b", EndpointURL: p.URL()})
//	...
//	p.Injected(faultproxy.OpCompleteMultipartUpload, faultproxy.LoseResponse) // 1
//
// # Faithful forwarding
//
// SigV4 signs the Host header, the request target and the signed headers;
// the server recomputes the signature from what it receives. The proxy
// therefore forwards the request target byte for byte, the Host header
// the client sent (the proxy's own address), every end-to-end header and
// the body as it comes (Content-Length or chunked, Expect: 100-continue
// honoured), and it sends back the server's status, headers and body
// unchanged. Bodies stream through a 32 KiB buffer in each direction,
// never whole; connections are HTTP/1.1 with keep-alive on both sides.
//
// # Operations
//
// Classify names each request's S3 operation (PutObject, UploadPart,
// CompleteMultipartUpload, ListObjectsV2, DeleteObjects, ...) from its
// method, path and query, for path-style addressing ("/bucket/key"); the
// rules and the counters use those names.
//
// # Faults
//
// A Rule targets an operation (or all), optionally a key pattern, and
// fires on the Nth matching request, on the first N, or at a rate decided
// by a seeded hash of the request's rank (reproducible for the same order
// of requests). The faults are LoseResponse (after commit: the whole
// request forwarded, the whole answer read, then the client's connection
// closed without a byte of it), ResetRequest (part of the request body,
// then both connections dropped, the client's with a TCP reset),
// ResetResponse (part of the answer's body, then the connection closed, so
// that the client reads exactly those bytes and an unexpected EOF), Reset
// (whichever of the two has a body), SlowDown and InternalError (S3 XML
// error documents, nothing forwarded), Latency, Corrupt (one byte of the
// request's payload flipped on its way, the framing of aws-chunked bodies
// kept, so that what checks the payload catches it: the server's
// x-amz-checksum-* check for an UNSIGNED-PAYLOAD or trailer-checksum body,
// the signature for a payload signed with its SHA-256) and CorruptResponse
// (one byte of the answer's body flipped).
//
// # TLS
//
// With Options.TLS the proxy serves HTTPS with a certificate of its own
// (ClientTLS trusts it) and forwards to the server as upstream says.
// Clients then sign and send bodies as they do with a real S3 endpoint:
// aws-sdk-go-v2 signs the payload's SHA-256 over plain HTTP, but over
// HTTPS sends it UNSIGNED-PAYLOAD (or STREAMING-UNSIGNED-PAYLOAD-TRAILER),
// leaving its checksums as the only check of the bytes, which is what a
// test of those checksums needs.
//
// # Counters
//
// Requests counts the requests per operation, Injected the faults per
// operation and kind, Status the server's answers per operation and
// status (so a test can see the 412 a retried conditional write got),
// Events lists the faults with their keys, and Summary puts it all on
// one line.
//
// # Concurrency
//
// A Proxy serves requests concurrently; its methods may be called while it
// does. The rules' counts and the counters are kept under locks.
package faultproxy
