#!/usr/bin/env bash
# Log engine benchmark (issue: the log): append and replay/verify throughput beside the disk's
# limit (plain write+fdatasync of the same bytes) and LZ4's (lz4 -b1, lz4 -d), all in one run.
#   Tools/bench/log.sh [PAYLOADS]     (default 400000, ~280 MB of session JSON)
set -euo pipefail
source "$(dirname "$0")/common.sh"
payloads=${1:-400000}
work=$work_root
traffic="$work/traffic-$payloads.ndjson"
[ -s "$traffic" ] || python3 Tools/gen_traffic.py --payloads "$payloads" --seed 7 > "$traffic"
swift build -c release --package-path Benchmarks --product log-bench >/dev/null
Benchmarks/.build/release/log-bench "$traffic" "$work"
echo "--- peers on the same bytes"
head -c 1048576 "$traffic" > "$work/chunk-1M"
echo "lz4 -b1 on a 1 MiB chunk (1 core):  $(lz4 -b1 -i3 "$work/chunk-1M" 2>&1 | tr '\r' '\n' | grep 'MB/s' | tail -1 | sed "s/.*: *//")"
head -c 65536 "$traffic" > "$work/chunk-64K"
echo "lz4 -b1 on a 64 KiB chunk (1 core): $(lz4 -b1 -i3 "$work/chunk-64K" 2>&1 | tr '\r' '\n' | grep 'MB/s' | tail -1 | sed "s/.*: *//")"
lz4 -1 -q -f -B5 "$traffic" "$work/traffic.lz4"
start=$(date +%s.%N); lz4 -d -q -c "$work/traffic.lz4" > /dev/null; end=$(date +%s.%N)
python3 -c "import os,sys; s=os.path.getsize('$traffic'); t=$end-$start; print(f'lz4 -d (frame, 1 core)          {s/t/1e6:9.1f} MB/s')"
