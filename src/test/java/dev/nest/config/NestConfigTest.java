package dev.nest.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Durations;
import dev.nest.common.Json;
import dev.nest.common.Sizes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NestConfigTest {
    /** The shipped, documented config; Maven runs tests in the project root. */
    private static final Path SHIPPED = Path.of("config", "nest.yaml");

    @TempDir
    Path dir;

    private NestConfig load(String yaml) throws IOException {
        Path f = dir.resolve("nest.yaml");
        Files.writeString(f, yaml);
        return NestConfig.load(f);
    }

    private ConfigException refused(String yaml) throws IOException {
        Path f = dir.resolve("nest.yaml");
        Files.writeString(f, yaml);
        return assertThrows(ConfigException.class, () -> NestConfig.load(f));
    }

    @Test
    void defaults() {
        NestConfig d = NestConfig.defaults();
        assertEquals(8080, d.server().port());
        assertEquals("0.0.0.0", d.server().host());
        assertEquals(6L * 1024 * 1024, d.server().maxBody());
        assertEquals(Duration.ofSeconds(10), d.server().shutdownGrace());
        assertEquals(Path.of("data"), d.dataDir());
        assertEquals(Path.of("config", "functions"), d.functionsDir());
        assertEquals(Path.of("runtimes"), d.runtimesDir());
        assertEquals("process", d.sidecar().driver());
        assertEquals(20000, d.sidecar().portFrom());
        assertEquals(29999, d.sidecar().portTo());
        assertEquals(Duration.ofSeconds(30), d.sidecar().startTimeout());
        assertEquals(64, d.sidecar().maxPods());
        assertEquals(Duration.ofSeconds(5), d.sidecar().stopGrace());
        assertEquals(Map.of(), d.sidecar().drivers());
        assertTrue(d.cluster().embedded());
        assertEquals(0, d.cluster().embeddedPort());
        assertEquals(Duration.ofSeconds(15), d.cluster().sessionTimeout());
        assertEquals(new NestConfig.Node("", "127.0.0.1", "zone-a", "default"), d.node());
        assertEquals(new NestConfig.Store(Duration.ofDays(7), 16 * 1024), d.store());
        assertEquals(dev.nest.artifact.PackageFormats.Setting.AUTO, d.artifacts().packageFormat());
    }

    @Test
    void readsThePackageFormat() throws IOException {
        for (var s : dev.nest.artifact.PackageFormats.Setting.values()) {
            Path f = dir.resolve("nest.yaml");
            Files.writeString(f, "artifacts:\n  package-format: " + s.value() + "\n");
            assertEquals(s, NestConfig.load(f).artifacts().packageFormat());
        }
    }

    @Test
    void anEmptyFileMeansTheDefaults() throws IOException {
        assertEquals(NestConfig.defaults(), load(""));
        assertEquals(NestConfig.defaults(), load("# only a comment\n"));
    }

    @Test
    void readsEveryKey() throws IOException {
        NestConfig c = load("""
                data-dir: /var/lib/nest
                functions-dir: ./fns/../functions
                runtimes-dir: /opt/nest/runtimes
                server:
                  host: 127.0.0.1
                  port: 9090
                  max-body: 10MiB
                  shutdown-grace: 1m
                node:
                  id: node-1
                  address: 10.0.0.5
                  zone: zone-b
                  region: eu-1
                cluster:
                  zookeeper: zk1:2181,zk2:2181
                  embedded-port: 2181
                  session-timeout: 30s
                  connection-timeout: 2s
                  operation-timeout: 500ms
                sidecar:
                  driver: docker
                  port-range: 30000-30099
                  start-timeout: 1m
                  max-pods: 8
                  stop-grace: 0s
                  drivers:
                    docker:
                      socket: /var/run/docker.sock
                      network: none
                store:
                  retention: 1d
                  max-log-line: 1KiB
                """);
        assertEquals(Path.of("/var/lib/nest"), c.dataDir());
        assertEquals(Path.of("functions"), c.functionsDir());
        assertEquals(Path.of("/opt/nest/runtimes"), c.runtimesDir());
        assertEquals(new NestConfig.Server("127.0.0.1", 9090, 10L * 1024 * 1024, Duration.ofMinutes(1)), c.server());
        assertEquals(new NestConfig.Node("node-1", "10.0.0.5", "zone-b", "eu-1"), c.node());
        assertEquals(new NestConfig.Cluster("zk1:2181,zk2:2181", 2181, Duration.ofSeconds(30), Duration.ofSeconds(2),
                Duration.ofMillis(500)), c.cluster());
        assertFalse(c.cluster().embedded());
        assertEquals(new NestConfig.Sidecar("docker", 30000, 30099, Duration.ofMinutes(1), 8, Duration.ZERO,
                Map.of("docker", Map.of("socket", "/var/run/docker.sock", "network", "none"))), c.sidecar());
        assertEquals(new NestConfig.Store(Duration.ofDays(1), 1024), c.store());
        assertEquals("node-1", c.nodeId());
    }

    /** One mistake each: the YAML, then what the message must contain (key, value, range). */
    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("server:\n  port: 70000\n", "server.port", "70000", "an integer from 0 to 65535"),
                Arguments.of("server:\n  port: -1\n", "server.port", "-1", "an integer from 0 to 65535"),
                Arguments.of("server:\n  port: http\n", "server.port", "http", "an integer from 0 to 65535"),
                Arguments.of("server:\n  max-body: 2GiB\n", "server.max-body", "2GiB", "from 1KiB to 1GiB"),
                Arguments.of("server:\n  max-body: lots\n", "server.max-body", "lots", Sizes.ALLOWED),
                Arguments.of("server:\n  shutdown-grace: 5 parsecs\n", "server.shutdown-grace", "5 parsecs",
                        Durations.ALLOWED + ", from 0ms to 10m"),
                Arguments.of("node:\n  region: Not OK\n", "node.region", "Not OK", "lower-case letters, digits and '-'"),
                Arguments.of("cluster:\n  embedded-port: 65536\n", "cluster.embedded-port", "65536", "from 0 to 65535"),
                Arguments.of("cluster:\n  session-timeout: 10m\n", "cluster.session-timeout", "10m", "from 1s to 5m"),
                Arguments.of("cluster:\n  connection-timeout: 50ms\n", "cluster.connection-timeout", "50ms", "from 100ms to 5m"),
                Arguments.of("cluster:\n  operation-timeout: 1h\n", "cluster.operation-timeout", "1h", "from 100ms to 5m"),
                Arguments.of("cluster:\n  burst-release: 11m\n", "cluster.burst-release", "11m", "from 0ms to 10m"),
                Arguments.of("cluster:\n  burst-release: soon\n", "cluster.burst-release", "soon", Durations.ALLOWED),
                Arguments.of("cluster:\n  node-probe-start-grace: 6m\n", "cluster.node-probe-start-grace", "6m", "from 0ms to 5m"),
                Arguments.of("cluster:\n  node-probe-start-grace: -1s\n", "cluster.node-probe-start-grace", "-1s", "from 0ms to 5m"),
                Arguments.of("cluster:\n  node-probe-start-grace: ten\n", "cluster.node-probe-start-grace", "ten", Durations.ALLOWED),
                Arguments.of("sidecar:\n  port-range: 30000-20000\n", "sidecar.port-range", "30000-20000", "1024 <= FROM <= TO <= 65535"),
                Arguments.of("sidecar:\n  port-range: 80-90\n", "sidecar.port-range", "80-90", "1024 <= FROM <= TO <= 65535"),
                Arguments.of("sidecar:\n  port-range: 20000-70000\n", "sidecar.port-range", "20000-70000", "1024 <= FROM <= TO <= 65535"),
                Arguments.of("sidecar:\n  port-range: 20000\n", "sidecar.port-range", "20000", "FROM-TO"),
                Arguments.of("sidecar:\n  max-pods: 0\n", "sidecar.max-pods", "0", "from 1 to 100000"),
                Arguments.of("sidecar:\n  start-timeout: 0s\n", "sidecar.start-timeout", "0s", "from 100ms to 10m"),
                Arguments.of("sidecar:\n  stop-grace: 6m\n", "sidecar.stop-grace", "6m", "from 0ms to 5m"),
                Arguments.of("store:\n  retention: 30s\n", "store.retention", "30s", "from 1m to 3650d"),
                Arguments.of("store:\n  max-log-line: 10\n", "store.max-log-line", "10", "from 256B to 1MiB"),
                Arguments.of("store:\n  max-log-line: 2MiB\n", "store.max-log-line", "2MiB", "from 256B to 1MiB"),
                Arguments.of("artifacts:\n  package-format: 3\n", "artifacts.package-format", "3", "auto (format 2 once every node reads it), 1 or 2"),
                Arguments.of("artifacts:\n  package-format: latest\n", "artifacts.package-format", "latest", "1 or 2"),
                Arguments.of("server: 8080\n", "server", "8080", "a mapping of keys"));
    }

    @ParameterizedTest(name = "[{index}] {1}: {2}")
    @MethodSource("mistakes")
    void aMistakeIsNamedByKeyValueAndRange(String yaml, String key, String value, String allowed) throws IOException {
        ConfigException e = refused(yaml);
        assertEquals(400, e.status());
        String m = e.getMessage();
        assertTrue(m.startsWith(dir.resolve("nest.yaml").toString() + ": "), "names the file: " + m);
        assertTrue(m.contains("key '" + key + "'"), "names the key: " + m);
        assertTrue(m.contains("value '" + value + "'"), "names the value: " + m);
        assertTrue(m.contains(allowed), "names the range '" + allowed + "': " + m);
        assertEquals(1, m.split("; key '").length, "one problem only: " + m);
    }

    @Test
    void readsWarmPoolsAndThePreviousVersionKeepAlive() throws IOException {
        NestConfig c = load("""
                sidecar:
                  pool:
                    nodejs: 3
                    java: 0
                  pool-idle: 2m
                  previous-version-keep-alive: 30s
                """);
        assertEquals(new NestConfig.Pool(Map.of("nodejs", 3, "java", 0), Duration.ofMinutes(2)), c.sidecar().pool());
        assertEquals(Duration.ofSeconds(30), c.sidecar().previousVersionKeepAlive());
        String m = refused("sidecar:\n  pool:\n    nodejs: -1\n    java: many\n").getMessage();
        assertTrue(m.contains("key 'sidecar.pool.nodejs': value '-1'"), m);
        assertTrue(m.contains("key 'sidecar.pool.java': value 'many'"), m);
        assertTrue(refused("sidecar:\n  pool: 2\n").getMessage().contains("a mapping of runtime name to pool size"));
    }

    @Test
    void everyMistakeOfAFileIsListed() throws IOException {
        ConfigException e = refused("""
                prot: 1
                server:
                  port: 70000
                  max-body: lots
                cluster:
                  session-timeout: 5 parsecs
                sidecar:
                  port-range: 30000-20000
                  max-pods: 0
                  drvier: docker
                node:
                  region: Not OK
                store:
                  max-log-line: 10
                """);
        String m = e.getMessage();
        for (String expected : new String[] {
                "key 'prot' is unknown",
                "key 'server.port': value '70000'",
                "key 'server.max-body': value 'lots'",
                "key 'cluster.session-timeout': value '5 parsecs'",
                "key 'sidecar.port-range': value '30000-20000'",
                "key 'sidecar.max-pods': value '0'",
                "key 'sidecar.drvier' is unknown",
                "key 'node.region': value 'Not OK'",
                "key 'store.max-log-line': value '10'"}) {
            assertTrue(m.contains(expected), "lists " + expected + ": " + m);
        }
        assertEquals(9, m.split("; key '").length, m);
    }

    static Stream<Arguments> unknownKeys() {
        return Stream.of(
                Arguments.of("prot: 8080\n", "prot",
                        "artifacts, async, cluster, data-dir, functions-dir, gateway, node, plugins-dir, runtimes-dir, server, sidecar, store"),
                Arguments.of("server:\n  prot: 8080\n", "server.prot", "host, max-body, port, shutdown-grace"),
                Arguments.of("node:\n  name: a\n", "node.name", "address, id, region, zone"),
                Arguments.of("cluster:\n  zk: a\n", "cluster.zk",
                        "artifact-replicas, burst-release, connection-timeout, embedded-port, node-probe, node-probe-start-grace, operation-timeout, secret, secret-file, "
                                + "session-timeout, zookeeper"),
                Arguments.of("sidecar:\n  ports: 1-2\n", "sidecar.ports",
                        "burst-workers, driver, drivers, max-pods, merge-across-namespaces, merge-below, merge-below-in-flight, merged-allocation-budget, merged-host-memory, pool,"
                                + " pool-idle, port-range,"
                                + " previous-version-keep-alive, start-timeout, stop-grace"),
                Arguments.of("store:\n  retain: 1d\n", "store.retain", "max-log-line, max-size, retention"));
    }

    @Test
    void readsTheMergedPlacementSettingsAndNamesAWrongValue() throws IOException {
        assertEquals(NestConfig.Merged.DEFAULT, NestConfig.defaults().sidecar().merged());
        assertEquals(new NestConfig.Merged(120, true, 48, 64, 0, 75), load("sidecar:\n  merge-below: 120\n"
                + "  merge-across-namespaces: true\n  merged-host-memory: 48\n").sidecar().merged());
        assertEquals(new NestConfig.Merged(0, false, 64, 0, 0, 75), load("sidecar:\n  merge-below: 0\n"
                + "  merged-allocation-budget: 0\n").sidecar().merged());
        assertEquals(6, NestConfig.Merged.DEFAULT.mergeBelow(), "auto merges the quiet long tail by default (ADR 0025)");
        String b = refused("sidecar:\n  merged-allocation-budget: lots\n").getMessage();
        assertTrue(b.contains("key 'sidecar.merged-allocation-budget'"), b);
        String m = refused("sidecar:\n  merge-across-namespaces: sometimes\n").getMessage();
        assertTrue(m.contains("key 'sidecar.merge-across-namespaces': value 'sometimes' is not valid; allowed: true or false"), m);
        m = refused("sidecar:\n  merge-below: -1\n").getMessage();
        assertTrue(m.contains("key 'sidecar.merge-below': value '-1' is not valid; allowed: an integer from 0 to 1000000"), m);
        assertEquals(new NestConfig.Merged(6, false, 64, 64, 1.5, 75), load("sidecar:\n  merge-below-in-flight: 1.5\n")
                .sidecar().merged());
        assertEquals(new NestConfig.Merged(6, false, 64, 64, 4, 75), load("sidecar:\n  merge-below-in-flight: 4\n")
                .sidecar().merged());
        assertEquals(new NestConfig.Merged(6, false, 64, 64, 0, 0), load("sidecar:\n  burst-workers: 0\n").sidecar().merged());
        assertEquals(90, load("sidecar:\n  burst-workers: 90\n").sidecar().merged().burstPercentile());
        assertTrue(NestConfig.Merged.DEFAULT.burstWorkers(), "burst workers are on by default (ADR 0025)");
        assertTrue(!new NestConfig.Merged(0, false, 64, 64, 0, 75).burstWorkers(), "merge-below 0 turns them off too");
        for (String bad : new String[] {"-1", "101", "most"}) {
            m = refused("sidecar:\n  burst-workers: " + bad + "\n").getMessage();
            assertTrue(m.contains("key 'sidecar.burst-workers': value '" + bad
                    + "' is not valid; allowed: a number from 0 to 100"), m);
        }
        for (String bad : new String[] {"-1", "many", "100001", "1/2"}) {
            m = refused("sidecar:\n  merge-below-in-flight: " + bad + "\n").getMessage();
            assertTrue(m.contains("key 'sidecar.merge-below-in-flight': value '" + bad
                    + "' is not valid; allowed: a number from 0 to 100000"), m);
        }
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("unknownKeys")
    void unknownKeysAreRefusedListingTheAllowedOnes(String yaml, String key, String allowed) throws IOException {
        String m = refused(yaml).getMessage();
        assertTrue(m.contains("key '" + key + "' is unknown; allowed keys here are " + allowed), m);
    }

    @Test
    void readsTheAsyncBlock() throws IOException {
        NestConfig c = load("""
                async:
                  queue: h2
                  max-payload: 256KiB
                  concurrency: 8
                  lease-time: 30m
                  poll: 250ms
                  retention: 3d
                """);
        assertEquals(new dev.nest.async.AsyncConfig("h2", 256 * 1024, 8, java.time.Duration.ofMinutes(30),
                java.time.Duration.ofMillis(250), java.time.Duration.ofDays(3)), c.async());
        assertEquals(dev.nest.async.AsyncConfig.DEFAULTS, NestConfig.defaults().async());
    }

    @Test
    void readsTheGatewayBlock() throws IOException {
        NestConfig c = load("""
                gateway:
                  header-timeout: 2s
                  idle-timeout: 30s
                  body-timeout: 5s
                  body-min-rate: 4KiB
                  max-connections: 500
                """);
        assertEquals(new NestConfig.Gateway(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(30),
                java.time.Duration.ofSeconds(5), 4096, 500), c.gateway());
        assertEquals(NestConfig.Gateway.DEFAULTS, NestConfig.defaults().gateway());
    }

    @Test
    void aBadGatewayValueNamesKeyValueAndRange() throws IOException {
        String m = refused("gateway:\n  header-timeout: 0s\n  max-connections: -1\n  timeout: 1s\n"
                + "  event-loops: -1\n  pipeline-depth: 0\n").getMessage();
        assertTrue(m.contains("key 'gateway.header-timeout': value '0s' is not valid") && m.contains("from 100ms to 1h"), m);
        assertTrue(m.contains("key 'gateway.max-connections': value '-1' is not valid; allowed: an integer from 0 to 10000000"), m);
        assertTrue(m.contains("key 'gateway.timeout' is unknown; allowed keys here are body-min-rate, body-timeout,"
                + " event-loops, header-timeout, idle-timeout, max-connections, pipeline-depth"), m);
        assertTrue(m.contains("key 'gateway.event-loops': value '-1' is not valid; allowed: an integer from 0 to 256"), m);
        assertTrue(m.contains("key 'gateway.pipeline-depth': value '0' is not valid; allowed: an integer from 1 to 16"), m);
    }

    @Test
    void eventLoopsAndPipelineDepthAreRead() throws IOException {
        Path f = dir.resolve("gateway-loops.yaml");
        Files.writeString(f, "gateway:\n  event-loops: 1\n  pipeline-depth: 4\n");
        NestConfig c = NestConfig.load(f);
        assertEquals(1, c.gateway().eventLoops());
        assertEquals(4, c.gateway().pipelineDepth());
        assertEquals(0, NestConfig.defaults().gateway().eventLoops());
        assertEquals(NestConfig.Gateway.DEFAULT_PIPELINE_DEPTH, NestConfig.defaults().gateway().pipelineDepth());
    }

    @Test
    void aPluginQueueGetsItsBlockAsSettingsAndPluginsDirIsResolved() throws IOException {
        Path f = dir.resolve("plugin-queue.yaml");
        Files.writeString(f, "plugins-dir: ./my-plugins\nasync:\n  queue: kafka\n  kafka:\n    bootstrap-servers: a:9092\n"
                + "    partitions: 12\n");
        NestConfig c = NestConfig.load(f);
        assertEquals("kafka", c.async().queue());
        assertEquals(java.util.Map.of("bootstrap-servers", "a:9092", "partitions", "12"), c.async().settings());
        assertEquals(Path.of("my-plugins"), c.pluginsDir());
        assertEquals(dev.nest.plugin.Plugins.defaultDir(), NestConfig.defaults().pluginsDir());
    }

    @Test
    void httpDestinationsAreOffUntilHostsAreAllowed() throws IOException {
        assertTrue(NestConfig.defaults().async().destinations().allow().isEmpty());
        Path f = dir.resolve("destinations.yaml");
        Files.writeString(f, "async:\n  destinations:\n    allow: [hooks.example.com, '*.acme.io']\n");
        assertEquals(java.util.List.of("hooks.example.com", "*.acme.io"), NestConfig.load(f).async().destinations().allow());
        String m = refused("async:\n  destinations:\n    allow: ['https://x.io']\n    deny: [a]\n").getMessage();
        assertTrue(m.contains("key 'async.destinations.allow'") && m.contains("is not a host name"), m);
        assertTrue(m.contains("key 'async.destinations.deny'"), m);
    }

    @Test
    void anUnknownAsyncQueueNamesKeyValueAndTheAllowedOnes() throws IOException {
        String m = refused("async:\n  queue: Kafka!\n").getMessage();
        assertTrue(m.contains("key 'async.queue': value 'Kafka!' is not valid; allowed: h2, or a queue plugin's name"), m);
        String nested = refused("async:\n  queue: kafka\n  kafka:\n    topic: [a, b]\n").getMessage();
        assertTrue(nested.contains("key 'async.kafka.topic': value '[\"a\",\"b\"]' is not valid; allowed: a single value"), nested);
        String bad = refused("async:\n  concurrency: 0\n  lease-time: 10s\n").getMessage();
        assertTrue(bad.contains("'async.concurrency'") && bad.contains("'async.lease-time'"), bad);
    }

    @Test
    void readsTheClusterSecretAndNeverShowsIt() throws IOException {
        NestConfig c = load("""
                cluster:
                  zookeeper: "zk1:2181"
                  secret: "correct-horse-battery-staple"
                """);
        assertEquals("correct-horse-battery-staple", c.cluster().secret());
        assertEquals("", c.cluster().secretFile());
        assertFalse(c.toString().contains("correct-horse"), c.toString());
        NestConfig f = load("cluster:\n  secret-file: secrets/cluster\n");
        assertEquals(Path.of("secrets/cluster").normalize().toString(), f.cluster().secretFile());
    }

    @Test
    void aShortClusterSecretIsRefusedWithoutShowingIt() throws IOException {
        String m = refused("cluster:\n  secret: hunter2\n").getMessage();
        assertTrue(m.contains("key 'cluster.secret'") && m.contains("at least 16 characters"), m);
        assertFalse(m.contains("hunter2"), m);
    }

    @Test
    void aClusterSecretAndASecretFileTogetherAreRefused() throws IOException {
        String m = refused("cluster:\n  secret: 0123456789abcdef\n  secret-file: s\n").getMessage();
        assertTrue(m.contains("key 'cluster.secret-file'") && m.contains("give one of the two"), m);
    }

    @Test
    void aFileThatIsNotAMappingIsRefused() throws IOException {
        assertTrue(refused("- a\n- b\n").getMessage().contains("must be a mapping"));
    }

    @Test
    void invalidYamlIsRefusedNamingTheFile() throws IOException {
        ConfigException e = refused("server: [unclosed\n");
        assertTrue(e.getMessage().contains("is not valid YAML"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("nest.yaml").toString()), e.getMessage());
    }

    @Test
    void aMissingFileIsRefusedNamingIt() {
        Path missing = dir.resolve("nope.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> NestConfig.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("--config"), e.getMessage());
    }

    @Test
    void withersChangeOneThing() {
        NestConfig d = NestConfig.defaults();
        assertEquals(9999, d.withPort(9999).server().port());
        assertEquals(d.server().maxBody(), d.withPort(9999).server().maxBody());
        assertEquals(Path.of("/x"), d.withDataDir(Path.of("/x")).dataDir());
        assertEquals(d.functionsDir(), d.withDataDir(Path.of("/x")).functionsDir());
        assertEquals("n1-9999", d.withNode(new NestConfig.Node("n1-9999", "a", "z", "r")).withPort(9999).nodeId());
    }

    @Test
    void nodeIdWithoutConfiguredIdIsAHostNameLabelAndThePort() {
        String id = NestConfig.defaults().withPort(8123).nodeId();
        assertTrue(id.matches("[a-z0-9-]+-8123"), id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badDrivers")
    void driversThatAreNotMappingsAreRefused(String yaml, String key) throws IOException {
        assertTrue(refused(yaml).getMessage().contains("key '" + key + "'"));
    }

    static Stream<Arguments> badDrivers() {
        return Stream.of(
                Arguments.of("sidecar:\n  drivers: docker\n", "sidecar.drivers"),
                Arguments.of("sidecar:\n  drivers:\n    docker: 5\n", "sidecar.drivers.docker"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("containersForScalars")
    void aListOrMappingForAScalarKeyIsRefused(String yaml, String key) throws IOException {
        assertTrue(refused(yaml).getMessage().contains("key '" + key + "'"));
    }

    static Stream<Arguments> containersForScalars() {
        return Stream.of(
                Arguments.of("data-dir: [a, b]\n", "data-dir"),
                Arguments.of("server:\n  host: {a: 1}\n", "server.host"),
                Arguments.of("sidecar:\n  driver: [docker]\n", "sidecar.driver"));
    }

    // ---- the shipped config/nest.yaml documents the defaults -------------------------------------------

    @Test
    void shippedConfigDocumentsExactlyTheDefaults() throws IOException {
        assertTrue(Files.isRegularFile(SHIPPED), "config/nest.yaml is missing: it must document every key with its"
                + " default (working directory " + Path.of("").toAbsolutePath() + ")");
        JsonNode shipped = Json.yaml().readTree(SHIPPED.toFile());
        Map<String, String> documented = leaves(shipped);
        Map<String, String> defaults = leaves(NestConfig.defaultsTree());
        assertEquals(defaults, documented, "config/nest.yaml must list every key with the value of"
                + " NestConfig.defaultsTree()");
        assertEquals(NestConfig.defaults(), NestConfig.load(SHIPPED), "loading config/nest.yaml gives the defaults");
    }

    @Test
    void defaultsTreeParsesToTheDefaults() {
        assertEquals(NestConfig.defaults(), NestConfig.parse(NestConfig.defaultsTree(), "(tree)", Path.of(".")));
    }

    /**
     * Flattens a tree to dotted keys and their text. A YAML null stands for the empty string, as in
     * {@code zookeeper:} or {@code id:} documented with no value; an empty mapping has no leaves.
     */
    private static Map<String, String> leaves(JsonNode tree) {
        Map<String, String> out = new TreeMap<>();
        flatten("", tree, out);
        return out;
    }

    private static void flatten(String prefix, JsonNode n, Map<String, String> out) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else {
            out.put(prefix, n.isNull() ? "" : n.asText());
        }
    }

    @Test
    void readsTheServersTlsFilesResolvedAgainstTheWorkingDirectory() throws IOException {
        NestConfig c = load("server:\n  tls:\n    cert: certs/cert.pem\n    key: certs/key.pem\n    ca: certs/ca.pem\n");
        assertEquals(new TlsConfig(Path.of("certs/cert.pem").toString(), Path.of("certs/key.pem").toString(),
                Path.of("certs/ca.pem").toString()), c.server().tls());
        assertTrue(c.server().tls().enabled());
        assertEquals("https", c.server().tls().scheme());
        assertEquals(TlsConfig.NONE, NestConfig.defaults().server().tls());
        assertEquals(c.server().tls(), c.withPort(9999).server().tls(), "a chosen port keeps the TLS files");
    }

    @Test
    void refusesHalfATlsSetting() throws IOException {
        String m = refused("server:\n  tls:\n    cert: cert.pem\n").getMessage();
        assertTrue(m.contains("server.tls.key") && m.contains("server.tls.cert"), m);
        m = refused("server:\n  tls:\n    key: key.pem\n").getMessage();
        assertTrue(m.contains("'server.tls.cert'"), m);
        m = refused("server:\n  tls:\n    ca: ca.pem\n").getMessage();
        assertTrue(m.contains("server.tls.ca") && m.contains("ca.pem"), m);
        m = refused("server:\n  tls:\n    certificate: c.pem\n").getMessage();
        assertTrue(m.contains("certificate") && m.contains("is unknown"), m);
    }

    @Test
    void burstReleaseDefaultsAndTurnsOff() throws IOException {
        assertEquals(NestConfig.Cluster.DEFAULT_BURST_RELEASE, load("node:\n  id: a\n").cluster().burstRelease());
        assertEquals(Duration.ZERO, load("cluster:\n  burst-release: 0s\n").cluster().burstRelease());
        assertEquals(Duration.ofMinutes(1), load("cluster:\n  burst-release: 1m\n").cluster().burstRelease());
    }

    @Test
    void nodeProbeStartGraceDefaultsAndIsRead() throws IOException {
        assertEquals(Duration.ofSeconds(10), load("node:\n  id: a\n").cluster().nodeProbeStartGrace());
        assertEquals(Duration.ZERO, load("cluster:\n  node-probe-start-grace: 0s\n").cluster().nodeProbeStartGrace());
        assertEquals(Duration.ofSeconds(30), load("cluster:\n  node-probe-start-grace: 30s\n").cluster().nodeProbeStartGrace());
    }
}
