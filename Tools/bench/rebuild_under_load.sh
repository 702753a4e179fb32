#!/usr/bin/env bash
# Rebuild under load (issue: migrations), one run: the ingress takes a steady load from
# Tools/loadgen.py (single-payload requests at a fixed rate) first alone, then while the four
# projections are rebuilt from offset 0 (four `rebuild` processes); prints the rebuild time and
# the ingress's throughput and p99 in both phases, with their ratios.
#   Tools/bench/rebuild_under_load.sh [PAYLOADS] [RATE] [SECONDS]   (defaults 1000000 2000 20)
set -euo pipefail
source "$(dirname "$0")/common.sh"
payloads=${1:-1000000}
rate=${2:-2000}
seconds=${3:-20}
work=$work_root/rebuild-under-load
rm -rf "$work" && mkdir -p "$work"
swift build -c release --product sessionlog >/dev/null
bin=.build/release/sessionlog
python3 Tools/gen_traffic.py --payloads "$payloads" --seed 13 --invalid-share 0 > "$work/traffic.ndjson"
$bin import --data "$work/data" "$work/traffic.ndjson" >/dev/null
cp Schemas/funnels.example.json "$work/data/funnels.json"
$bin project all --once --data "$work/data" >/dev/null 2>&1   # the live builds the rebuilds replace
$bin ingress --data "$work/data" --fsync always 2>"$work/ingress.log" &
ingress=$!
for _ in $(seq 100); do [ -S "$work/data/ingress.sock" ] && break; sleep 0.1; done
# Each phase uses its own seed: idempotency keys of the first must not collide with the second's.
load() { python3 Tools/loadgen.py --socket "$work/data/ingress.sock" --connections 8 --duration "$1" --rate "$rate" --invalid-share 0 --retry-share 0 --seed "$2"; }
echo "--- ingress alone: $rate requests/s for $seconds s"
load "$seconds" 1 | tee "$work/alone.txt"
echo "--- ingress while the four projections rebuild from offset 0 ($payloads payloads in the log)"
start=$(date +%s.%N)
for kind in pages sessions funnels attribution; do
  $bin rebuild "$kind" --data "$work/data" >"$work/rebuild-$kind.log" 2>&1 &
done
load "$seconds" 2 | tee "$work/during.txt"
for pid in $(jobs -p); do [ "$pid" = "$ingress" ] || wait "$pid" || true; done
echo "four rebuilds took $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
kill -TERM $ingress; wait $ingress || true
python3 - "$work/alone.txt" "$work/during.txt" <<'PY'
import json, sys
def figures(path):
    report = json.loads(open(path).readline())
    return report["requests_per_s"], report["p99_ms"]
(alone_rate, alone_p99), (during_rate, during_p99) = figures(sys.argv[1]), figures(sys.argv[2])
print(f"ratios during/alone: throughput {during_rate / alone_rate:.2f} (target ≥ 0.8), p99 {alone_p99:.1f} → {during_p99:.1f} ms")
PY
