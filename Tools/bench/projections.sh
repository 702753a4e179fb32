#!/usr/bin/env bash
# Projection benchmark (issue: projectors), one run: rebuild time, rate and peak RSS of each
# projection and of all four together on generated traffic, beside DuckDB (sessions by
# CREATE TABLE AS SELECT) and chDB (pages as ReplacingMergeTree, sessions by SQL) on the same
# NDJSON; then the follow-mode lag p99 at 10,000 payloads/s through the ingress.
#   Tools/bench/projections.sh [PAYLOADS]    (default 1600000)
set -euo pipefail
source "$(dirname "$0")/common.sh"
python3 -c 'import duckdb, chdb' 2>/dev/null || pip install -q duckdb chdb
payloads=${1:-1600000}
work=$work_root/projections
rm -rf "$work" && mkdir -p "$work"
swift build -c release --product sessionlog >/dev/null
bin=.build/release/sessionlog
python3 Tools/gen_traffic.py --payloads "$payloads" --seed 11 --invalid-share 0 > "$work/traffic.ndjson"
python3 - "$work/traffic.ndjson" <<'PY'
import json, sys
sessions, actions, versions, size = set(), 0, {1: 0, 2: 0, 3: 0}, 0
for line in open(sys.argv[1], 'rb'):
    size += len(line); o = json.loads(line); versions[o['v']] += 1; sessions.add(o['session_id'])
    actions += len(o.get('actions') or []) if o['v'] == 3 else (1 if o['v'] == 1 else 0)
print(f"traffic: {sum(versions.values()):,} payloads (V1 {versions[1]:,}, V2 {versions[2]:,}, V3 {versions[3]:,}), "
      f"{len(sessions):,} sessions, {actions:,} actions, {size / 1e6:,.0f} MB")
PY
$bin import --data "$work/data" "$work/traffic.ndjson" >/dev/null
cp Schemas/funnels.example.json "$work/data/funnels.json"

measure() {  # NAME COMMAND… → prints seconds and peak RSS
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.$name" "$@" >/dev/null 2>"$work/$name.log"
  read -r seconds kb < "$work/time.$name"
  echo "$name $seconds $kb"
}
echo "--- rebuild from offset 0 (one process each, release)"
for kind in pages sessions funnels attribution; do
  read -r _ seconds kb < <(measure "$kind" $bin project "$kind" --once --data "$work/data" --db "$work/$kind.db")
  echo "$kind: ${seconds} s, $(python3 -c "print(f'{$payloads / $seconds:,.0f}')") payloads/s, peak RSS $((kb / 1024)) MiB"
  echo "$seconds" > "$work/seconds.$kind"
done
start=$(date +%s.%N)
for kind in pages sessions funnels attribution; do
  /usr/bin/time -f "%M" -o "$work/rss-all.$kind" $bin project "$kind" --once --data "$work/data" --db "$work/all-$kind.db" >/dev/null 2>&1 &
done
wait
all=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
echo "all four together: ${all} s, peak RSS per process $(cat "$work"/rss-all.* | awk '{printf "%d ", $1/1024}')MiB"

echo "--- peers on the same NDJSON"
duck=$(python3 Tools/bench/peers/duckdb_sessions.py "$work/traffic.ndjson" "$work/duck.db" | awk '{print $1}')
echo "duckdb sessions (CREATE TABLE AS SELECT): ${duck} s"
ch=$(python3 Tools/bench/peers/chdb_sessions.py "$work/traffic.ndjson" "$work/chdb" | awk '{print $1}')
echo "chdb pages ReplacingMergeTree + sessions: ${ch} s"
python3 - "$(cat "$work/seconds.sessions")" "$all" "$duck" "$ch" <<'PY'
import sys
sessions, together, duck, ch = map(float, sys.argv[1:])
print(f"ratios: sessions rebuild / DuckDB = {sessions / duck:.2f} (target ≤ 1.0); all four / DuckDB = {together / duck:.2f} (target ≤ 4); "
      f"sessions / chDB = {sessions / ch:.2f}")
PY

echo "--- follow-mode lag (ingress --fsync always, sessions projector following, 10,000 payloads/s)"
lag=$work/lag
mkdir -p "$lag"
$bin ingress --data "$lag/data" --fsync always 2>"$lag/ingress.log" &
ingress=$!
for _ in $(seq 100); do [ -S "$lag/data/ingress.sock" ] && break; sleep 0.1; done
$bin project sessions --data "$lag/data" 2>"$lag/projector.log" &
projector=$!
sleep 1
head -n 200000 "$work/traffic.ndjson" > "$lag/traffic.ndjson"
python3 Tools/bench/follow_lag.py "$lag/data/ingress.sock" "$lag/data/projections/sessions/$(cat "$lag/data/projections/sessions/CURRENT").db" "$lag/traffic.ndjson" 10000 20
echo "projector peak RSS while following: $(grep VmHWM /proc/$projector/status | awk '{print int($2/1024) " MiB"}')"
kill -TERM $projector $ingress; wait $projector $ingress || true
