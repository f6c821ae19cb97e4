#!/usr/bin/env bash
# The test command: formatting, vet, and every test with the race
# detector, the integration tests against the real S3-compatible server
# (SeaweedFS), which this script starts with scripts/s3server.sh (built
# and cached the first time) and stops when it is done. With
# AWS_S3_ENDPOINT_URL already exported, that server is used instead. A
# server that cannot start is a failure, never a skip. The output is
# go test's, followed by every test that skipped and why (without
# chromium or Django, their tests skip; with S3KIT_CI=1 they fail).
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l .)
[[ -z "$unformatted" ]] || { echo "test: not gofmt-ed:" >&2; echo "$unformatted" >&2; exit 1; }
go vet ./...

if [[ -z "${AWS_S3_ENDPOINT_URL:-}" ]]; then
  exports=$(scripts/s3server.sh start) || { echo "test: the S3 server did not start" >&2; exit 1; }
  eval "$exports"
  if [[ "$S3SERVER_STARTED" == 1 ]]; then trap 'scripts/s3server.sh stop' EXIT; fi
fi
echo "test: integration tests against $AWS_S3_ENDPOINT_URL" >&2
summary="${TMPDIR:-/tmp}/s3kit-testsummary.$$"
go build -o "$summary" ./scripts/testsummary
status=0
go test -race -count=1 -timeout 30m -json ./... 2>&1 | "$summary" || status=$?
rm -f "$summary"
exit "$status"
