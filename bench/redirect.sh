#!/usr/bin/env bash
# Loads the Redirect middleware (presigning, the default storage), the same
# with a 300 s url_stable_window, and a bare handler that writes a constant
# 302 with wrk, on loopback, for a bounded time each, in turn; prints
# requests/s and the ratios to the bare handler.
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
PORT_WINDOW="${PORT_WINDOW:-18082}"
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
start redirect-window "$PORT_WINDOW"
start bare "$PORT_BARE"

# Sanity: all answer 302 with a Location on the S3 endpoint.
for port in "$PORT_REDIRECT" "$PORT_WINDOW" "$PORT_BARE"; do
	curl -s -o /dev/null -w '%{http_code} %{redirect_url}\n' "http://127.0.0.1:$port$PATH_" | cut -c1-90
done

rps() { # port
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$1$PATH_" |
		awk '/^Requests\/sec:/ {print $2} /Non-2xx or 3xx/ {print "errors: " $0 > "/dev/stderr"}'
}

for port in "$PORT_REDIRECT" "$PORT_WINDOW" "$PORT_BARE"; do # warm up
	wrk -t"$THREADS" -c"$CONNS" -d2s "http://127.0.0.1:$port$PATH_" >/dev/null
done
ratio() { echo "$1 / $2" | bc -l; }
rs=() ws=() bs=()
for i in $(seq "$ROUNDS"); do
	b=$(rps "$PORT_BARE")
	r=$(rps "$PORT_REDIRECT")
	w=$(rps "$PORT_WINDOW")
	printf 'round %d: bare %s req/s, redirect %s req/s (%.3f), redirect with a stable window %s req/s (%.3f)\n' \
		"$i" "$b" "$r" "$(ratio "$r" "$b")" "$w" "$(ratio "$w" "$b")"
	bs+=("$b") rs+=("$r") ws+=("$w")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
mb=$(median "${bs[@]}") mr=$(median "${rs[@]}") mw=$(median "${ws[@]}")
printf 'median of %d rounds: bare %.0f req/s; Redirect %.0f req/s, ratio %.3f; Redirect with url_stable_window=300 %.0f req/s, ratio %.3f (target >= 0.95)\n' \
	"$ROUNDS" "$mb" "$mr" "$(ratio "$mr" "$mb")" "$mw" "$(ratio "$mw" "$mb")"
