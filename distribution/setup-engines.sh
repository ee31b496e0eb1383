#!/usr/bin/env bash
# Sets up the container engine the docker driver and its tests use, and builds the runtime images:
#   1. installs docker.io, containerd and debootstrap when missing (Debian/Ubuntu, apt-get);
#   2. starts dockerd when no engine answers: `dockerd --bridge=none --iptables=false --ip-forward=false` in
#      the background, logging to /var/log/nest-dockerd.log (no default bridge, no NAT, no firewall rules:
#      Nest's pods use host networking), and waits until `docker info` works;
#   3. builds nest/runtime-nodejs and nest/runtime-java with distribution/images/build.sh (no registry);
#   4. starts Nest's own containerd for the containerd driver when its socket does not answer: config written
#      to /etc/nest/containerd.toml, root /var/lib/nest/containerd, state /run/nest/containerd, socket
#      /run/nest/containerd/containerd.sock, log /var/log/nest-containerd.log (the containerd that dockerd may
#      run on /run/containerd or /var/run/docker/containerd is left alone), and copies the runtime images into
#      its namespace `nest` with distribution/images/load-containerd.sh.
# Idempotent; a second run takes seconds. Runs non-interactively as root (CI) or through sudo. Needs Nest
# built first (distribution/setup.sh): the Java image packs the host classes.
#
# Usage: distribution/setup-engines.sh [--force]   (--force: rebuild the base image and the Java runtime)
# Environment: NEST_DOCKERD_LOG (/var/log/nest-dockerd.log), NEST_DOCKERD_WAIT (60, seconds), NEST_CONTAINERD
# (1; 0 skips step 4), NEST_CONTAINERD_LOG (/var/log/nest-containerd.log), and those of
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
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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

# ---- containerd (Nest's own) ---------------------------------------------------------------------------
if [ "${NEST_CONTAINERD:-1}" = 1 ]; then
  c_root=/var/lib/nest/containerd
  c_state=/run/nest/containerd
  c_sock=$c_state/containerd.sock
  c_conf=/etc/nest/containerd.toml
  c_log=${NEST_CONTAINERD_LOG:-/var/log/nest-containerd.log}
  c_answers() { as_root ctr -a "$c_sock" version >/dev/null 2>&1; }
  if c_answers; then
    say "containerd answers on $c_sock"
  else
    # The CRI plugin is off (no Kubernetes); the gRPC socket is root's only. Shim sockets live under the
    # state directory's own hash, so this containerd and dockerd's never see each other's containers.
    conf="version = 2
root = \"$c_root\"
state = \"$c_state\"
disabled_plugins = [\"io.containerd.grpc.v1.cri\"]

[grpc]
  address = \"$c_sock\"
  uid = 0
  gid = 0

[ttrpc]
  address = \"$c_state/containerd.sock.ttrpc\"

[debug]
  address = \"\"

[metrics]
  address = \"\"
"
    as_root mkdir -p "$(dirname "$c_conf")" "$c_root" "$c_state" "$(dirname "$c_log")"
    printf '%s' "$conf" | as_root tee "$c_conf.new" >/dev/null
    as_root mv "$c_conf.new" "$c_conf"
    c_pid=$(cat "$c_state/nest-containerd.pid" 2>/dev/null || true)
    if [ -n "$c_pid" ] && [ -d "/proc/$c_pid" ] && grep -q containerd "/proc/$c_pid/cmdline" 2>/dev/null; then
      say "containerd (pid $c_pid) is running but does not answer yet; waiting"
    else
      say "starting containerd --config $c_conf (socket $c_sock, log: $c_log)"
      as_root sh -c "setsid -f sh -c 'echo \$\$ > $c_state/nest-containerd.pid; exec containerd --config $c_conf' </dev/null >>'$c_log' 2>&1"
    fi
    for ((i = 0; i < wait_s * 4; i++)); do
      c_answers && break
      sleep 0.25
    done
    if ! c_answers; then
      as_root tail -n 30 "$c_log" >&2 || true
      die "containerd did not answer on $c_sock within ${wait_s}s (log above, full log in $c_log)"
    fi
    say "containerd started ($(as_root ctr -a "$c_sock" version 2>/dev/null | sed -n 's/^ *Version: *//p' | tail -1))"
  fi
  as_root "$here/images/load-containerd.sh" --address "$c_sock" --namespace nest --snapshotter overlayfs
fi
say "ready in $(( $(date +%s) - t0 ))s"
