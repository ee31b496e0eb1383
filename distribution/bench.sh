#!/usr/bin/env bash
# Runs Nest's benchmarks (dev.nest.bench.WarmPathBenchmark): cold start, warm path against the runtime host
# directly and through nginx, server memory and startup. Prints a report; a full-length run also writes the
# section "Warm path and cold start (process driver)" of docs/BENCHMARKS.md.
#
#   distribution/bench.sh                          # full run: 20 s per wrk run, 20 cold starts (about 3 minutes)
#   NEST_BENCH_SECONDS=3 distribution/bench.sh     # quick smoke run (a few minutes)
#   distribution/bench.sh --check                  # run, write nothing, compare each guarded ratio with the floor
#                                                  # recorded in docs/BENCHMARKS.md; exit 1 on a regression beyond
#                                                  # the noise (the ```nest-bench blocks, see dev.nest.bench.BenchBlock);
#                                                  # then lists the rows it does not guard and why (their
#                                                  # 'unguarded' lines; exit 2 when a row has neither, ADR 0026);
#                                                  # NEST_BENCH_CHECK (warm,auth,merged,pods,coldstart,replay,codepath)
#                                                  # picks the benchmarks it runs; pods and coldstart need Docker and
#                                                  # containerd (skipped, saying so, without them; about 3 minutes each)
#   distribution/bench.sh --readme                 # regenerate README.md's Specification table from those blocks
#   distribution/bench.sh --readme --check         # exit 1 when README.md's table is not the generated one
#
# Knobs (environment, or -Dnest.bench.<key>=...): NEST_BENCH_SECONDS (20), NEST_BENCH_WARMUP (5; 1 when quick),
# NEST_BENCH_CONNECTIONS (16), NEST_BENCH_COLD (20; 5 when quick), NEST_BENCH_STARTS (5; 1 when quick),
# NEST_BENCH_COLD_PAUSE_MS (250), NEST_BENCH_PARTS (startup,warm,cold), NEST_BENCH_DOCS (1 for full runs),
# NEST_BENCH_SERVER_OPTS (none: the row measures plain `java -jar nest.jar`), NEST_BENCH_AOT (1: on JDK 25+ the
# startup part times the jar's first start, which trains its own AOT cache (ADR 0033), and the install-time training
# (`java -jar nest.jar aot-cache`), then alternates the shipped start, which applies the first, with the cache off, the
# cache given by hand, a first start (empty cache directory) and a start after the install-time training; 0: every
# start with the cache off), NEST_BENCH_RATE (1000: the open-loop
# rate of the added-latency runs), NEST_BENCH_ROUNDS (3; 2 when quick), NEST_BENCH_RESULTS (a file to write the section
# to), NEST_BENCH_ALLOW_DIRTY (0: refuse to write docs from a checkout with uncommitted changes), NEST_BENCH_KEEP (0: keep the temp dir), NEST_BENCH_JAR,
# NEST_BENCH_BUILD (auto: build when the jar or the benchmark classes are missing or older than the sources;
# always; never), NEST_NODE (the Node.js of Nest's hosts and of the baselines: the one distribution/setup.sh
# provisioned, else node on PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"

mode=run
case "${1:-}" in
  --check) mode=check; shift; [ "${1:-}" = "" ] || { echo "bench: --check takes no argument" >&2; exit 2; } ;;
  --readme) mode=readme; shift ;;
  "") ;;
  *) echo "bench: unknown argument '$1'; allowed: --check, --readme [--check]" >&2; exit 2 ;;
esac

[ "$mode" = readme ] && tools="" || tools="wrk nginx"
for tool in $tools; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "bench: installing $tool" >&2
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -qq && $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$tool" >/dev/null
  fi
done
[ "$mode" = readme ] || command -v node >/dev/null 2>&1 || { echo "bench: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }
# One Node.js for Nest's hosts and for the baselines (the host called directly, the plain Node `http` server), so
# that their ratios are like for like: NEST_NODE, else the pinned one distribution/setup.sh provisioned
# (distribution/node-dist.sh), else node on PATH. Nest's server inherits NEST_NODE; the report names the version.
if [ "$mode" != readme ]; then
  # shellcheck source=node-dist.sh
  source "$here/node-dist.sh"
  [ -n "${NEST_NODE:-}" ] || NEST_NODE=$(nest_node_provisioned)
  [ -n "$NEST_NODE" ] || NEST_NODE=$(command -v node)
  export NEST_NODE
  echo "bench: Node.js $("$NEST_NODE" --version) ($NEST_NODE) for Nest's hosts and the direct and plain baselines" >&2
fi

jar="${NEST_BENCH_JAR:-$root/target/nest.jar}"
bench_class="$root/target/test-classes/dev/nest/bench/WarmPathBenchmark.class"
build="${NEST_BENCH_BUILD:-auto}"
stale() {
  [ -f "$jar" ] && [ -f "$bench_class" ] || return 0
  [ -n "$(find "$root/src/main" "$root/runtimes/java/src" "$root/pom.xml" -newer "$jar" -type f -print -quit 2>/dev/null)" ] && return 0
  [ -n "$(find "$root/it/java/dev/nest/bench" -newer "$bench_class" -type f -print -quit 2>/dev/null)" ] && return 0
  return 1
}
if [ "$build" = always ] || { [ "$build" = auto ] && stale; }; then
  echo "bench: building nest.jar and the benchmark (mvn -B -q -DskipTests package)" >&2
  if ! mvn -B -q -DskipTests package; then
    if [ -f "$jar" ] && [ -f "$bench_class" ]; then
      echo "bench: the build failed; using the existing $jar and benchmark classes" >&2
    else
      echo "bench: the build failed and there is no jar to run" >&2
      exit 1
    fi
  fi
fi

source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT

if [ "$mode" = readme ]; then
  "$JAVA_HOME/bin/java" -Dnest.home="$root" -cp "$classpath" dev.nest.bench.SpecTable readme "$@"
  exit $?
fi
if [ "$mode" = check ]; then
  results="$snapshot/results.md"
  : > "$results"
  # NEST_BENCH_CHECK (warm,auth,merged,pods,coldstart,replay,codepath): the benchmarks --check runs; each writes its
  # section, the guard compares them all
  checks=",${NEST_BENCH_CHECK:-warm,auth,merged,pods,coldstart,replay,codepath},"
  if [[ "$checks" == *,warm,* ]]; then
    NEST_BENCH_DOCS=0 NEST_BENCH_RESULTS="$snapshot/results-warm.md" "$JAVA_HOME/bin/java" -XX:+UseSerialGC \
      -Dnest.home="$root" -Dnest.bench.jar="$jar" -cp "$classpath" dev.nest.bench.WarmPathBenchmark
    cat "$snapshot/results-warm.md" >> "$results"
  fi
  if [[ "$checks" == *,auth,* ]]; then   # token checks against auth: public, 6 alternating rounds (about 5 minutes)
    NEST_BENCH_DOCS=0 NEST_BENCH_RESULTS="$snapshot/results-auth.md" "$JAVA_HOME/bin/java" -XX:+UseSerialGC \
      -Dnest.home="$root" -Dnest.bench.jar="$jar" -cp "$classpath" dev.nest.bench.AuthBenchmark \
      || [ -s "$snapshot/results-auth.md" ]   # over its 2% promise it exits 1; the guard judges the ratio
    printf '\n' >> "$results"; cat "$snapshot/results-auth.md" >> "$results"
  fi
  if [[ "$checks" == *,merged,* ]]; then   # merged against dedicated Node.js hosts (bench-merged.js, a few minutes)
    NEST_BENCH_DOCS=0 NEST_BENCH_RESULTS="$snapshot/results-merged.md" node "$root/distribution/bench-merged.js"
    printf '\n' >> "$results"; cat "$snapshot/results-merged.md" >> "$results"
  fi
  engines() { docker info >/dev/null 2>&1 && ctr -a "${NEST_CONTAINERD_ADDRESS:-/run/nest/containerd/containerd.sock}" version >/dev/null 2>&1; }
  if [[ "$checks" == *,pods,* ]]; then   # pod start against docker run, 6 interleaved pods per mode (ADR 0031)
    if engines; then
      NEST_BENCH_PODS=${NEST_BENCH_CHECK_PODS:-6} NEST_BENCH_IDLE=1 NEST_BENCH_DOCS=0 NEST_BENCH_BUILD=never \
        NEST_BENCH_RESULTS="$snapshot/results-pods.md" "$here/bench-pods.sh" >/dev/null
      printf '\n' >> "$results"; cat "$snapshot/results-pods.md" >> "$results"
    else
      echo "bench --check: pods skipped: Docker or containerd does not answer (distribution/setup-engines.sh)" >&2
    fi
  fi
  if [[ "$checks" == *,coldstart,* ]]; then   # containerd cold starts: pool hit, new pod, docker run (1 MiB)
    if engines; then
      NEST_BENCH_DOCS=false NEST_BENCH_RESULTS="$snapshot/results-coldstart.md" "$here/bench-coldstart.sh" containerd \
        -Dnest.bench.prepared=2 -Dnest.bench.fetched=false -Dnest.bench.sizes-mib=1 \
        -Dnest.bench.starts="${NEST_BENCH_CHECK_STARTS:-10}" >/dev/null
      printf '\n' >> "$results"; cat "$snapshot/results-coldstart.md" >> "$results"
    else
      echo "bench --check: coldstart skipped: Docker or containerd does not answer (distribution/setup-engines.sh)" >&2
    fi
  fi
  if [[ "$checks" == *,replay,* ]]; then   # the simulated Azure day: merged placement against fixed 10m (1-2 minutes)
    "$JAVA_HOME/bin/java" -Xmx2g -Dnest.home="$root" -cp "$classpath" dev.nest.sim.TraceSimulator --merged-only \
      --data "$root/distribution/data/azure2019" --results "$snapshot/results-replay.md"
    printf '\n' >> "$results"; cat "$snapshot/results-replay.md" >> "$results"
  fi
  if [[ "$checks" == *,codepath,* ]]; then   # the code path's quick run: 40 MiB per profile, 5 rounds (ADR 0027)
    NEST_BENCH_RESULTS="$snapshot/results-codepath.md" "$JAVA_HOME/bin/java" -Xmx2g \
      -Dnest.home="$root" -cp "$classpath" dev.nest.bench.CodePathBenchmark --quick
    printf '\n' >> "$results"; cat "$snapshot/results-codepath.md" >> "$results"
  fi
  "$JAVA_HOME/bin/java" -Dnest.home="$root" -cp "$classpath" dev.nest.bench.SpecTable check "$results"
  exit $?
fi
"$JAVA_HOME/bin/java" -XX:+UseSerialGC -Dnest.home="$root" -Dnest.bench.jar="$jar" \
  -cp "$classpath" dev.nest.bench.WarmPathBenchmark "$@"
