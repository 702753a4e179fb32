#!/usr/bin/env bash
# Ingress benchmark (issue: the ingress): acknowledged payloads/s and ack latency with --fsync
# always at 1, 16 and 128 connections (single route) and on /batch, then Redis Streams with
# appendfsync always (redis-benchmark, its C client: single commands and pipelined) and NATS
# JetStream (file storage, publish acks, nats-py) on the same payload, all in one run; then p99 at
# half of the single route's maximum rate.
#   Tools/bench/ingress.sh [SECONDS]    (default 5 per measurement)
set -euo pipefail
source "$(dirname "$0")/common.sh"
command -v redis-server >/dev/null || { apt-get install -y -qq redis-server redis-tools >/dev/null; }
seconds=${1:-5}
work=$work_root/ingress
rm -rf "$work" && mkdir -p "$work"
python3 Tools/gen_traffic.py --payloads 20000 --seed 5 --v2-share 1.0 --v1-share 0 > "$work/traffic.ndjson"
swift build -c release --product sessionlog >/dev/null
# The client is C, one thread, epoll — like redis-benchmark — so it costs the shared 2 cores as
# little as the Redis client does.
bench=$work/http_unix_bench
gcc -O2 -o "$bench" Tools/bench/peers/http_unix_bench.c
.build/release/sessionlog ingress --data "$work/data" --fsync always 2>"$work/ingress.log" &
ingress=$!
for _ in $(seq 100); do [ -S "$work/data/ingress.sock" ] && break; sleep 0.1; done
echo "--- sessionlog ingress (fsync always)"
for c in 1 16 64 128; do "$bench" "$work/data/ingress.sock" "$work/traffic.ndjson" "$c" "$seconds" single | tee -a "$work/single.txt"; done
"$bench" "$work/data/ingress.sock" "$work/traffic.ndjson" 16 "$seconds" batch:64
max=$(grep -o '[0-9]* payloads/s' "$work/single.txt" | awk '{print $1}' | sort -n | tail -1)
echo "--- p99 at half of the maximum single-route rate ($max/s → $((max / 2))/s, 64 connections)"
"$bench" "$work/data/ingress.sock" "$work/traffic.ndjson" 64 "$seconds" single $((max / 2))
echo "ingress peak RSS: $(grep VmHWM /proc/$ingress/status | awk '{print $2/1024 " MiB"}')"
kill -TERM $ingress; wait $ingress || true
.build/release/sessionlog verify --data "$work/data"

echo "--- Redis Streams (appendonly yes, appendfsync always), same payload"
payload=$(grep -m1 '"kind":"start"' "$work/traffic.ndjson")
echo "payload bytes: ${#payload}"
redis-server --port 0 --unixsocket "$work/redis.sock" --dir "$work" --appendonly yes --appendfsync always --save "" --daemonize yes
for _ in $(seq 50); do [ -S "$work/redis.sock" ] && break; sleep 0.1; done
for c in 1 16 64 128; do
  n=$((c * 2000))
  echo "redis single c=$c: $(redis-benchmark -s "$work/redis.sock" -c $c -n $n -q XADD bench '*' p "$payload" | tr '\r' '\n' | grep -E 'requests per second' | tail -1 | sed 's/.*: \([0-9.]* requests per second.*\)/\1/')"
done
echo "redis pipelined 64 c=16: $(redis-benchmark -s "$work/redis.sock" -c 16 -P 64 -n 400000 -q XADD bench '*' p "$payload" | tr '\r' '\n' | grep -E 'requests per second' | tail -1 | sed 's/.*: \([0-9.]* requests per second.*\)/\1/')"
redis-cli -s "$work/redis.sock" shutdown nosave >/dev/null 2>&1 || true

echo "--- NATS JetStream (file storage, publish acks), same payload"
command -v nats-server >/dev/null || apt-get install -y -qq nats-server >/dev/null
python3 -c 'import nats' 2>/dev/null || pip install -q nats-py
echo "nats-server $(nats-server --version | awk '{print $NF}'): JetStream's sync_interval (fsync per message) needs 2.10+; this version syncs on its own timer (2 min), so its acks are not fsync'd"
printf '%s' "$payload" > "$work/payload.json"
nats-server -js -sd "$work/nats" -a 127.0.0.1 -p 4233 >"$work/nats.log" 2>&1 &
nats=$!
sleep 1
for c in 1 16 128; do python3 Tools/bench/peers/nats_publish.py nats://127.0.0.1:4233 "$work/payload.json" "$c" "$seconds"; done
kill $nats; wait $nats 2>/dev/null || true
