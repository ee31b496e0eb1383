#!/usr/bin/env bash
# Runs dev.nest.bench.UsageBenchmark: the cost of reading a pod's CPU time and memory (SandboxDriver.usage, which
# the node agent calls once a second per ready instance) for the process, docker and containerd drivers, and the
# memory each idle Node.js pod reads as. Prints a report; a full run (10 pods or more) also writes the section
# "Usage sampling (CPU and memory per pod)" of docs/BENCHMARKS.md.
#
#   distribution/bench-usage.sh                        # full run: 10 pods per driver, 200 rounds (about a minute)
#   NEST_BENCH_PODS=3 distribution/bench-usage.sh      # quick run (does not write docs/BENCHMARKS.md)
#
# Knobs: NEST_BENCH_PODS (10), NEST_BENCH_ROUNDS (200), NEST_BENCH_DRIVERS (process,docker,containerd),
# NEST_BENCH_DOCS (1 when NEST_BENCH_PODS >= 10, else 0), NEST_BENCH_BUILD (auto: build when classes are missing or
# older than the sources; always; never), NEST_CONTAINERD_ADDRESS. Needs the engines of the drivers it runs
# (distribution/setup-engines.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"

command -v node >/dev/null 2>&1 || { echo "bench-usage: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }
pods="${NEST_BENCH_PODS:-10}"
rounds="${NEST_BENCH_ROUNDS:-200}"
drivers="${NEST_BENCH_DRIVERS:-process,docker,containerd}"
docs="${NEST_BENCH_DOCS:-$([ "$pods" -ge 10 ] && echo 1 || echo 0)}"
if [[ ",$drivers," == *,docker,* ]]; then
  docker info >/dev/null 2>&1 || { echo "bench-usage: the Docker engine does not answer; run distribution/setup-engines.sh" >&2; exit 1; }
fi

bench_class="$root/target/test-classes/dev/nest/bench/UsageBenchmark.class"
build="${NEST_BENCH_BUILD:-auto}"
stale() {
  [ -f "$bench_class" ] && [ -d "$root/target/classes/dev/nest" ] || return 0
  [ -n "$(find "$root/src/main" "$root/pom.xml" "$root/it/java/dev/nest/bench" -newer "$bench_class" -type f -print -quit 2>/dev/null)" ] && return 0
  return 1
}
if [ "$build" = always ] || { [ "$build" = auto ] && stale; }; then
  echo "bench-usage: building (mvn -B -q -DskipTests package)" >&2
  mvn -B -q -DskipTests package || { [ -f "$bench_class" ] || { echo "bench-usage: the build failed" >&2; exit 1; }; echo "bench-usage: the build failed; using the existing classes" >&2; }
fi

source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-usage)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT

cmd="distribution/bench-usage.sh"
[ "$pods" != 10 ] && cmd="NEST_BENCH_PODS=$pods $cmd"
[ "$rounds" != 200 ] && cmd="NEST_BENCH_ROUNDS=$rounds $cmd"
[ "$drivers" != "process,docker,containerd" ] && cmd="NEST_BENCH_DRIVERS=$drivers $cmd"
"$JAVA_HOME/bin/java" -XX:+UseSerialGC -Dnest.home="$root" -Dnest.bench.pods="$pods" -Dnest.bench.rounds="$rounds" \
  -Dnest.bench.drivers="$drivers" -Dnest.bench.docs="$([ "$docs" = 1 ] && echo true || echo false)" \
  -Dnest.bench.command="$cmd" -cp "$classpath" dev.nest.bench.UsageBenchmark "$@"
