#!/usr/bin/env bash
# Sets up the container engine the docker driver and its tests use, and builds the runtime images:
#   1. installs docker.io, containerd and debootstrap when missing (Debian/Ubuntu, apt-get);
#   2. starts dockerd when no engine answers: `dockerd --bridge=none --iptables=false --ip-forward=false` in
#      the background, logging to /var/log/nest-dockerd.log (no default bridge, no NAT, no firewall rules:
#      Nest's pods use host networking), and waits until `docker info` works;
#   3. builds nest/runtime-nodejs and nest/runtime-java with distribution/images/build.sh (no registry).
# Idempotent; a second run takes seconds. Runs non-interactively as root (CI) or through sudo. Needs Nest
# built first (distribution/setup.sh): the Java image packs the host classes.
#
# Usage: distribution/setup-engines.sh [--force]   (--force: rebuild the base image and the Java runtime)
# Environment: NEST_DOCKERD_LOG (/var/log/nest-dockerd.log), NEST_DOCKERD_WAIT (60, seconds), and those of
# distribution/images/build.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
log=${NEST_DOCKERD_LOG:-/var/log/nest-dockerd.log}
wait_s=${NEST_DOCKERD_WAIT:-60}
t0=$(date +%s)

say() { echo "setup-engines: $*"; }
die() { echo "setup-engines: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ---- packages ------------------------------------------------------------------------------------------
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v containerd >/dev/null || missing+=(containerd)
command -v debootstrap >/dev/null || missing+=(debootstrap)
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "please install ${missing[*]} (no apt-get on this machine)"
  say "installing ${missing[*]}"
  # Keep the packages' services from starting on install (a packaged dockerd would create the default
  # bridge and firewall rules); this script starts the engine itself, below.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$policy" ]; then as_root rm -f "$policy"; trap - EXIT; fi
fi

# ---- dockerd -------------------------------------------------------------------------------------------
engine_answers() { as_root docker info >/dev/null 2>&1; }
dockerd_running() { local p; p=$(cat /var/run/docker.pid 2>/dev/null) && [ -n "$p" ] && [ -d "/proc/$p" ]; }
server_version() { as_root docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?'; }
if engine_answers; then
  say "Docker engine answers (${DOCKER_HOST:-unix:///var/run/docker.sock}, $(server_version))"
else
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
    die "the engine at DOCKER_HOST=$DOCKER_HOST does not answer; start it, or unset DOCKER_HOST to let this script start dockerd"
  fi
  if dockerd_running; then
    say "dockerd is running but does not answer yet; waiting"
  else
    say "starting dockerd --bridge=none --iptables=false --ip-forward=false (log: $log)"
    as_root mkdir -p "$(dirname "$log")"
    as_root sh -c "setsid -f dockerd --bridge=none --iptables=false --ip-forward=false </dev/null >>'$log' 2>&1"
  fi
  for ((i = 0; i < wait_s * 4; i++)); do
    engine_answers && break
    sleep 0.25
  done
  if ! engine_answers; then
    as_root tail -n 30 "$log" >&2 || true
    die "dockerd did not answer within ${wait_s}s (log above, full log in $log)"
  fi
  say "Docker engine started ($(server_version))"
fi

# ---- runtime images ------------------------------------------------------------------------------------
as_root env ${NEST_DEBIAN_SUITE:+NEST_DEBIAN_SUITE="$NEST_DEBIAN_SUITE"} \
  ${NEST_DEBIAN_MIRROR:+NEST_DEBIAN_MIRROR="$NEST_DEBIAN_MIRROR"} ${NEST_IMAGE_CACHE:+NEST_IMAGE_CACHE="$NEST_IMAGE_CACHE"} \
  ${NEST_JAVA_MODULES:+NEST_JAVA_MODULES="$NEST_JAVA_MODULES"} ${NEST_IMAGES:+NEST_IMAGES="$NEST_IMAGES"} \
  ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} ${NEST_JAR:+NEST_JAR="$NEST_JAR"} \
  "$here/images/build.sh" "$@"
say "ready in $(( $(date +%s) - t0 ))s"
