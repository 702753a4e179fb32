#!/usr/bin/env bash
# Log engine benchmark (issue: the log): append and replay/verify throughput beside the disk's
# limit (plain write+fdatasync of the same bytes) and LZ4's (lz4 -b1, lz4 -d), all in one run.
#   Tools/bench/log.sh [PAYLOADS]     (default 400000, ~280 MB of session JSON)
set -euo pipefail
cd "$(dirname "$0")/../.."
Tools/install-deps.sh
payloads=${1:-400000}
work=${BENCH_DIR:-/tmp/sessionlog-bench}
mkdir -p "$work"
traffic="$work/traffic-$payloads.ndjson"
[ -s "$traffic" ] || python3 Tools/gen_traffic.py --payloads "$payloads" --seed 7 > "$traffic"
swift build -c release --package-path Benchmarks --product log-bench >/dev/null
Benchmarks/.build/release/log-bench "$traffic" "$work"
echo "--- peers on the same bytes"
split -b 1M -d -a 6 "$traffic" "$work/chunk-" && lz4 -b1 -i3 "$work"/chunk-000001 2>&1 | tail -1 && rm -f "$work"/chunk-*
lz4 -1 -q -f -B5 "$traffic" "$work/traffic.lz4"
start=$(date +%s.%N); lz4 -d -q -c "$work/traffic.lz4" > /dev/null; end=$(date +%s.%N)
python3 -c "import os,sys; s=os.path.getsize('$traffic'); t=$end-$start; print(f'lz4 -d (frame, 1 core)          {s/t/1e6:9.1f} MB/s')"
