#!/usr/bin/env bash
# A real Kafka for development and tests: KRaft nodes (broker and controller in one process each) started from
# the Kafka jars on Maven Central (org.apache.kafka:kafka_2.13, resolved by Maven into ~/.m2; nothing is
# downloaded from anywhere else), listening on 127.0.0.1 only, with their data under a work folder.
#
# Usage: distribution/kafka.sh start [--brokers N] [--dir DIR]   start N nodes (default 1), wait until all are in
#                                                                the cluster, print the bootstrap servers
#        distribution/kafka.sh stop [--dir DIR]                  stop them and delete the work folder
#        distribution/kafka.sh kill I [--dir DIR]                kill -9 node I (1..N), for failure tests
#        distribution/kafka.sh restart I [--dir DIR]             start node I again on its data
#        distribution/kafka.sh bootstrap [--dir DIR]             print the bootstrap servers of a running set
# The work folder is $NEST_KAFKA_DIR, else ${TMPDIR:-/tmp}/nest-kafka; it holds bootstrap (the servers),
# node-I/{server.properties,data,server.log,pid}. Share groups (KIP-932) are on: a cluster formatted by Kafka 4.2+
# has share.version at its latest production level.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/jdk.sh"
KAFKA_VERSION=4.4.0
cmd="${1:-}"; [ $# -gt 0 ] && shift
brokers=1
node=""
dir="${NEST_KAFKA_DIR:-${TMPDIR:-/tmp}/nest-kafka}"
while [ $# -gt 0 ]; do
  case "$1" in
    --brokers) brokers="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    [0-9]*) node="$1"; shift ;;
    *) echo "kafka.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$brokers" in ''|*[!0-9]*) echo "kafka.sh: --brokers takes a number from 1 to 9, not '$brokers'" >&2; exit 2 ;; esac
[ "$brokers" -ge 1 ] && [ "$brokers" -le 9 ] || { echo "kafka.sh: --brokers takes 1 to 9, not $brokers" >&2; exit 2; }

cache="${XDG_CACHE_HOME:-$HOME/.cache}/nest/kafka-$KAFKA_VERSION"

# The class path of the Kafka server, resolved by Maven (offline first, then from Maven Central).
classpath() {
  mkdir -p "$cache"
  if [ ! -s "$cache/classpath" ]; then
    cat > "$cache/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.nest.tools</groupId><artifactId>kafka-server</artifactId><version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-jdk14</artifactId><version>2.0.17</version></dependency>
  </dependencies>
</project>
EOF
    local args=(-B -q -f "$cache/pom.xml" dependency:build-classpath -Dmdep.outputFile="$cache/classpath.tmp"
      -Dmdep.includeScope=runtime)
    mvn -o "${args[@]}" >/dev/null 2>&1 || mvn "${args[@]}" >&2 \
      || { echo "kafka.sh: Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION" >&2; exit 1; }
    mv "$cache/classpath.tmp" "$cache/classpath"
  fi
  cat "$cache/classpath"
}

free_port() {
  "$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "$cache/FreePort.java"
}

write_tools() {
  mkdir -p "$cache"
  cat > "$cache/FreePort.java" <<'EOF'
public class FreePort {
    public static void main(String[] a) throws Exception {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            System.out.println(s.getLocalPort());
        }
    }
}
EOF
  # waits until the cluster has N brokers and can create a topic replicated N ways (the controllers agree)
  cat > "$cache/Ready.java" <<'EOF'
import java.util.*;
import org.apache.kafka.clients.admin.*;
public class Ready {
    public static void main(String[] a) throws Exception {
        String bootstrap = a[0];
        int n = Integer.parseInt(a[1]);
        long deadline = System.currentTimeMillis() + Long.parseLong(a[2]) * 1000;
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("request.timeout.ms", "5000");
        p.put("default.api.timeout.ms", "10000");
        String last = "";
        try (Admin admin = Admin.create(p)) {
            while (System.currentTimeMillis() < deadline) {
                try {
                    int nodes = admin.describeCluster().nodes().get().size();
                    if (nodes >= n) {
                        String t = "nest.kafka.ready";
                        if (!admin.listTopics().names().get().contains(t)) {
                            admin.createTopics(List.of(new NewTopic(t, 1, (short) n))).all().get();
                        }
                        System.exit(0);
                    }
                    last = nodes + " of " + n + " brokers registered";
                } catch (Exception e) {
                    last = String.valueOf(e.getMessage());
                }
                Thread.sleep(500);
            }
        }
        System.out.println("kafka.sh: the cluster did not become ready: " + last);
        System.exit(1);
    }
}
EOF
}

start_node() {
  local i="$1" cp="$2"
  local d="$dir/node-$i"
  local heap="${NEST_KAFKA_HEAP:-256m}"
  nohup "$JAVA_HOME/bin/java" -Xms64m -Xmx"$heap" -XX:+UseSerialGC \
    -Djava.util.logging.config.file="$d/logging.properties" -Dkafka.logs.dir="$d" \
    -cp "$cp" kafka.Kafka "$d/server.properties" > "$d/server.log" 2>&1 < /dev/null &
  echo $! > "$d/pid"
}

case "$cmd" in
  start)
    if [ -f "$dir/bootstrap" ]; then
      echo "kafka.sh: a set is running in $dir ($(cat "$dir/bootstrap")); run 'kafka.sh stop' first" >&2; exit 1
    fi
    write_tools
    cp=$(classpath)
    rm -rf "$dir"; mkdir -p "$dir"
    voters=""; servers=""
    declare -a bports cports
    for i in $(seq 1 "$brokers"); do
      bports[$i]=$(free_port); cports[$i]=$(free_port)
      voters="${voters:+$voters,}$i@127.0.0.1:${cports[$i]}"
      servers="${servers:+$servers,}127.0.0.1:${bports[$i]}"
    done
    rf=$(( brokers < 3 ? brokers : 3 )); isr=$(( brokers < 2 ? 1 : 2 ))
    cluster=$("$JAVA_HOME/bin/java" -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
    for i in $(seq 1 "$brokers"); do
      d="$dir/node-$i"; mkdir -p "$d/data"
      cat > "$d/server.properties" <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:${bports[$i]},CONTROLLER://127.0.0.1:${cports[$i]}
advertised.listeners=PLAINTEXT://127.0.0.1:${bports[$i]}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$d/data
num.partitions=1
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
group.share.max.record.lock.duration.ms=600000
auto.create.topics.enable=false
EOF
      printf 'handlers=java.util.logging.FileHandler\njava.util.logging.FileHandler.pattern=%s/kafka.log\njava.util.logging.FileHandler.formatter=java.util.logging.SimpleFormatter\n.level=WARNING\n' "$d" > "$d/logging.properties"
      "$JAVA_HOME/bin/java" -cp "$cp" kafka.tools.StorageTool format -t "$cluster" -c "$d/server.properties" \
        > "$d/format.log" 2>&1 || { cat "$d/format.log" >&2; echo "kafka.sh: formatting node $i failed" >&2; exit 1; }
    done
    for i in $(seq 1 "$brokers"); do start_node "$i" "$cp"; done
    echo "$servers" > "$dir/bootstrap.tmp"
    if ! "$JAVA_HOME/bin/java" -Djava.util.logging.config.file=/dev/null -cp "$cp" "$cache/Ready.java" "$servers" \
        "$brokers" "${NEST_KAFKA_START_TIMEOUT:-120}" 2> "$dir/ready.log" >&2; then
      for i in $(seq 1 "$brokers"); do tail -5 "$dir/node-$i/server.log" >&2 || true; done
      grep "kafka.sh:" "$dir/ready.log" >&2 || true
      "$0" stop --dir "$dir" >/dev/null 2>&1 || true
      exit 1
    fi
    mv "$dir/bootstrap.tmp" "$dir/bootstrap"
    echo "$servers"
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    for p in "$dir"/node-*/pid; do
      [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
    done
    for p in "$dir"/node-*/pid; do
      [ -f "$p" ] || continue
      pid=$(cat "$p")
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
    ;;
  kill)
    [ -n "$node" ] && [ -f "$dir/node-$node/pid" ] || { echo "kafka.sh: no node '$node' in $dir" >&2; exit 2; }
    kill -9 "$(cat "$dir/node-$node/pid")" 2>/dev/null || true
    ;;
  restart)
    [ -n "$node" ] && [ -f "$dir/node-$node/server.properties" ] || { echo "kafka.sh: no node '$node' in $dir" >&2; exit 2; }
    if kill -0 "$(cat "$dir/node-$node/pid")" 2>/dev/null; then echo "kafka.sh: node $node is running" >&2; exit 1; fi
    start_node "$node" "$(classpath)"
    ;;
  bootstrap)
    cat "$dir/bootstrap"
    ;;
  *)
    echo "usage: kafka.sh start [--brokers N] [--dir DIR] | stop [--dir DIR] | kill I | restart I | bootstrap" >&2
    exit 2
    ;;
esac
