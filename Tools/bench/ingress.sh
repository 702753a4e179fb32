#!/usr/bin/env bash
# Ingress benchmark (issue: the ingress): acknowledged payloads/s and ack latency with --fsync
# always at 1, 16 and 128 connections (single route) and on /batch, then Redis Streams with
# appendfsync always (redis-benchmark, its C client: single commands and pipelined) on the same
# payload, all in one run. NATS JetStream is not measured yet.
#   Tools/bench/ingress.sh [SECONDS]    (default 5 per measurement)
set -euo pipefail
source "$(dirname "$0")/common.sh"
command -v redis-server >/dev/null || { apt-get install -y -qq redis-server redis-tools >/dev/null; }
seconds=${1:-5}
work=$work_root/ingress
rm -rf "$work" && mkdir -p "$work"
python3 Tools/gen_traffic.py --payloads 20000 --seed 5 --v2-share 1.0 --v1-share 0 > "$work/traffic.ndjson"
swift build -c release --product sessionlog >/dev/null
swift build -c release --package-path Benchmarks --product ingress-bench >/dev/null
bench=Benchmarks/.build/release/ingress-bench
.build/release/sessionlog ingress --data "$work/data" --fsync always 2>"$work/ingress.log" &
ingress=$!
for _ in $(seq 100); do [ -S "$work/data/ingress.sock" ] && break; sleep 0.1; done
echo "--- sessionlog ingress (fsync always)"
for c in 1 16 128; do "$bench" "$work/data/ingress.sock" "$work/traffic.ndjson" "$c" "$seconds" single; done
"$bench" "$work/data/ingress.sock" "$work/traffic.ndjson" 16 "$seconds" batch:64
echo "ingress peak RSS: $(grep VmHWM /proc/$ingress/status | awk '{print $2/1024 " MiB"}')"
kill -TERM $ingress; wait $ingress || true
.build/release/sessionlog verify --data "$work/data"

echo "--- Redis Streams (appendonly yes, appendfsync always), same payload"
payload=$(grep -m1 '"kind":"start"' "$work/traffic.ndjson")
echo "payload bytes: ${#payload}"
redis-server --port 0 --unixsocket "$work/redis.sock" --dir "$work" --appendonly yes --appendfsync always --save "" --daemonize yes
for _ in $(seq 50); do [ -S "$work/redis.sock" ] && break; sleep 0.1; done
for c in 1 16 128; do
  n=$((c * 2000))
  echo "redis single c=$c: $(redis-benchmark -s "$work/redis.sock" -c $c -n $n -q XADD bench '*' p "$payload" | tr '\r' '\n' | grep -E 'requests per second' | tail -1 | sed 's/.*: \([0-9.]* requests per second.*\)/\1/')"
done
echo "redis pipelined 64 c=16: $(redis-benchmark -s "$work/redis.sock" -c 16 -P 64 -n 400000 -q XADD bench '*' p "$payload" | tr '\r' '\n' | grep -E 'requests per second' | tail -1 | sed 's/.*: \([0-9.]* requests per second.*\)/\1/')"
redis-cli -s "$work/redis.sock" shutdown nosave >/dev/null 2>&1 || true
