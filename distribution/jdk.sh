# Sourced by Nest's scripts: sets JAVA_HOME to a JDK >= 21 (JAVA_HOME first, then /usr/lib/jvm/*).
nest_jdk_version() {
  # the major version from the JDK's release file (no JVM start), else from the JVM itself
  local v=""
  if [ -f "$1/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release")
  fi
  if [ -z "$v" ]; then
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
    v=${v%%.*}
  fi
  echo "$v"
}
nest_find_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$(nest_jdk_version "$c")
    if [ -n "$v" ] && [ "$v" -ge 21 ] 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  return 1
}
if ! JAVA_HOME=$(nest_find_jdk); then
  echo "nest: no JDK >= 21 found (JAVA_HOME, /usr/lib/jvm/*); run distribution/setup.sh or set JAVA_HOME" >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
