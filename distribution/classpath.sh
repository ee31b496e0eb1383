# Sourced by the benchmark scripts: nest_snapshot_classpath NAME prints a classpath of Maven's test-scope
# dependencies (cached in target/NAME-classpath.txt until pom.xml changes) and a snapshot of target/classes and
# target/test-classes, copied so that a build started meanwhile in this tree cannot change them under a
# running benchmark. The caller removes "$NEST_SNAPSHOT" when done.
nest_snapshot_classpath() {
  local root name cp_file
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  name=$1
  cp_file="$root/target/$name-classpath.txt"
  if [ ! -s "$cp_file" ] || [ "$root/pom.xml" -nt "$cp_file" ]; then
    (cd "$root" && mvn -B -q dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null)
  fi
  NEST_SNAPSHOT=$(mktemp -d "${TMPDIR:-/tmp}/nest-$name-classes.XXXXXX")
  cp -r "$root/target/test-classes" "$NEST_SNAPSHOT/test-classes"
  cp -r "$root/target/classes" "$NEST_SNAPSHOT/classes"
  echo "$NEST_SNAPSHOT/test-classes:$NEST_SNAPSHOT/classes:$(cat "$cp_file")"
}
