# Sourced by Nest's scripts: sets JAVA_HOME to a JDK >= 21 (JAVA_HOME first, then /usr/lib/jvm/*).
nest_jdk_release() {
  # JAVA_VERSION and JAVA_RUNTIME_VERSION of the JDK at $1 from its release file, read by bash alone (no process:
  # the CLI pays this on every command) into NEST_JDK_FEATURE (the major version, e.g. 25) and NEST_JDK_RUNTIME
  # (e.g. 25.0.3+9-LTS); both empty when the file is missing or does not say
  NEST_JDK_FEATURE="" NEST_JDK_RUNTIME=""
  local line
  [ -r "$1/release" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      JAVA_VERSION=\"*) line=${line#JAVA_VERSION=\"}; line=${line%%[!0-9]*}; NEST_JDK_FEATURE=$line ;;
      JAVA_RUNTIME_VERSION=\"*\") line=${line#JAVA_RUNTIME_VERSION=\"}; NEST_JDK_RUNTIME=${line%\"} ;;
    esac
  done < "$1/release"
}
nest_jdk_version() {
  # the major version from the JDK's release file (no JVM start), else from the JVM itself
  local v=""
  nest_jdk_release "$1"
  v=$NEST_JDK_FEATURE
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
