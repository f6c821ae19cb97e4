#!/usr/bin/env bash
# Loads the Redirect middleware (presigning, the default storage) and a
# bare handler that writes a constant 302 with wrk, on loopback, for a
# bounded time each, alternating the two; prints requests/s and the ratio.
#
#   bench/redirect.sh                  # 10 s per run, 3 rounds
#   DURATION=5s ROUNDS=2 bench/redirect.sh
#
# Needs wrk (Debian: apt-get install -y wrk). No S3 server is involved:
# building a presigned URL needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-32}"
THREADS="${THREADS:-1}"
PORT_REDIRECT="${PORT_REDIRECT:-18080}"
PORT_BARE="${PORT_BARE:-18081}"
PATH_="/media/2025/report.pdf"

command -v wrk >/dev/null || { echo "redirect.sh: wrk not found (apt-get install -y wrk)" >&2; exit 1; }
bin="$(mktemp -d)/redirect"
go build -o "$bin" ./bench/redirect

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$(dirname "$bin")"; }
trap cleanup EXIT

start() { # mode port
	"$bin" -mode "$1" -addr "127.0.0.1:$2" &
	pids+=("$!")
	for _ in $(seq 100); do
		if curl -s -o /dev/null "http://127.0.0.1:$2/"; then return; fi
		sleep 0.05
	done
	echo "redirect.sh: $1 server did not start" >&2; exit 1
}
start redirect "$PORT_REDIRECT"
start bare "$PORT_BARE"

# Sanity: both answer 302 with a Location on the S3 endpoint.
for port in "$PORT_REDIRECT" "$PORT_BARE"; do
	curl -s -o /dev/null -w '%{http_code} %{redirect_url}\n' "http://127.0.0.1:$port$PATH_" | cut -c1-90
done

rps() { # port
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$1$PATH_" |
		awk '/^Requests\/sec:/ {print $2} /Non-2xx or 3xx/ {print "errors: " $0 > "/dev/stderr"}'
}

wrk -t"$THREADS" -c"$CONNS" -d2s "http://127.0.0.1:$PORT_REDIRECT$PATH_" >/dev/null # warm up
wrk -t"$THREADS" -c"$CONNS" -d2s "http://127.0.0.1:$PORT_BARE$PATH_" >/dev/null
sum_r=0 sum_b=0
for i in $(seq "$ROUNDS"); do
	b=$(rps "$PORT_BARE")
	r=$(rps "$PORT_REDIRECT")
	printf 'round %d: bare %s req/s, redirect %s req/s, ratio %.3f\n' "$i" "$b" "$r" "$(echo "$r / $b" | bc -l)"
	sum_r=$(echo "$sum_r + $r" | bc -l)
	sum_b=$(echo "$sum_b + $b" | bc -l)
done
printf 'mean: bare %.0f req/s, redirect %.0f req/s, ratio %.3f (target >= 0.8)\n' \
	"$(echo "$sum_b / $ROUNDS" | bc -l)" "$(echo "$sum_r / $ROUNDS" | bc -l)" "$(echo "$sum_r / $sum_b" | bc -l)"
