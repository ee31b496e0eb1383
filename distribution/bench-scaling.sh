#!/usr/bin/env bash
# Autoscaling benchmarks against a real node (in-process, process driver); each writes its section of
# docs/BENCHMARKS.md (NEST_BENCH_DOCS=false: print only).
#
#   distribution/bench-scaling.sh step      # 10x step and back, then steady load with +/-30% noise (about 5 minutes)
#   distribution/bench-scaling.sh replay    # a time-compressed slice of the Azure 2019 trace, >= 50 functions (about 6 minutes)
#   distribution/bench-scaling.sh           # both
#
# Knobs are Java system properties, passed through NEST_BENCH_JAVA_OPTS, e.g.
#   NEST_BENCH_JAVA_OPTS="-Dnest.bench.step.steady-s=600" distribution/bench-scaling.sh step    # the full 10 minutes
# (see the javadoc of dev.nest.bench.ScalingStepBenchmark and dev.nest.bench.LiveReplayBenchmark).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"
which="${1:-all}"
if [ "${NEST_BENCH_BUILD:-always}" != never ]; then
  mvn -B -q -DskipTests test-compile
fi
source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-scaling)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT
run() {
  "$JAVA_HOME/bin/java" ${NEST_BENCH_JAVA_OPTS:-} -Dnest.home="$root" -cp "$classpath" "$@"
}
case "$which" in
  step) run dev.nest.bench.ScalingStepBenchmark ;;
  replay) run dev.nest.bench.LiveReplayBenchmark ;;
  all) run dev.nest.bench.ScalingStepBenchmark; run dev.nest.bench.LiveReplayBenchmark ;;
  *) echo "bench-scaling: unknown benchmark '$which'; use step, replay or nothing for both" >&2; exit 2 ;;
esac
