#!/usr/bin/env bash
# The main job on the embedded default (./data): installs what is needed, builds a release
# binary, puts the example funnels in place (unless data/funnels.json exists) and runs
# `sessionlog up` — the ingress on data/ingress.sock and the four projectors — until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh
swift build -c release --product sessionlog
mkdir -p data
[ -e data/funnels.json ] || cp Schemas/funnels.example.json data/funnels.json
exec .build/release/sessionlog up --data ./data
