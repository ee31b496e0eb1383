#!/usr/bin/env bash
# The cluster's figures (leader failover under warm load, node death, re-placement of its instances, deploy visibility, control-plane scale);
# writes its section of docs/BENCHMARKS.md (NEST_BENCH_DOCS=false: print only). Extra arguments go to the JVM,
# e.g. -Dnest.bench.kills=20 -Dnest.bench.replacements=5 -Dnest.bench.session=3000 -Dnest.bench.deploys=10;
# -Dnest.bench.parts=deploy (a comma list of deploy,failover,death,replacement,scale) runs a subset and prints only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"
mvn -B -q -DskipTests test-compile
source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-cluster)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT
"$JAVA_HOME/bin/java" "$@" -cp "$classpath" dev.nest.bench.ClusterBenchmark
