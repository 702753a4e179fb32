#!/usr/bin/env bash
# Payload validation benchmark (issue: payload schemas): validation + decoding per core and per
# version beside JSONSerialization, and simdjson's DOM parse of the same lines, in one run; then
# the same on ~2.4 KB V3 payloads (the issue's reference size: generated sessions' actions repeated).
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
large="$work/payload-traffic-$payloads-v3-2k.ndjson"
[ -s "$large" ] || python3 - "$traffic" > "$large" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    payload = json.loads(line)
    if payload.get("v") != 3 or not payload["actions"]: continue
    actions = list(payload["actions"])
    while len(json.dumps(payload, separators=(",", ":"))) < 2300: payload["actions"] += actions
    print(json.dumps(payload, separators=(",", ":")))
PY
echo "--- V3 payloads of ~2.4 KB"
Benchmarks/.build/release/payload-bench "$large"
"$work/simdjson_parse" "$large"
