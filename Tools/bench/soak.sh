#!/usr/bin/env bash
# Soak run: `sessionlog up` on a new data directory under Tools/loadgen.py for SECONDS, sampling
# every 15 s each child's RSS and open files and each projection's lag (soak/samples.txt). With
# KILLS=1, the sessions projector, the pages projector and the ingress get SIGKILL at half time
# (`up` restarts them; the load generator's producers reconnect and resend their keyed requests).
# Afterwards: `verify`; Tools/check_acked.py, which finds every acknowledged record in the log with
# the bytes sent; and `rebuild NAME --verify` of each projection, which builds it again from offset
# 0 and compares it table by table with the live build. Exits 1 if any of them fails.
#   [KILLS=1] Tools/bench/soak.sh [SECONDS] [RATE]   (defaults 600 2500)
set -euo pipefail
source "$(dirname "$0")/common.sh"
seconds=${1:-600}
rate=${2:-2500}
work=$work_root/soak
rm -rf "$work" && mkdir -p "$work/data"
swift build -c release --product sessionlog >/dev/null
bin=$PWD/.build/release/sessionlog
data=$work/data
cp Schemas/funnels.example.json "$data/funnels.json"
$bin up --data "$data" >"$work/up.log" 2>&1 &
up=$!
trap 'kill -INT $up 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$data/ingress.sock" ] && break; sleep 0.1; done
python3 Tools/loadgen.py --socket "$data/ingress.sock" --connections 16 --duration "$seconds" --rate "$rate" \
  --acked "$work/acked.txt" >"$work/load.txt" 2>&1 &
load=$!
sample() {
  local started=$SECONDS
  while kill -0 $load 2>/dev/null; do
    local line="t=$((SECONDS - started))s"
    for pid in $(pgrep -P $up); do
      local name rss
      name=$(tr '\0' ' ' </proc/$pid/cmdline | awk '{print ($2 == "project") ? $3 : $2}')
      rss=$(awk '/VmRSS/ {print int($2 / 1024)}' /proc/$pid/status 2>/dev/null || echo "?")
      line="$line $name=${rss}MiB/$(ls /proc/$pid/fd 2>/dev/null | wc -l)fd"
    done
    lag=$($bin status --data "$data" --format json 2>/dev/null | python3 -c '
import json, sys
report = json.load(sys.stdin)
print(report["log"]["end_offset"], " ".join("%s:%s" % (p["projection"], p["lag_seconds"]) for p in report["projections"]))' || true)
    echo "$line | end, lag s: $lag"
    sleep 15
  done
}
sample >"$work/samples.txt" &
if [ "${KILLS:-0}" = 1 ]; then
  sleep $((seconds / 2))
  for child in "project sessions" "project pages" "ingress"; do
    pkill -KILL -P $up -f "sessionlog $child" && echo "killed $child (SIGKILL); up restarts it"
    sleep 10
  done
fi
wait $load || echo "loadgen exited with status $? (see $work/load.txt)"
tail -1 "$work/load.txt"
sleep 5  # the projectors catch up
kill -INT $up && wait $up
trap - EXIT
echo "--- RSS and open files (first, middle and last samples; all in $work/samples.txt)"
lines=$(wc -l <"$work/samples.txt")
sed -n "1p;$(((lines + 1) / 2))p;${lines}p" "$work/samples.txt"
failed=0
verified=$($bin verify --data "$data") || failed=1
echo "--- verify: $verified"
found=$($bin replay --data "$data" | python3 Tools/check_acked.py "$work/acked.txt") || failed=1
echo "--- every acknowledged record in the log: $found"
# Each projection built again from offset 0 beside the live build and compared with it table by
# table (`rebuild --verify`: exit 1 when they differ, CURRENT then unchanged).
for kind in pages sessions funnels attribution; do
  $bin rebuild $kind --verify --data "$data" || failed=1
done
exit $failed
