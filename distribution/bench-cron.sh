#!/usr/bin/env bash
# Runs dev.nest.bench.CronBenchmark: cron tick jitter (function start minus scheduled time) p50/p99/max of a cron
# trigger firing every second on one node in its own process, and ticks fired twice (must be 0) or not fired.
# Writes the section "Cron trigger: tick jitter" of docs/BENCHMARKS.md; exits 1 if a tick fired twice.
#
#   distribution/bench-cron.sh                           # 120 s measured (about 2.5 min)
#   NEST_BENCH_SECONDS=30 distribution/bench-cron.sh     # quick run
#
# Knobs: NEST_BENCH_SECONDS (120), NEST_BENCH_DOCS (1), NEST_BENCH_BUILD (auto: build when classes are missing or
# older than the sources; always; never). Needs Node.js.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"

command -v node >/dev/null 2>&1 || { echo "bench-cron: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }
seconds="${NEST_BENCH_SECONDS:-120}"
docs="${NEST_BENCH_DOCS:-1}"

bench_class="$root/target/test-classes/dev/nest/bench/CronBenchmark.class"
build="${NEST_BENCH_BUILD:-auto}"
stale() {
  [ -f "$bench_class" ] && [ -d "$root/target/classes/dev/nest" ] || return 0
  [ -n "$(find "$root/src/main" "$root/pom.xml" "$root/it/java/dev/nest/bench" "$root/it/java/dev/nest/it" -newer "$bench_class" -type f -print -quit 2>/dev/null)" ] && return 0
  return 1
}
if [ "$build" = always ] || { [ "$build" = auto ] && stale; }; then
  echo "bench-cron: building (mvn -B -q -DskipTests test-compile)" >&2
  mvn -B -q -DskipTests test-compile || { [ -f "$bench_class" ] || { echo "bench-cron: the build failed" >&2; exit 1; }; echo "bench-cron: the build failed; using the existing classes" >&2; }
fi

source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-cron)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT

cmd="distribution/bench-cron.sh"
[ "$seconds" != 120 ] && cmd="NEST_BENCH_SECONDS=$seconds $cmd"
"$JAVA_HOME/bin/java" -XX:+UseSerialGC -Dnest.home="$root" -Dnest.bench.seconds="$seconds" \
  -Dnest.bench.docs="$([ "$docs" = 1 ] && echo true || echo false)" \
  -Dnest.bench.command="$cmd" -cp "$classpath" dev.nest.bench.CronBenchmark "$@"
