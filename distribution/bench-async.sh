#!/usr/bin/env bash
# Runs dev.nest.bench.AsyncBenchmark: async invocations on the H2 queue, one node in its own process. Enqueue
# throughput (16 clients) and the 202's p50/p99, enqueue-to-start latency at idle, and the durability run (async
# invocations with the node killed with kill -9 three times and restarted on the same data: acknowledged, executed,
# duplicates, lost). Writes the section "Async invocations (H2 queue)" of docs/BENCHMARKS.md; exits 1 if an
# acknowledged invocation was lost. Then the kafka back end (dev.nest.bench.KafkaAsyncBenchmark): the same load's
# enqueue throughput and 202 p50/p99 on three local brokers (distribution/kafka.sh, stopped at the end; or the
# ones NEST_KAFKA_BOOTSTRAP names), section "Async invocations (Kafka queue)". NEST_BENCH_KAFKA=0 skips it.
# Last, dev.nest.bench.AsyncEnqueueRow writes README row 320 (both queues' enqueue rates) into the H2 section from
# the figures both processes left in this run's own folder, only when both finished in this run: a run that skips
# or fails the Kafka part keeps the recorded row 320.
#
#   distribution/bench-async.sh                          # full run: 20 s of load, 200 idle samples, 10,000 invocations (about 3 min)
#   NEST_BENCH_SECONDS=5 NEST_BENCH_SAMPLES=50 NEST_BENCH_INVOCATIONS=2000 distribution/bench-async.sh   # quick run
#
# Knobs: NEST_BENCH_SECONDS (20), NEST_BENCH_SAMPLES (200), NEST_BENCH_INVOCATIONS (10000), NEST_BENCH_DOCS (1),
# NEST_BENCH_BUILD (auto: build when classes are missing or older than the sources; always; never). Needs Node.js.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"

command -v node >/dev/null 2>&1 || { echo "bench-async: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }
seconds="${NEST_BENCH_SECONDS:-20}"
samples="${NEST_BENCH_SAMPLES:-200}"
invocations="${NEST_BENCH_INVOCATIONS:-10000}"
docs="${NEST_BENCH_DOCS:-1}"

bench_class="$root/target/test-classes/dev/nest/bench/AsyncBenchmark.class"
build="${NEST_BENCH_BUILD:-auto}"
stale() {
  [ -f "$bench_class" ] && [ -d "$root/target/classes/dev/nest" ] || return 0
  [ -n "$(find "$root/src/main" "$root/pom.xml" "$root/it/java/dev/nest/bench" "$root/it/java/dev/nest/it" -newer "$bench_class" -type f -print -quit 2>/dev/null)" ] && return 0
  return 1
}
if [ "$build" = always ] || { [ "$build" = auto ] && stale; }; then
  echo "bench-async: building (mvn -B -q -DskipTests test-compile)" >&2
  mvn -B -q -DskipTests test-compile || { [ -f "$bench_class" ] || { echo "bench-async: the build failed" >&2; exit 1; }; echo "bench-async: the build failed; using the existing classes" >&2; }
fi

kafka="${NEST_BENCH_KAFKA:-1}"
if [ "$kafka" != 0 ] && [ ! -f "$root/target/plugins/kafka.jar" ]; then
  echo "bench-async: building the Kafka plugin (mvn -B -q -DskipTests package)" >&2
  mvn -B -q -DskipTests package
fi

source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-async)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT
# this run's id and its own folder (inside the snapshot, removed with it) for the figures row 320 pairs
run_id="$(date -u +%Y%m%dT%H%M%SZ)-$$"
run_dir="$snapshot/run"
mkdir "$run_dir"

cmd="distribution/bench-async.sh"
[ "$seconds" != 20 ] && cmd="NEST_BENCH_SECONDS=$seconds $cmd"
[ "$samples" != 200 ] && cmd="NEST_BENCH_SAMPLES=$samples $cmd"
[ "$invocations" != 10000 ] && cmd="NEST_BENCH_INVOCATIONS=$invocations $cmd"
"$JAVA_HOME/bin/java" -XX:+UseSerialGC -Dnest.home="$root" -Dnest.bench.seconds="$seconds" -Dnest.bench.samples="$samples" \
  -Dnest.bench.invocations="$invocations" -Dnest.bench.docs="$([ "$docs" = 1 ] && echo true || echo false)" \
  -Dnest.bench.command="$cmd" -Dnest.bench.run="$run_id" -Dnest.bench.run-dir="$run_dir" \
  -cp "$classpath" dev.nest.bench.AsyncBenchmark "$@"

if [ "$kafka" != 0 ]; then
  if [ -z "${NEST_KAFKA_BOOTSTRAP:-}" ]; then
    # a fresh, unused folder name for the brokers (mktemp's pattern), left for kafka.sh to create and own
    export NEST_KAFKA_DIR; NEST_KAFKA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/nest-bench-kafka.XXXXXX"); rmdir "$NEST_KAFKA_DIR"
    trap 'rm -rf "$snapshot"; "$here/kafka.sh" stop --dir "$NEST_KAFKA_DIR"' EXIT
    NEST_KAFKA_BOOTSTRAP=$("$here/kafka.sh" start --brokers 3 --dir "$NEST_KAFKA_DIR")
    export NEST_KAFKA_BOOTSTRAP
  fi
  "$JAVA_HOME/bin/java" -XX:+UseSerialGC -Dnest.home="$root" -Dnest.bench.seconds="$seconds" \
    -Dnest.bench.docs="$([ "$docs" = 1 ] && echo true || echo false)" -Dnest.bench.command="$cmd" \
    -Dnest.bench.run="$run_id" -Dnest.bench.run-dir="$run_dir" -cp "$classpath" dev.nest.bench.KafkaAsyncBenchmark
fi

"$JAVA_HOME/bin/java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dnest.home="$root" \
  -Dnest.bench.docs="$([ "$docs" = 1 ] && echo true || echo false)" -Dnest.bench.command="$cmd" \
  -Dnest.bench.run="$run_id" -Dnest.bench.run-dir="$run_dir" -cp "$classpath" dev.nest.bench.AsyncEnqueueRow
