#!/usr/bin/env bash
# The whole test suite, from a clean machine: system packages, build, every test target; then
# the same suite under AddressSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh
python3 Tools/check_schemas.py   # the payload corpus against Schemas/*.schema.json
swift build --build-tests
swift test --skip-build
# The same suite again under AddressSanitizer, the sessionlog it spawns included: a memory error
# fails it even where the plain build happens not to crash (a readdir over-read once crashed a
# CI run, and only that run). LeakSanitizer stays off: it counts the Swift runtime's
# process-lifetime allocations as leaks and fails every child's exit status.
swift build --build-tests --sanitize=address --scratch-path .build-asan
ASAN_OPTIONS=detect_leaks=0 swift test --skip-build --sanitize=address --scratch-path .build-asan
