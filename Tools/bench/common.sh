# Sourced by the Tools/bench scripts: repository root, system packages, and a work directory.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
Tools/install-deps.sh
work_root=${BENCH_DIR:-/tmp/sessionlog-bench}
mkdir -p "$work_root"
