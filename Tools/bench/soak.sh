#!/usr/bin/env bash
# Soak run: `sessionlog up` on a new data directory under Tools/loadgen.py for SECONDS, sampling
# every 15 s each child's RSS and open files and each projection's lag (soak/samples.txt). With
# KILLS=1, the sessions projector and then the pages projector get SIGKILL at half time (`up`
# restarts them). Afterwards: `verify`, and each projection built again from offset 0 into a new
# file and compared table by table with the live build; exits 1 if any differs.
#   [KILLS=1] Tools/bench/soak.sh [SECONDS] [RATE]   (defaults 600 2500)
set -euo pipefail
source "$(dirname "$0")/common.sh"
seconds=${1:-600}
rate=${2:-2500}
work=$work_root/soak
rm -rf "$work" && mkdir -p "$work/data" "$work/fresh"
swift build -c release --product sessionlog >/dev/null
bin=$PWD/.build/release/sessionlog
data=$work/data
cp Schemas/funnels.example.json "$data/funnels.json"
$bin up --data "$data" >"$work/up.log" 2>&1 &
up=$!
trap 'kill -INT $up 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$data/ingress.sock" ] && break; sleep 0.1; done
python3 Tools/loadgen.py --socket "$data/ingress.sock" --connections 16 --duration "$seconds" --rate "$rate" \
  >"$work/load.txt" 2>&1 &
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
  for kind in sessions pages; do
    pkill -KILL -P $up -f "project $kind" && echo "killed the $kind projector (SIGKILL); up restarts it"
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
echo "--- verify: $($bin verify --data "$data")"
for kind in pages sessions funnels attribution; do
  $bin project $kind --once --data "$data" --db "$work/fresh/$kind.db" 2>/dev/null
done
python3 - "$data/projections" "$work/fresh" <<'PY'
import sqlite3, sys
live_root, fresh_root = sys.argv[1], sys.argv[2]
differ = 0
for kind in ("pages", "sessions", "funnels", "attribution"):
    build = open(f"{live_root}/{kind}/CURRENT").read().strip()
    live = sqlite3.connect(f"file:{live_root}/{kind}/{build}.db?mode=ro", uri=True)
    fresh = sqlite3.connect(f"file:{fresh_root}/{kind}.db?mode=ro", uri=True)
    tables = [r[0] for r in live.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('_checkpoint') AND name NOT LIKE 'sqlite_%'")]
    for table in tables:
        a = sorted(map(repr, live.execute(f"SELECT * FROM {table}")))
        b = sorted(map(repr, fresh.execute(f"SELECT * FROM {table}")))
        differ += a != b
        print(f"{kind}.{table}: {len(a)} rows live, {len(b)} rebuilt: {'equal' if a == b else 'DIFFERENT'}")
sys.exit(1 if differ else 0)
PY
