#!/usr/bin/env bash
# Replays a day of the Azure Functions 2019 trace (500 functions, shipped in distribution/data/azure2019/ with its
# attribution and licences) in virtual time
# against Nest's scaler and keep-alive policies, a fixed 10-minute keep-alive and a Knative-style KPA
# (dev.nest.sim.TraceSimulator), with merged placement for the long tail (ADR 0025) over the default policy and over
# the fixed keep-alive, prints the tables and writes the section
# "Autoscaling on the Azure Functions 2019 trace (simulation)" of docs/BENCHMARKS.md, with its nest-bench block
# (rows 290 and 380, and the ratio lines that distribution/bench.sh --check compares).
#
#   distribution/replay.sh                       # the policies compared plus the designs tried (5-10 minutes on 2 cores)
#   NEST_REPLAY_VARIANTS=0 distribution/replay.sh   # only the policies compared (about a minute)
#   NEST_REPLAY_DOCS=0 distribution/replay.sh       # print only, leave docs/BENCHMARKS.md alone
#   NEST_REPLAY_DOCS=0 distribution/replay.sh --merged-only   # only merged placement against its baselines (about
#                                                   # a minute): what `distribution/bench.sh --check` runs for row 380
#
# Knobs (environment): NEST_REPLAY_DATA (trace directory, default distribution/data/azure2019),
# NEST_REPLAY_SEED (1), NEST_REPLAY_COLD_MS (250: the modelled cold start), NEST_REPLAY_FUNCTIONS (all),
# NEST_REPLAY_THREADS (cores), NEST_REPLAY_BUILD (auto: build the test classes when missing or older than the
# sources; always; never). Extra arguments go to the simulator.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"

data="${NEST_REPLAY_DATA:-$root/distribution/data/azure2019}"
for f in 500_inv 500_run 500_mem; do
  if [ ! -f "$data/$f.csv" ] && [ ! -f "$data/$f.csv.gz" ]; then
    echo "replay: no trace at $data ($f.csv or $f.csv.gz); set NEST_REPLAY_DATA" >&2
    exit 1
  fi
done

sim_class="$root/target/test-classes/dev/nest/sim/TraceSimulator.class"
build="${NEST_REPLAY_BUILD:-auto}"
stale() {
  [ -f "$sim_class" ] || return 0
  [ -n "$(find "$root/src/main" "$root/it/java/dev/nest/sim" "$root/pom.xml" -newer "$sim_class" -type f -print -quit 2>/dev/null)" ]
}
if [ "$build" = always ] || { [ "$build" = auto ] && stale; }; then
  echo "replay: building the classes (mvn -B -q -DskipTests test-compile)" >&2
  mvn -B -q -DskipTests test-compile
fi

source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath replay)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT

args=(--data "$data" --seed "${NEST_REPLAY_SEED:-1}" --cold-ms "${NEST_REPLAY_COLD_MS:-250}")
[ -n "${NEST_REPLAY_FUNCTIONS:-}" ] && args+=(--functions "$NEST_REPLAY_FUNCTIONS")
[ -n "${NEST_REPLAY_THREADS:-}" ] && args+=(--threads "$NEST_REPLAY_THREADS")
[ "${NEST_REPLAY_VARIANTS:-1}" = 1 ] && args+=(--variants)
if [ "${NEST_REPLAY_DOCS:-1}" = 1 ] && [ -z "${NEST_REPLAY_FUNCTIONS:-}" ]; then
  args+=(--doc "$root/docs/BENCHMARKS.md" --command "distribution/replay.sh")
fi

"$JAVA_HOME/bin/java" -Xmx2g ${NEST_REPLAY_JAVA_OPTS:-} -Dnest.home="$root" -cp "$classpath" dev.nest.sim.TraceSimulator "${args[@]}" "$@"
