#!/usr/bin/env bash
# Runs dev.nest.bench.CodePathBenchmark: 200 MiB of package content fetched from a peer on loopback (a real Nest server
# in the benchmark's process: its gateway serving each chunk file to the peer credential; row zstd-adminhop: through
# its admin routes with an admin token; row zstd-jdkpeer: a JDK HttpServer streaming the chunk
# files, the peer this benchmark used before), decompressed,
# verified and unpacked by ArtifactStore.fetch, against the floor (`tar -xf` of an uncompressed local tar: file
# creation alone) and one gzip stream (the JDK's), all in the same run, for two content profiles: many small files
# (node_modules-like) and large files (a Java function's fat jars and assets). Variants of the fetch: the default
# (trusted manifest, chunk cache written after the commit, platform writer threads), every file hashed (no trusted
# manifest), the chunk cache written before the commit, files written on virtual threads, every chunk handed to the
# platform writers, chunks decompressed into heap arrays instead of direct buffers, every received chunk body in a
# new array instead of one kept from an earlier fetch (zstd-fresh), every chunk zstd (format 1, the
# packing while an older node is live), lz4 chunks, zstd chunks with the incompressible ones stored. The default row
# ("zstd") is packed as shipped: per-chunk codecs (lz4 for large files' parts), format 2. Prints a
# report (wall and CPU time, the fetch's stages); a full run (200 MiB, >= 3 repetitions, 4 MiB chunks) also writes
# the section "Code path: fetch, decompress, verify, unpack" of docs/BENCHMARKS.md with its nest-bench block (it
# refuses a tree with uncommitted changes unless NEST_BENCH_ALLOW_DIRTY=1). Non-interactive.
# Duration, measured on a 2-core VM shared with other builds (load average 20 to 37): 14 minutes for a full run
# (7.5 of them timed runs, the rest generating, packing and deleting the content), 5 minutes for the quick run below
# at 60 MiB and 2 repetitions; a quiet machine should need well under half of that (not measured yet).
#
#   distribution/bench-codepath.sh                                                          # full run, writes the doc
#   NEST_BENCH_CODEPATH_MIB=60 NEST_BENCH_CODEPATH_REPS=2 NEST_BENCH_DOCS=0 distribution/bench-codepath.sh   # quick
#   distribution/bench-codepath.sh --quick   # what bench.sh --check runs: 40 MiB, 5 repetitions, floor/zstd/gzip only,
#                                            # ratios codepath.quick.* to $NEST_BENCH_RESULTS, never the doc (~3 min)
#   NEST_BENCH_CODEPATH_METHODS=floor,zstd,zstd-platform,gzip NEST_BENCH_CODEPATH_PROFILES=large-files \
#     NEST_BENCH_CODEPATH_MIB=40 NEST_BENCH_DOCS=0 distribution/bench-codepath.sh   # compare some designs on one shape
#
# A full run that writes the doc runs the quick run first and records its ratios in the block (the guard's floors).
# Knobs (environment): NEST_BENCH_CODEPATH_MIB (200), NEST_BENCH_CODEPATH_REPS (3; 5 with --quick),
# NEST_BENCH_CODEPATH_QUICK_MIB (40), NEST_BENCH_CODEPATH_METHODS (all: floor, zstd, zstd-full, zstd-sync, zstd-vthreads,
# zstd-platform, zstd-httpclient, zstd-pfetch, zstd-heap, zstd-net8, zstd-net2, zstd-fresh, zstd-jdkpeer, zstd-adminhop, uniform, lz4, stored, gzip; auto on request;
# zstd and its variants use the shipped default packing, uniform every chunk zstd as format 1), NEST_BENCH_CODEPATH_PROFILES (many-small,large-files), NEST_BENCH_RESULTS,
# NEST_BENCH_CODEPATH_CHUNK_MIB (4),
# NEST_BENCH_DOCS (1; only full runs with 4 MiB chunks write the doc), NEST_BENCH_ALLOW_DIRTY (0),
# NEST_BENCH_BUILD (auto: build the classes when missing or older than the sources; always; never),
# NEST_BENCH_JAVA_OPTS (-Xmx2g; add -XX:StartFlightRecording=filename=codepath.jfr,settings=profile to profile).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/jdk.sh"
cd "$root"

bench_class="$root/target/test-classes/dev/nest/bench/CodePathBenchmark.class"
build="${NEST_BENCH_BUILD:-auto}"
stale() {
  [ -f "$bench_class" ] || return 0
  [ -n "$(find "$root/src/main" "$root/it/java/dev/nest/bench" "$root/pom.xml" -newer "$bench_class" -type f -print -quit 2>/dev/null)" ] && return 0
  return 1
}
if [ "$build" = always ] || { [ "$build" = auto ] && stale; }; then
  echo "bench-codepath: compiling (mvn -B -q -DskipTests test-compile)" >&2
  mvn -B -q -DskipTests test-compile
fi

source "$root/distribution/classpath.sh"
classpath=$(nest_snapshot_classpath bench-codepath)
snapshot=${classpath%%/test-classes:*}
trap 'rm -rf "$snapshot"' EXIT

# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" ${NEST_BENCH_JAVA_OPTS:--Xmx2g} -Dnest.home="$root" -cp "$classpath" dev.nest.bench.CodePathBenchmark "$@"
