#!/usr/bin/env bash
# Installs the system packages sessionlog builds and tests against (Debian 12). Idempotent.
set -euo pipefail
packages=(liblz4-dev lz4 libsqlite3-dev libsimdjson-dev python3 python3-pip)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -c "import jsonschema" 2>/dev/null || python3 -m pip install -q jsonschema
command -v swift >/dev/null || { echo "install-deps: Swift 6.3 is required (swift.org toolchain on PATH)" >&2; exit 1; }
