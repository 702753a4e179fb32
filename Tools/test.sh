#!/usr/bin/env bash
# The whole test suite, from a clean machine: system packages, build, every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh
python3 Tools/check_schemas.py   # the payload corpus against Schemas/*.schema.json
swift build --build-tests
swift test --skip-build
