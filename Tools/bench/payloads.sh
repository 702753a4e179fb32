#!/usr/bin/env bash
# Payload validation benchmark (issue: payload schemas): validation + decoding per core and per
# version beside JSONSerialization, and simdjson's DOM parse of the same lines, in one run.
#   Tools/bench/payloads.sh [PAYLOADS]   (default 50000)
set -euo pipefail
source "$(dirname "$0")/common.sh"
payloads=${1:-50000}
work=$work_root
traffic="$work/payload-traffic-$payloads.ndjson"
[ -s "$traffic" ] || python3 Tools/gen_traffic.py --payloads "$payloads" --seed 11 --v1-share 0.3 --v2-share 0.5 > "$traffic"
swift build -c release --package-path Benchmarks --product payload-bench >/dev/null
Benchmarks/.build/release/payload-bench "$traffic"
g++ -O3 -std=c++17 Tools/bench/peers/simdjson_parse.cpp -lsimdjson -o "$work/simdjson_parse"
"$work/simdjson_parse" "$traffic"
