#!/usr/bin/env bash
# Copies Nest's runtime images from the local Docker engine into a containerd image store (for the
# containerd driver): `docker save` | `ctr images import`, unpacked for the snapshotter. Build them first
# with distribution/images/build.sh.
#
# containerd names them like Docker Hub images: nest/runtime-nodejs:latest becomes
# docker.io/nest/runtime-nodejs:latest. An image whose Docker image id is already recorded on the containerd
# image (label dev.nest.docker-id) is skipped, so a second run takes a moment.
#
# Usage: distribution/images/load-containerd.sh [--address SOCKET] [--namespace NS] [--snapshotter NAME] [IMAGE...]
#   --address      containerd's socket ($NEST_CONTAINERD_ADDRESS, default /run/nest/containerd/containerd.sock, the
#                  containerd distribution/setup-engines.sh starts)
#   --namespace    containerd namespace ($NEST_CONTAINERD_NAMESPACE, default nest)
#   --snapshotter  snapshotter to unpack for (default: containerd's default, overlayfs)
#   IMAGE...       default: nest/runtime-nodejs:latest nest/runtime-java:latest
set -euo pipefail
address=${NEST_CONTAINERD_ADDRESS:-/run/nest/containerd/containerd.sock}
namespace=${NEST_CONTAINERD_NAMESPACE:-nest}
snapshotter=""
images=()
while [ $# -gt 0 ]; do
  case $1 in
    --address) address=$2; shift 2 ;;
    --namespace) namespace=$2; shift 2 ;;
    --snapshotter) snapshotter=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "load-containerd: unknown option $1 (see --help)" >&2; exit 1 ;;
    *) images+=("$1"); shift ;;
  esac
done
[ ${#images[@]} -gt 0 ] || images=(nest/runtime-nodejs:latest nest/runtime-java:latest)

say() { echo "load-containerd: $*"; }
die() { echo "load-containerd: $*" >&2; exit 1; }
ctr_() { ctr -a "$address" -n "$namespace" "$@"; }

command -v ctr >/dev/null || die "ctr is not installed (apt-get install containerd); run distribution/setup-engines.sh"
[ -S "$address" ] || die "no containerd socket at $address; start containerd or pass --address SOCKET"
ctr -a "$address" version >/dev/null 2>&1 || die "containerd at $address does not answer (ctr version failed)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer; the images are copied from it (distribution/setup-engines.sh)"

# Docker Hub style name, as ctr import records it
full_name() {
  local n=$1
  case ${n%%/*} in
    *.*|*:*|localhost) ;;
    *) [[ $n == */* ]] || n="library/$n"; n="docker.io/$n" ;;
  esac
  [[ ${n##*/} == *:* || $n == *@* ]] || n="$n:latest"
  echo "$n"
}

todo=()
for image in "${images[@]}"; do
  id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null) \
    || die "image $image is not in the Docker engine; build it with distribution/images/build.sh"
  name=$(full_name "$image")
  if ctr_ images ls "name==$name" 2>/dev/null | grep -q "dev.nest.docker-id=$id"; then
    say "$name already in containerd ($address, namespace $namespace)"
  else
    todo+=("$image")
  fi
done
[ ${#todo[@]} -gt 0 ] || exit 0

t0=$(date +%s)
docker save "${todo[@]}" | ctr_ images import ${snapshotter:+--snapshotter "$snapshotter"} - >/dev/null
for image in "${todo[@]}"; do
  name=$(full_name "$image")
  ctr_ images label "$name" "dev.nest.docker-id=$(docker image inspect -f '{{.Id}}' "$image")" >/dev/null
  say "$name imported into containerd ($address, namespace $namespace)"
done
say "done in $(( $(date +%s) - t0 ))s"
