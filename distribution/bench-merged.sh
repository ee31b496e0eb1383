#!/usr/bin/env bash
# Merged pods against dedicated pods for idle Node.js functions, at the level of the runtime hosts: memory per idle
# function (PSS and RSS of the host processes) and the first request of a function whose merged pod is running
# (/load + first /invoke), p50/p99. See distribution/bench-merged.js for what is measured.
#
#   distribution/bench-merged.sh                                # 1,000 functions, writes docs/BENCHMARKS.md
#   NEST_BENCH_FUNCTIONS=200 NEST_BENCH_SAMPLE=50 distribution/bench-merged.sh   # a quicker run
#   NEST_BENCH_DOCS=0 distribution/bench-merged.sh              # print only
#
# Knobs: NEST_BENCH_FUNCTIONS (1000), NEST_BENCH_SAMPLE (200: the designs that keep a worker per function),
# NEST_BENCH_PER_POD (16), NEST_BENCH_IDLE_MS (3000), NEST_BENCH_UNLOAD_MS (2000, the host's --idle-unload-ms),
# NEST_BENCH_GAP_MS (20, between first requests), NEST_BENCH_DOCS (1).
# containerd (as root, when its socket and the runtime image are there): NEST_BENCH_CPU_CENTIS (100: each merged
# container's CPU quota in hundredths of a CPU, the driver's; 0: none), NEST_BENCH_PARENT_SHARES (1024 per core: the
# cpu.shares of the benchmark's parent cgroup, as the driver gives /nest; every run also measures 1024 to compare),
# NEST_BENCH_CONTAINERD_ONLY=1 (only the containerd runs; NEST_BENCH_CONTAINERD_WEIGHTS=node: only the driver's
# weight), NEST_BENCH_NODEJS_DIR (the runtimes/nodejs folder mounted into the containers: compare two hosts).
# NEST_BENCH_CTR_NODE=PATH (a self-contained Node.js binary mounted over the image's, e.g. /usr/bin/node of a
# nodesource or official build: the host on another Node.js; without it, a full run also measures the host on this
# machine's Node.js when the image's differs, NEST_BENCH_CTR_NODE_COMPARE=0 skips that); NEST_BENCH_CONTAINERD_VARIANTS="name=DIR,WARM[,UNLOAD_MS[,NODE]];..."
# with NEST_BENCH_CONTAINERD_ONLY=1: designs compared alternating in one run, NEST_BENCH_ROUNDS (2) times each.
# Every containerd run prints where the slowest 5% of first requests spent their time ("tail").
# NEST_BENCH_RESULTS=FILE: the --check mode of distribution/bench.sh (the guarded ratios only, written to FILE).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null 2>&1 || { echo "bench-merged: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }
NEST_BENCH_DOCS="${NEST_BENCH_DOCS:-1}" exec node "$here/bench-merged.js" "$@"
