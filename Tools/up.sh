#!/usr/bin/env bash
# The main job on the embedded default (./data): installs what is needed, builds a release
# binary, appends the sample traffic shipped in Schemas/examples, and shows the log.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh
swift build -c release --product sessionlog
bin=.build/release/sessionlog
"$bin" import Schemas/examples/traffic.ndjson --data ./data
"$bin" verify --data ./data
"$bin" inspect --data ./data
