#!/usr/bin/env bash
# Runs dev.nest.bench.CliBenchmark: the wall time of `distribution/nest fn ls` against a running node and the CPU
# time of the CLI's process, beside a same-run floor (the same JDK's `java -version` with the CLI's JVM flags: a JVM
# start without the request). Starts one node (embedded ZooKeeper, the process driver) on a free port of 127.0.0.1
# with a few hundred Node.js functions, lets the CLI's first command train its AOT cache (in a cache folder of this
# run), then alternates the CLI and the floor. Writes the section "CLI: `nest fn ls` wall time" of docs/BENCHMARKS.md
# and its README row 390. Needs no hyperfine.
#
#   distribution/bench-cli.sh                                   # 300 functions, 3 warm-ups, 30 runs (about 1 min)
#   NEST_BENCH_RUNS=10 NEST_BENCH_DOCS=0 distribution/bench-cli.sh   # quick look, nothing written
#
# Knobs: NEST_BENCH_RUNS (30), NEST_BENCH_WARMUPS (3), NEST_BENCH_FUNCTIONS (300), NEST_BENCH_DOCS (1),
# NEST_BENCH_SERVER (a node already running at http://127.x.y.z:PORT, with NEST_TOKEN, instead of its own; only a
# loopback address is accepted; such a run writes its section but not row 390), NEST_BENCH_BUILD (auto: build when
# the jar or the classes are missing or older than the sources; always; never).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"

runs="${NEST_BENCH_RUNS:-30}"
warmups="${NEST_BENCH_WARMUPS:-3}"
functions="${NEST_BENCH_FUNCTIONS:-300}"
docs="${NEST_BENCH_DOCS:-1}"
server="${NEST_BENCH_SERVER:-}"
for knob in "NEST_BENCH_RUNS=$runs" "NEST_BENCH_WARMUPS=$warmups" "NEST_BENCH_FUNCTIONS=$functions"; do
  [[ "${knob#*=}" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "bench-cli: ${knob%%=*} must be a whole number from 1 to 9999, not '${knob#*=}'" >&2; exit 2; }
done
case "$docs" in 0|1) ;; *) echo "bench-cli: NEST_BENCH_DOCS must be 0 or 1, not '$docs'" >&2; exit 2 ;; esac

bench_class="$root/target/test-classes/dev/nest/bench/CliBenchmark.class"
jar="$root/target/nest.jar"
build="${NEST_BENCH_BUILD:-auto}"
stale() {
  [ -f "$bench_class" ] && [ -f "$jar" ] && [ -d "$root/target/classes/dev/nest" ] || return 0
  [ -n "$(find "$root/src/main" "$root/pom.xml" "$root/it/java/dev/nest/bench" "$root/it/java/dev/nest/it" -newer "$bench_class" -type f -print -quit 2>/dev/null)" ] && return 0
  [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$jar" -type f -print -quit 2>/dev/null)" ] && return 0
  return 1
}
if [ "$build" = always ] || { [ "$build" = auto ] && stale; }; then
  echo "bench-cli: building (mvn -B -q -DskipTests package)" >&2
  mvn -B -q -DskipTests -Dinvoker.skip=true package || { [ -f "$bench_class" ] && [ -f "$jar" ] || { echo "bench-cli: the build failed" >&2; exit 1; }; echo "bench-cli: the build failed; using the existing classes and jar" >&2; }
fi

source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-cli)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT

cmd="distribution/bench-cli.sh"
[ "$functions" != 300 ] && cmd="NEST_BENCH_FUNCTIONS=$functions $cmd"
[ "$warmups" != 3 ] && cmd="NEST_BENCH_WARMUPS=$warmups $cmd"
[ "$runs" != 30 ] && cmd="NEST_BENCH_RUNS=$runs $cmd"
"$JAVA_HOME/bin/java" -XX:+UseSerialGC -Dnest.home="$root" -Dnest.bench.runs="$runs" -Dnest.bench.warmups="$warmups" \
  -Dnest.bench.functions="$functions" -Dnest.bench.server="$server" \
  -Dnest.bench.docs="$([ "$docs" = 1 ] && echo true || echo false)" -Dnest.bench.command="$cmd" \
  -cp "$classpath" dev.nest.bench.CliBenchmark "$@"
