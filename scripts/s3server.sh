#!/usr/bin/env bash
# The project's real S3-compatible test server: SeaweedFS, pinned, built
# from the Go module proxy once and cached, run on 127.0.0.1 with SigV4
# enforced for one key pair.
#
#   eval "$(scripts/s3server.sh start)"   # prints export lines on stdout
#   scripts/s3server.sh stop              # stops what start started
#
# start exports AWS_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_S3_REGION_NAME, S3SERVER_PID and
# S3SERVER_STARTED (1, or 0 when it reused a server it had started before
# on the same port); it returns once a signed write round trip works.
# stop kills the server and removes its data.
#
# Environment (all optional):
#   S3_PORT            S3 port (default 8333); SeaweedFS also takes
#                      S3_PORT+1..+4 and each of them +10000
#   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY   (default testkey / testsecret)
#   S3SERVER_HOME      binaries, pid and log files (default ~/.cache/s3kit/s3server)
#   S3SERVER_TIMEOUT   seconds to wait for readiness (default 120)
# Progress goes to stderr; stdout carries only the export lines.
set -euo pipefail

SEAWEEDFS_MODULE=github.com/seaweedfs/seaweedfs
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6 # SeaweedFS 4.53, Apache-2.0

HOME_DIR="${S3SERVER_HOME:-$HOME/.cache/s3kit/s3server}"
PORT="${S3_PORT:-8333}"
AK="${AWS_ACCESS_KEY_ID:-testkey}"
SK="${AWS_SECRET_ACCESS_KEY:-testsecret}"
REGION=us-east-1
TIMEOUT="${S3SERVER_TIMEOUT:-120}"
BIN="$HOME_DIR/bin/weed-$SEAWEEDFS_VERSION"
RUN="$HOME_DIR/run"
PIDFILE="$RUN/s3server-$PORT.pid"
DATAFILE="$RUN/s3server-$PORT.data"
LOG="$RUN/s3server-$PORT.log"
ENDPOINT="http://127.0.0.1:$PORT"
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

log() { echo "s3server: $*" >&2; }
die() { echo "s3server: $*" >&2; exit 1; }

[[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT >= 1024 && PORT <= 55530)) || die "S3_PORT must be a number in 1024..55530, got '$PORT'"

exports() { # PID STARTED
  printf 'export S3SERVER_STARTED=%q\n' "$2"
  printf 'export AWS_S3_ENDPOINT_URL=%q\n' "$ENDPOINT"
  printf 'export AWS_ACCESS_KEY_ID=%q\n' "$AK"
  printf 'export AWS_SECRET_ACCESS_KEY=%q\n' "$SK"
  printf 'export AWS_S3_REGION_NAME=%q\n' "$REGION"
  printf 'export S3SERVER_PID=%q\n' "$1"
}

# s3 METHOD PATH [curl args]: the HTTP status of a SigV4-signed request.
s3() {
  local method=$1 path=$2
  shift 2
  curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X "$method" \
    --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" "$@" "$ENDPOINT$path" 2>/dev/null || true
}

ours() { # PID runs our binary
  [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "$BIN"
}

build() {
  command -v go >/dev/null || die "Go is needed to build SeaweedFS once"
  local tmp dir t0=$SECONDS
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/s3server-build.XXXXXX")
  log "building SeaweedFS $SEAWEEDFS_VERSION from the Go module proxy, once (5-10 min on 2 cores, ~2 GB of modules)"
  dir=$(cd "$tmp" && GOFLAGS='' go mod download -json "$SEAWEEDFS_MODULE@$SEAWEEDFS_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [[ -n "$dir" && -f "$dir/go.mod" ]] || die "could not download $SEAWEEDFS_MODULE@$SEAWEEDFS_VERSION"
  # Built in its own module: go install pkg@version refuses its replace directives.
  (cd "$dir" && GOFLAGS=-buildvcs=false go build -ldflags "-s -w" -o "$tmp/weed" ./weed) >&2 || die "building SeaweedFS failed"
  mkdir -p "$(dirname "$BIN")"
  mv -f "$tmp/weed" "$BIN"
  rm -rf -- "$tmp"
  log "built $BIN in $((SECONDS - t0)) s"
}

start() {
  command -v curl >/dev/null || die "curl is needed (apt-get install -y curl)"
  mkdir -p "$RUN"
  if [[ -f "$PIDFILE" ]]; then
    local old
    old=$(cat "$PIDFILE")
    if ours "$old" && [[ $(s3 GET / -H "x-amz-content-sha256: $EMPTY_SHA256") == 200 ]]; then
      log "reusing the server on $ENDPOINT (pid $old)"
      exports "$old" 0
      return
    fi
    stop >/dev/null 2>&1 || true
  fi
  for off in 0 1 2 3 4; do
    for p in $((PORT + off)) $((PORT + off + 10000)); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is in use: choose another S3_PORT"; fi
    done
  done
  if [[ ! -x "$BIN" ]]; then
    exec 9>"$HOME_DIR/build.lock"
    command -v flock >/dev/null && flock 9
    [[ -x "$BIN" ]] || build
    exec 9>&-
  fi
  local data
  data=$(mktemp -d "${TMPDIR:-/tmp}/s3server-$PORT.XXXXXX")
  (
    umask 077
    cat >"$data/s3.json" <<EOF
{"identities": [{"name": "admin", "credentials": [{"accessKey": "$AK", "secretKey": "$SK"}],
                 "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}
EOF
  )
  mkdir -p "$data/weed"
  nohup "$BIN" -logtostderr mini -dir="$data/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -s3.port="$PORT" -master.port=$((PORT + 1)) -volume.port=$((PORT + 2)) -filer.port=$((PORT + 3)) \
    -admin.port=$((PORT + 4)) -admin.port.legacy=0 -webdav=false -admin.ui=false \
    -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false -s3.config="$data/s3.json" \
    -s3.autoCreateBucket=false -volume.max=1000 \
    -filer.localSocket="$data/filer.sock" -s3.localSocket="$data/s3.sock" >"$LOG" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PIDFILE"
  echo "$data" >"$DATAFILE"
  log "started SeaweedFS (pid $pid, data $data, log $LOG); waiting until it serves a signed write"
  local t0=$SECONDS bucket="s3server-ready-$$" sum
  sum=$(printf ready | sha256sum | cut -d' ' -f1)
  while :; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$LOG" >&2; stop >/dev/null 2>&1; die "the server exited while starting"; }
    ((SECONDS - t0 <= TIMEOUT)) || { tail -n 20 "$LOG" >&2; stop >/dev/null 2>&1; die "not ready after $TIMEOUT s"; }
    local c1 c2 c3
    c1=$(s3 PUT "/$bucket" -H "x-amz-content-sha256: $EMPTY_SHA256")
    if [[ $c1 == 200 || $c1 == 409 ]]; then
      c2=$(s3 PUT "/$bucket/probe" -H "x-amz-content-sha256: $sum" --data-binary ready)
      c3=$(s3 GET "/$bucket/probe" -H "x-amz-content-sha256: $EMPTY_SHA256")
      s3 DELETE "/$bucket/probe" -H "x-amz-content-sha256: $EMPTY_SHA256" >/dev/null
      s3 DELETE "/$bucket" -H "x-amz-content-sha256: $EMPTY_SHA256" >/dev/null
      [[ $c2 == 200 && $c3 == 200 ]] && break
    fi
    sleep 0.5
  done
  local anon
  anon=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$ENDPOINT/" || true)
  [[ $anon == 403 ]] || { stop >/dev/null 2>&1; die "an unsigned request got $anon, not 403: authentication is off"; }
  log "ready on $ENDPOINT after $((SECONDS - t0)) s"
  exports "$pid" 1
}

stop() {
  [[ -f "$PIDFILE" ]] || { log "not running on port $PORT"; return 0; }
  local pid data
  pid=$(cat "$PIDFILE")
  data=$(cat "$DATAFILE" 2>/dev/null || true)
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    log "stopped pid $pid"
  fi
  [[ -n "$data" && -d "$data" ]] && rm -rf -- "$data"
  rm -f "$PIDFILE" "$DATAFILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start|stop" ;;
esac
