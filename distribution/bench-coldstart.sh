#!/usr/bin/env bash
# Cold starts end to end: warm-pool pod vs. new pod vs. `docker run`, Node.js and Java, 1 and 50 MiB packages,
# and pool-pod starts whose code a peer node (in the same process) holds, so that the node fetches it during the
# start (fetch, decompress and unpack phases); writes its section of docs/BENCHMARKS.md (NEST_BENCH_DOCS=false:
# print only). -Dnest.bench.fetched=false leaves the fetched starts out; =only runs them alone, into their own
# section.
# Usage: distribution/bench-coldstart.sh [DRIVER] [-Dnest.bench.starts=30 -Dnest.bench.runtimes=nodejs,java ...]
#   DRIVER: process (default), docker, or any installed sandbox driver.
# Options: -Dnest.bench.starts=N (30) -Dnest.bench.runtimes=nodejs,java -Dnest.bench.sizes-mib=1,50
#   -Dnest.bench.baseline=false (no docker run / ctr run rows) -Dnest.bench.fetched=false|only
#   -Dnest.bench.prepared=N (containerd: N prepared containers per image for the new-pod starts; ADR 0031).
# NEST_BENCH_RESULTS=FILE also writes the section (with its ratio lines, ADR 0026) to FILE, for bench.sh --check.
# Non-interactive; NEST_BENCH_DOCS=false prints only. Duration on 2 cores: about 3 minutes per runtime and package
# size with 20 starts (hit, new pod, docker run, and ctr run with containerd), plus the fetched cases.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"
driver=process
if [[ $# -gt 0 && $1 != -* ]]; then
  driver=$1
  shift
fi
mvn -B -q -DskipTests test-compile
source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-coldstart)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT
"$JAVA_HOME/bin/java" -Dnest.bench.driver="$driver" "$@" -cp "$classpath" dev.nest.bench.ColdStartBenchmark
