#!/usr/bin/env bash
# How fast a failing canary release is rolled back on every node of a two-node cluster (two Nest processes, a
# ZooKeeper server in the benchmark's JVM; -Dnest.bench.rounds=N); writes its section of docs/BENCHMARKS.md (NEST_BENCH_DOCS=false: print only).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"
mvn -B -q -DskipTests test-compile
source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-canary)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT
"$JAVA_HOME/bin/java" "$@" -cp "$classpath" dev.nest.bench.CanaryRollbackBenchmark
