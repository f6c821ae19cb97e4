#!/usr/bin/env bash
# The test command: formatting, vet, unit and race tests, and the
# integration tests against a real S3-compatible server, which this script
# starts (or reuses) with ../shared/s3server/start.sh. A server that cannot
# start is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

S3SERVER_DIR=${S3SERVER_DIR:-../shared/s3server}
[[ -x "$S3SERVER_DIR/start.sh" ]] || { echo "test: $S3SERVER_DIR/start.sh not found (set S3SERVER_DIR)" >&2; exit 1; }
exports=$("$S3SERVER_DIR/start.sh") || { echo "test: the S3 server did not start" >&2; exit 1; }
eval "$exports"

unformatted=$(gofmt -l .)
[[ -z "$unformatted" ]] || { echo "test: not gofmt-ed:" >&2; echo "$unformatted" >&2; exit 1; }
go vet ./...
go test -race -count=1 -timeout 20m ./...
