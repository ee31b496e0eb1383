#!/usr/bin/env bash
# Runs dev.nest.bench.KafkaTriggerBenchmark: Kafka trigger lag (produce to function start) p50/p99/max at a fixed
# rate (1000 records/s) on one node in its own process with the Kafka plugin, records lost (must be 0) and seen
# twice, and nest_trigger_lag_records from /metrics. Writes the section "Kafka trigger: lag at a fixed rate" of
# docs/BENCHMARKS.md; exits 1 if an acknowledged record never reached the function.
#
#   distribution/bench-kafka-trigger.sh                            # 60 s at 1000 records/s
#   NEST_BENCH_SECONDS=20 distribution/bench-kafka-trigger.sh      # quick run
#
# Knobs: NEST_BENCH_SECONDS (60), NEST_BENCH_RATE (1000 records/s), NEST_BENCH_DOCS (1), NEST_BENCH_BUILD (auto:
# build when classes are missing or older than the sources; always; never), NEST_KAFKA_BOOTSTRAP (brokers to use;
# else one local broker is started with distribution/kafka.sh and stopped at the end), NEST_KAFKA_BROKERS (1).
# Needs Node.js.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"

command -v node >/dev/null 2>&1 || { echo "bench-kafka-trigger: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }
seconds="${NEST_BENCH_SECONDS:-60}"
rate="${NEST_BENCH_RATE:-1000}"
docs="${NEST_BENCH_DOCS:-1}"
brokers="${NEST_KAFKA_BROKERS:-1}"

bench_class="$root/target/test-classes/dev/nest/bench/KafkaTriggerBenchmark.class"
build="${NEST_BENCH_BUILD:-auto}"
stale() {
  [ -f "$bench_class" ] && [ -d "$root/target/classes/dev/nest" ] || return 0
  [ -n "$(find "$root/src/main" "$root/pom.xml" "$root/it/java/dev/nest/bench" "$root/it/java/dev/nest/it" -newer "$bench_class" -type f -print -quit 2>/dev/null)" ] && return 0
  return 1
}
if [ "$build" = always ] || { [ "$build" = auto ] && stale; }; then
  echo "bench-kafka-trigger: building (mvn -B -q -DskipTests test-compile)" >&2
  mvn -B -q -DskipTests test-compile || { [ -f "$bench_class" ] || { echo "bench-kafka-trigger: the build failed" >&2; exit 1; }; echo "bench-kafka-trigger: the build failed; using the existing classes" >&2; }
fi
plugin="$root/target/plugins/kafka.jar"
if [ ! -f "$plugin" ] || [ -n "$(find "$root/plugins/kafka/src" -newer "$plugin" -type f -print -quit 2>/dev/null)" ]; then
  echo "bench-kafka-trigger: building the Kafka plugin (mvn -B -q -DskipTests package)" >&2
  mvn -B -q -DskipTests package
fi

source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-kafka-trigger)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT
if [ -z "${NEST_KAFKA_BOOTSTRAP:-}" ]; then
  export NEST_KAFKA_DIR; NEST_KAFKA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/nest-bench-kafka.XXXXXX"); rmdir "$NEST_KAFKA_DIR"
  trap 'rm -rf "$snapshot"; "$here/kafka.sh" stop --dir "$NEST_KAFKA_DIR"' EXIT
  NEST_KAFKA_BOOTSTRAP=$("$here/kafka.sh" start --brokers "$brokers" --dir "$NEST_KAFKA_DIR")
  export NEST_KAFKA_BOOTSTRAP
fi

cmd="distribution/bench-kafka-trigger.sh"
[ "$seconds" != 60 ] && cmd="NEST_BENCH_SECONDS=$seconds $cmd"
[ "$rate" != 1000 ] && cmd="NEST_BENCH_RATE=$rate $cmd"
"$JAVA_HOME/bin/java" -XX:+UseSerialGC -Dnest.home="$root" -Dnest.bench.seconds="$seconds" -Dnest.bench.rate="$rate" \
  -Dnest.bench.docs="$([ "$docs" = 1 ] && echo true || echo false)" -Dnest.bench.command="$cmd" \
  -cp "$classpath" dev.nest.bench.KafkaTriggerBenchmark "$@"
