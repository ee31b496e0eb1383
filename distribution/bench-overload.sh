#!/usr/bin/env bash
# Goodput at 10x capacity: a 100 ms Node.js function (concurrency 1, two instances, capacity 20 req/s) offered 200
# req/s open-loop for 15 s; statuses, goodput against capacity, admitted vs unloaded latency, Retry-After on every
# refusal. Writes the section "Overload: goodput at 10x capacity" of docs/BENCHMARKS.md (NEST_BENCH_DOCS=false: print
# only). About 30 s. Needs Node.js.
#
#   distribution/bench-overload.sh
#   NEST_BENCH_SECONDS=30 NEST_BENCH_FACTOR=5 distribution/bench-overload.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"
command -v node >/dev/null 2>&1 || { echo "bench-overload: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }
mvn -B -q -DskipTests test-compile
source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-overload)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT
"$JAVA_HOME/bin/java" -Dnest.bench.seconds="${NEST_BENCH_SECONDS:-15}" -Dnest.bench.factor="${NEST_BENCH_FACTOR:-10}" \
  -cp "$classpath" dev.nest.bench.OverloadBenchmark "$@"
