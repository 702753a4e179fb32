#!/usr/bin/env bash
# Fuzzes the payload validator with libFuzzer (+ AddressSanitizer) for SECONDS (default 600),
# starting from the conformance corpus. Findings (crashing inputs) land in $WORK/findings.
#   Tools/fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
work=${FUZZ_DIR:-/tmp/sessionlog-fuzz}
mkdir -p "$work/corpus" "$work/findings"
python3 - "$work/corpus" <<'PY'
import base64, json, sys, os
for i, line in enumerate(open("Tests/Fixtures/payloads/cases.jsonl")):
    case = json.loads(line)
    data = base64.b64decode(case["base64"]) if "base64" in case else case["text"].encode()
    open(os.path.join(sys.argv[1], f"case-{i:03d}"), "wb").write(data)
PY
# The module is compiled together with the entry point: -sanitize=fuzzer instruments all of it,
# and the simdjson shim is built with the same sanitizers (simdjson itself is Debian's library).
clang++ -O1 -g -std=c++17 -fsanitize=fuzzer-no-link,address -I Sources/CSimdJSON/include \
  -c Sources/CSimdJSON/shim.cpp -o "$work/simdjson_shim.o"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name Payloads -I Sources/CSimdJSON/include \
  Sources/Payloads/*.swift Tools/fuzz/PayloadFuzzer.swift "$work/simdjson_shim.o" -lsimdjson -lstdc++ \
  -o "$work/payload-fuzzer" 2>&1 | grep -v "warning:" || true
"$work/payload-fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=5 -artifact_prefix="$work/findings/" \
  -print_final_stats=1 "$work/corpus" 2>&1 | tail -25
echo "findings: $(ls "$work/findings" | wc -l) (in $work/findings)"
