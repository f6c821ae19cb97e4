// Package integration holds the tests that run against a real
// S3-compatible server: the one ../shared/s3server/start.sh starts, found
// through AWS_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_S3_REGION_NAME. Without them the tests fail: they are never skipped.
package integration
