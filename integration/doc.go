// Package integration holds the tests that run against a real
// S3-compatible server, found through AWS_S3_ENDPOINT_URL,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_S3_REGION_NAME. Without
// an endpoint (a bare go test ./... on a clone) they run against the
// in-process s3local server on a disk store in a temporary directory, and
// say so in one line on stderr.
package integration
