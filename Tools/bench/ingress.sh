#!/usr/bin/env bash
# Ingress benchmark (issue: the ingress): acknowledged payloads/s, MB/s and ack latency (p50/p99)
# with --fsync always on /v2/session at 1, 16, 64 and 128 connections, on /v3/session and
# /v1/events at 64, and on /batch (64 lines a request) at 1, 16 and 128, each alternating with Redis
# Streams with appendfsync always (redis-benchmark, its C client: single commands, or pipelines of
# 64 beside /batch) on a payload of the same version and size, for ROUNDS rounds (default 3;
# medians reported); p99 at half of the single route's maximum rate; then NATS JetStream (file
# storage, publish acks, nats-py) on the V2 payload.
#   Tools/bench/ingress.sh [SECONDS]    (default 5 per measurement of ours)
set -euo pipefail
source "$(dirname "$0")/common.sh"
command -v redis-server >/dev/null || { apt-get install -y -qq redis-server redis-tools >/dev/null; }
seconds=${1:-5}
work=$work_root/ingress
rm -rf "$work" && mkdir -p "$work"
python3 Tools/gen_traffic.py --payloads 20000 --seed 5 --v2-share 1.0 --v1-share 0 > "$work/traffic.ndjson"
python3 Tools/gen_traffic.py --payloads 20000 --seed 5 --v1-share 0.3 > "$work/routes.ndjson"
swift build -c release --product sessionlog >/dev/null
# The client is C, one thread, epoll — like redis-benchmark — so it costs the shared 2 cores as
# little as the Redis client does.
bench=$work/http_unix_bench
gcc -O2 -o "$bench" Tools/bench/peers/http_unix_bench.c
payload=$(grep -m1 '"kind":"start"' "$work/traffic.ndjson")
# Redis gets one payload per route: the V2 start above, and the median-sized V1 and V3 lines of
# the traffic our client cycles through on those routes.
median_line() { grep "^{\"v\":$1," "$work/routes.ndjson" | awk '{print length($0) "\t" $0}' | sort -n | awk -F '\t' '{l[NR]=$2} END {print l[int((NR+1)/2)]}'; }
v1_payload=$(median_line 1)
v3_payload=$(median_line 3)
.build/release/sessionlog ingress --data "$work/data" --fsync always 2>"$work/ingress.log" &
ingress=$!
redis-server --port 0 --unixsocket "$work/redis.sock" --dir "$work" --appendonly yes --appendfsync always --save "" --daemonize yes
for _ in $(seq 100); do [ -S "$work/data/ingress.sock" ] && [ -S "$work/redis.sock" ] && break; sleep 0.1; done
echo "payload bytes (Redis's; ours cycle through the traffic's lines): V2 ${#payload}, V1 ${#v1_payload}, V3 ${#v3_payload}; Redis Streams with appendonly yes, appendfsync always"

# Each configuration runs ROUNDS times, ours and Redis's alternating, so both see the same moments
# of this machine (whose speed drifts by ±20% over minutes); the table gives each one's median.
rounds=${ROUNDS:-3}
ours() {  # CONNECTIONS SECONDS MODE [RATE]
  local traffic=$work/traffic.ndjson
  case $3 in v1|v3) traffic=$work/routes.ndjson ;; esac
  "$bench" "$work/data/ingress.sock" "$traffic" "$@"
}
redis() {  # CONNECTIONS PIPELINE PAYLOAD → "requests/s p50 p99" (ms) from redis-benchmark's summary
  local c=$1 p=$2
  redis-benchmark -s "$work/redis.sock" -c "$c" -P "$p" -n $((c * p * 2000 > 400000 ? 400000 : c * p * 2000)) XADD bench '*' p "$3" \
    | tr '\r' '\n' | awk '/throughput summary:/ {rps = $3} /avg +min +p50/ {getline; print rps, $3, $5}'
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "--- sessionlog ingress (fsync always) and Redis, alternating, $rounds rounds each"
: > "$work/table.txt"
for config in "1 single 1" "16 single 1" "64 single 1" "128 single 1" "64 v3 1" "64 v1 1" \
              "1 batch:64 64" "16 batch:64 64" "128 batch:64 64"; do
  read -r c mode pipeline <<< "$config"
  case $mode in v1) p=$v1_payload ;; v3) p=$v3_payload ;; *) p=$payload ;; esac
  : > "$work/ours.txt"; : > "$work/redis.txt"
  for _ in $(seq "$rounds"); do
    ours "$c" "$seconds" "$mode" | tee -a "$work/ours.log" | grep -o '[0-9]* payloads/s' | awk '{print $1}' >> "$work/ours.txt"
    redis "$c" "$pipeline" "$p" >> "$work/redis.txt"
  done
  o=$(median < "$work/ours.txt"); r=$(awk '{print $1}' "$work/redis.txt" | median)
  echo "$mode c=$c: sessionlog $(tr '\n' ' ' < "$work/ours.txt")→ median $o/s; Redis$([ "$pipeline" -gt 1 ] && echo " pipelined $pipeline") $(awk '{printf "%s ", $1}' "$work/redis.txt")→ median ${r%.*}/s (p50/p99 ms: $(awk '{printf "%s/%s ", $2, $3}' "$work/redis.txt")); ratio $(awk -v o="$o" -v r="$r" 'BEGIN {printf "%.2f", o / r}')" | tee -a "$work/table.txt"
done
grep -E '^(single|v1|v3|batch:[0-9]+) c=' "$work/ours.log" | sed 's/^/  /'
# Our maximum is the best configuration's median (a single round's best would be an outlier on
# this machine); the p99 point is measured ROUNDS times, as the other figures are, and its median
# reported (one slow moment of the machine overloads the offered rate and makes one round's p99).
max=$(grep -E '^single c=' "$work/table.txt" | sed 's/.*→ median \([0-9]*\)\/s; Redis.*/\1/' | sort -n | tail -1)
echo "--- p99 at half of the maximum single-route rate (the best median, $max/s → $((max / 2))/s offered, 64 connections), $rounds rounds"
: > "$work/p99.txt"
for _ in $(seq "$rounds"); do
  line=$(ours 64 "$seconds" single $((max / 2)) | tee -a "$work/ours.log" | tail -1)
  echo "$line"
  echo "$line" | grep -o 'p99 [0-9.]*' | awk '{print $2}' >> "$work/p99.txt"
done
echo "p99 at half of our maximum: $(tr '\n' ' ' < "$work/p99.txt")ms → median $(median < "$work/p99.txt") ms"
echo "ingress peak RSS: $(grep VmHWM /proc/$ingress/status | awk '{print $2/1024 " MiB"}')"
kill -TERM $ingress; wait $ingress || true
redis-cli -s "$work/redis.sock" shutdown nosave >/dev/null 2>&1 || true
.build/release/sessionlog verify --data "$work/data"

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
