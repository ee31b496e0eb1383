#!/usr/bin/env bash
# Runs dev.nest.bench.AuthBenchmark: what token checks cost on the warm path. One Nest node from target/nest.jar
# (process driver) with two Node.js functions that differ only in `auth` (public, token), driven by wrk in
# alternating runs (public then token, token then public, ...). Prints the report; a full run (20 s per run) also
# writes the section "Token checks on the warm path" of docs/BENCHMARKS.md with the commit, and exits 1 when token
# checks cost more than 2% of warm throughput (the promise of issue 12).
#
#   distribution/bench-auth.sh                                          # full run: 6 rounds x 2 x 20 s (about 5 minutes)
#   NEST_BENCH_SECONDS=3 NEST_BENCH_ROUNDS=2 distribution/bench-auth.sh # quick check that it works (no docs)
#
# Knobs: NEST_BENCH_SECONDS (20), NEST_BENCH_ROUNDS (6), NEST_BENCH_WARMUP (5; 1 when quick), NEST_BENCH_CONNECTIONS
# (16), NEST_BENCH_DOCS (1 for full runs), NEST_BENCH_SERVER_OPTS (-XX:+UseSerialGC), NEST_BENCH_KEEP (0),
# NEST_BENCH_JAR, NEST_BENCH_BUILD (auto: build when the jar or the benchmark classes are missing or older than the
# sources; always; never). Needs wrk and Node.js.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"

if ! command -v wrk >/dev/null 2>&1; then
  echo "bench-auth: installing wrk" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -qq && $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -qq wrk >/dev/null
fi
command -v node >/dev/null 2>&1 || { echo "bench-auth: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }

jar="${NEST_BENCH_JAR:-$root/target/nest.jar}"
bench_class="$root/target/test-classes/dev/nest/bench/AuthBenchmark.class"
build="${NEST_BENCH_BUILD:-auto}"
stale() {
  [ -f "$jar" ] && [ -f "$bench_class" ] || return 0
  [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$jar" -type f -print -quit 2>/dev/null)" ] && return 0
  [ -n "$(find "$root/it/java/dev/nest/bench" -newer "$bench_class" -type f -print -quit 2>/dev/null)" ] && return 0
  return 1
}
if [ "$build" = always ] || { [ "$build" = auto ] && stale; }; then
  echo "bench-auth: building nest.jar and the benchmark (mvn -B -q -DskipTests package)" >&2
  mvn -B -q -DskipTests package || { [ -f "$jar" ] && [ -f "$bench_class" ] || { echo "bench-auth: the build failed" >&2; exit 1; }; echo "bench-auth: the build failed; using the existing jar and classes" >&2; }
fi

source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-auth)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT

"$JAVA_HOME/bin/java" -XX:+UseSerialGC -Dnest.home="$root" -Dnest.bench.jar="$jar" \
  -cp "$classpath" dev.nest.bench.AuthBenchmark "$@"
