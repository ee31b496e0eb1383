#!/usr/bin/env bash
# Runs dev.nest.bench.PodReadyBenchmark: time to a ready pod (driver asked -> host /health 200) for the process,
# docker and containerd sandbox drivers and for `docker run` of the same image (baseline), p50/p99, memory per
# idle pod, and where a containerd driver start spends its time. Prints a report; a full run (20 pods or more) also writes the section "Pod start (sandbox drivers)" of
# docs/BENCHMARKS.md.
#
#   distribution/bench-pods.sh                        # full run: 20 pods per driver and runtime
#   NEST_BENCH_PODS=5 distribution/bench-pods.sh      # quick run (does not write docs/BENCHMARKS.md)
#
# NEST_BENCH_RESULTS=FILE also writes the section (with its ratio lines, ADR 0026) to FILE, for bench.sh --check.
# Knobs: NEST_BENCH_PODS (20), NEST_BENCH_IDLE (5), NEST_BENCH_RUNTIMES (nodejs,java), NEST_BENCH_DOCS (1 when
# NEST_BENCH_PODS >= 20, else 0), NEST_BENCH_BUILD (auto: build when classes are missing or older than the
# sources; always; never), NEST_CONTAINERD_ADDRESS (/run/nest/containerd/containerd.sock). Needs a running
# Docker engine, Nest's containerd, and the runtime images in both (distribution/setup-engines.sh does all).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"

command -v node >/dev/null 2>&1 || { echo "bench-pods: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "bench-pods: the Docker engine does not answer; run distribution/setup-engines.sh" >&2; exit 1; }

ctr_address="${NEST_CONTAINERD_ADDRESS:-/run/nest/containerd/containerd.sock}"
ctr -a "$ctr_address" version >/dev/null 2>&1 || { echo "bench-pods: containerd does not answer on $ctr_address; run distribution/setup-engines.sh" >&2; exit 1; }

pods="${NEST_BENCH_PODS:-20}"
idle="${NEST_BENCH_IDLE:-5}"
runtimes="${NEST_BENCH_RUNTIMES:-nodejs,java}"
docs="${NEST_BENCH_DOCS:-$([ "$pods" -ge 20 ] && echo 1 || echo 0)}"
for rt in ${runtimes//,/ }; do
  image=$(sed -n 's/^image: *//p' "runtimes/$rt/runtime.yaml")
  docker image inspect "$image" >/dev/null 2>&1 || { echo "bench-pods: image $image is missing; run distribution/images/build.sh" >&2; exit 1; }
  # the list is read whole first: with pipefail, grep -q stopping early would fail ctr with SIGPIPE
  grep -qx "docker.io/$image" <<<"$(ctr -a "$ctr_address" -n nest images ls -q)" \
    || { echo "bench-pods: image docker.io/$image is not in containerd; run distribution/images/load-containerd.sh" >&2; exit 1; }
done

bench_class="$root/target/test-classes/dev/nest/bench/PodReadyBenchmark.class"
build="${NEST_BENCH_BUILD:-auto}"
stale() {
  [ -f "$bench_class" ] && [ -d "$root/target/classes/dev/nest" ] || return 0
  [ -n "$(find "$root/src/main" "$root/pom.xml" "$root/it/java/dev/nest/bench" -newer "$bench_class" -type f -print -quit 2>/dev/null)" ] && return 0
  return 1
}
if [ "$build" = always ] || { [ "$build" = auto ] && stale; }; then
  echo "bench-pods: building (mvn -B -q -DskipTests package)" >&2
  mvn -B -q -DskipTests package || { [ -f "$bench_class" ] || { echo "bench-pods: the build failed" >&2; exit 1; }; echo "bench-pods: the build failed; using the existing classes" >&2; }
fi

source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-pods)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT

cmd="distribution/bench-pods.sh"
[ "$pods" != 20 ] && cmd="NEST_BENCH_PODS=$pods $cmd"
[ "$runtimes" != "nodejs,java" ] && cmd="NEST_BENCH_RUNTIMES=$runtimes $cmd"
"$JAVA_HOME/bin/java" -XX:+UseSerialGC -Dnest.home="$root" -Dnest.bench.pods="$pods" -Dnest.bench.idle="$idle" \
  -Dnest.bench.runtimes="$runtimes" -Dnest.bench.docs="$([ "$docs" = 1 ] && echo true || echo false)" \
  -Dnest.bench.command="$cmd" -cp "$classpath" dev.nest.bench.PodReadyBenchmark "$@"
