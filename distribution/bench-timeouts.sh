#!/usr/bin/env bash
# Invocations past their timeout: what a timeout costs with the runtime hosts of this checkout, and (optionally) with
# the hosts of an older revision, on the same nest.jar (so the gateway and node agent are the same). A Node.js
# function of 100 ms whose every 5th call takes 2 s (past its 300 ms timeout and the gateway's 1 s grace), 2
# instances (scaling.min = max = 2, concurrency 1), wrk with 8 connections; counts statuses, goodput and the instances
# recycled (each one a cold start). Prints a markdown section; NEST_BENCH_DOCS=1 also writes it to docs/BENCHMARKS.md.
#
#   distribution/bench-timeouts.sh                                  # this checkout's hosts
#   NEST_BENCH_BASELINE=8a75f68 distribution/bench-timeouts.sh      # and the hosts of revision 8a75f68, same run
#
# Knobs: NEST_BENCH_SECONDS (15), NEST_BENCH_CONNECTIONS (8), NEST_BENCH_JAR (target/nest.jar; build it first with
# `mvn -B -q -DskipTests package`), NEST_BENCH_PORT (18080; the runs use it and the next 300 ports), NEST_BENCH_DOCS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"
command -v wrk >/dev/null || { echo "bench-timeouts: wrk is not on PATH (apt-get install wrk)" >&2; exit 1; }
command -v node >/dev/null || { echo "bench-timeouts: Node.js is not on PATH; run distribution/setup.sh" >&2; exit 1; }
jar="${NEST_BENCH_JAR:-$root/target/nest.jar}"
[ -f "$jar" ] || { echo "bench-timeouts: $jar not found; run mvn -B -q -DskipTests package" >&2; exit 1; }
seconds="${NEST_BENCH_SECONDS:-15}"
conns="${NEST_BENCH_CONNECTIONS:-8}"
port="${NEST_BENCH_PORT:-18080}"
baseline="${NEST_BENCH_BASELINE:-}"
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cat > "$work/status.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do all[k] = (all[k] or 0) + v end
  end
  for k, v in pairs(all) do io.write(string.format("status %d %d\n", k, v)) end
  io.write(string.format("errors %d\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

# one run: $1 label, $2 runtimes dir, $3 port; prints "| label | ... |"
run() {
  local label=$1 runtimes=$2 p=$3 d="$work/run-$1"
  mkdir -p "$d/fns/slowtail"
  cat > "$d/fns/slowtail/index.js" <<'JS'
let n = 0;
exports.handler = async () => { n++; await new Promise((r) => setTimeout(r, n % 5 === 0 ? 2000 : 100)); return { n }; };
JS
  printf 'name: slowtail\nruntime: nodejs\ncode: slowtail\ntimeout: 300ms\nconcurrency: 1\nscaling:\n  min: 2\n  max: 2\nqueue:\n  size: 1000\n  timeout: 10s\n' \
    > "$d/fns/slowtail.yaml"
  printf 'data-dir: %s\nfunctions-dir: %s\nruntimes-dir: %s\nserver:\n  host: 127.0.0.1\n  port: %s\nsidecar:\n  port-range: %s-%s\n  pool: {nodejs: 0, java: 0}\n' \
    "$d/data" "$d/fns" "$runtimes" "$p" "$((p + 100))" "$((p + 199))" > "$d/nest.yaml"
  "$JAVA_HOME/bin/java" -jar "$jar" --config "$d/nest.yaml" > "$d/log" 2>&1 &
  pid=$!
  local up=0
  for _ in $(seq 1 240); do
    if curl -fs "http://127.0.0.1:$p/fn/slowtail" >/dev/null 2>&1; then up=1; break; fi
    sleep 0.5
  done
  [ "$up" = 1 ] || { echo "bench-timeouts: the node of run $label did not serve; its log: $d/log" >&2; cat "$d/log" >&2; exit 1; }
  sleep 2
  wrk -t2 -c"$conns" -d"${seconds}s" --latency -s "$work/status.lua" "http://127.0.0.1:$p/fn/slowtail" > "$d/wrk.txt" 2>&1 || true
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  local ok t504 other errors recycles p50 p99
  ok=$(awk '$1=="status" && $2==200 {print $3}' "$d/wrk.txt"); ok=${ok:-0}
  t504=$(awk '$1=="status" && $2==504 {print $3}' "$d/wrk.txt"); t504=${t504:-0}
  other=$(awk '$1=="status" && $2!=200 && $2!=504 {s+=$3} END {print s+0}' "$d/wrk.txt")
  errors=$(awk '$1=="errors" {print $2}' "$d/wrk.txt"); errors=${errors:-0}
  recycles=$(grep -c 'recycling instance' "$d/log" || true)
  p50=$(awk '$1=="50%" {print $2}' "$d/wrk.txt"); p99=$(awk '$1=="99%" {print $2}' "$d/wrk.txt")
  echo "| $label | $ok ($(awk -v n="$ok" -v s="$seconds" 'BEGIN {printf "%.1f", n / s}')/s) | $t504 | $other | $errors | $recycles | $p50 | $p99 |"
}

rows=$(run "hosts of this checkout ($(git rev-parse --short HEAD)$(git diff --quiet -- runtimes || echo ' + changes'))" "$root/runtimes" "$port")
if [ -n "$baseline" ]; then
  mkdir -p "$work/baseline"
  git archive "$baseline" runtimes | tar -x -C "$work/baseline"
  rows+=$'\n'$(run "hosts of $baseline" "$work/baseline/runtimes" "$((port + 200))")
fi

section=$(cat <<MD
## Invocations past their timeout (host-side deadlines)

Measured $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; Node.js
$(node --version); nest.jar of $(git rev-parse --short HEAD). Command: \`NEST_BENCH_BASELINE=${baseline:-<none>}
distribution/bench-timeouts.sh\`. A Node.js function of 100 ms whose every 5th call takes 2 s, \`timeout: 300ms\`, 2
instances of concurrency 1, wrk -c$conns for $seconds s; the same nest.jar for every row, only the runtime hosts differ.
"Recycled" counts instances the gateway stopped (each a cold start); wrk errors include its own 2 s request timeout.

| runtime hosts | 200 (goodput) | 504 | other statuses | wrk errors | instances recycled | p50 | p99 |
|---|---|---|---|---|---|---|---|
$rows
MD
)
echo "$section"
if [ "${NEST_BENCH_DOCS:-0}" = 1 ]; then
  doc="$root/docs/BENCHMARKS.md"
  python3 - "$doc" "$section" <<'PY'
import sys
path, section = sys.argv[1], sys.argv[2].rstrip() + "\n"
text = open(path).read()
head = "## Invocations past their timeout (host-side deadlines)"
if head in text:
    start = text.index(head)
    nxt = text.find("\n## ", start + len(head))
    text = text[:start] + section + (text[nxt:] if nxt != -1 else "")
else:
    text = text.rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
  echo "bench-timeouts: wrote the section to docs/BENCHMARKS.md" >&2
fi
