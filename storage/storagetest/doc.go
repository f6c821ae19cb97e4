// Package storagetest is the conformance suite of s3kit's storage: the
// behaviour every S3-compatible server a Storage talks to must give, as Go
// CDK's drivertest is for its blob drivers and testing/fstest for an
// fs.FS. s3kit runs it against its in-process server in unit tests and
// against a real server (SeaweedFS) in its integration tests; run it
// against your own server or proxy the same way:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T, opts storage.Options) *storage.Storage {
//			opts.BucketName = "test-bucket"
//			opts.Location = path.Join(t.Name(), opts.Location) // a location of its own
//			st, err := storage.New(context.Background(), opts)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return st
//		})
//	}
//
// # What it checks
//
// Round trips of 0 bytes to 12 MiB, seekable and streamed; missing keys;
// one-level and recursive listings, paged past 1000 keys; overwrite,
// rename on conflict and its races, ConflictFail, MaxLength; gzip; the
// hostile, equivalent and safe names of this package's tables; content
// types and object parameters; cancellation and failing bodies leaving
// nothing behind (no object, no open multipart upload); checksums (the
// CRC64NVME the server confirms, the content's SHA-256, a wrong one
// storing nothing); ranged reads and
// http.ServeContent; testing/fstest.TestFS on Storage.FS; and URLs
// fetched with a plain HTTP client: presigned GET and HEAD URLs serve the
// bytes while tampered and expired ones are refused (403), public URLs
// serve public-read objects and not private ones, and a custom domain
// naming the server serves them with Django's escaping.
//
// # The harness
//
// A NewStorage gives each test a Storage of its own location (tests run in
// parallel), with the connection filled in. Storages may share a server
// or each have one of their own: the custom-domain check puts its bytes
// on the domain's server when they are not there. The suite needs a client that
// also lists multipart uploads (as *s3.Client does), and a server that
// honours conditional writes, canned ACLs (public-read) and SigV4 presigned
// URLs.
//
// # Names
//
// HostileNames, EquivalentNames and SafeNames are the tables of names the
// suite uses; other packages' tests (the handler's, the middleware's) use
// them too.
//
// # Files
//
//	storagetest.go  Run and the cases: round trips, listings, conflicts, gzip, names, reads
//	urls.go         the URL cases, fetched with a plain HTTP client
//	names.go        the tables of hostile, equivalent and safe names
//	local.go        Local and LocalServer: a Storage on a started s3local
package storagetest
