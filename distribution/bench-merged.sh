#!/usr/bin/env bash
# Merged pods against dedicated pods for idle Node.js functions, at the level of the runtime hosts: memory per idle
# function (PSS and RSS of the host processes) and the first request of a function whose merged pod is running
# (/load + first /invoke), p50/p99. See distribution/bench-merged.js for what is measured.
#
#   distribution/bench-merged.sh                                # 200 functions, writes docs/BENCHMARKS.md
#   NEST_BENCH_FUNCTIONS=1000 distribution/bench-merged.sh      # the issue's 1,000 (about 6 GiB of RSS for the dedicated side)
#   NEST_BENCH_DOCS=0 distribution/bench-merged.sh              # print only
#
# Knobs: NEST_BENCH_FUNCTIONS (200), NEST_BENCH_IDLE_MS (3000, idle time before memory is read), NEST_BENCH_DOCS (1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null 2>&1 || { echo "bench-merged: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }
NEST_BENCH_DOCS="${NEST_BENCH_DOCS:-1}" exec node "$here/bench-merged.js" "$@"
