#!/usr/bin/env bash
# The public port under a connection flood with the gateway's default timeouts: a normal client's answers and latency
# while 1000 idle connections, 1000 slowloris clients, 300 half-sent bodies and 2000 connections beyond
# `max-connections: 1500` are held in turn (13 s each), how many of them the gateway closed or refused, the server's
# peak RSS and how much its log grew. Writes the section "Gateway under a connection flood: idle, slow and half-sent
# clients" of docs/BENCHMARKS.md (NEST_BENCH_DOCS=false: print only). About 90 s. Needs Node.js. Loopback only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"
command -v node >/dev/null 2>&1 || { echo "bench-flood: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }
need=$((1500 + 2000 + 500))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$need" 2>/dev/null || { echo "bench-flood: the open-file limit $(ulimit -n) is below $need; raise it (ulimit -n $need)" >&2; exit 1; }
fi
mvn -B -q -DskipTests test-compile
source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-flood)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT
"$JAVA_HOME/bin/java" "$@" -cp "$classpath" dev.nest.bench.FloodBenchmark
