package dev.nest.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.async.AsyncConfig;
import dev.nest.common.Durations;
import dev.nest.common.Json;
import dev.nest.common.Sizes;
import dev.nest.plugin.Plugins;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A node's whole configuration: one record per module, read from {@code nest.yaml} (every key optional,
 * documented in {@code config/nest.yaml}) and validated with messages naming the key, value and range.
 */
public record NestConfig(Path dataDir, Path functionsDir, Path runtimesDir, Server server, Node node,
                         Cluster cluster, Sidecar sidecar, Store store, AsyncConfig async, Gateway gateway, Path pluginsDir,
                         TracingConfig tracing, ArtifactsConfig artifacts) {

    /** Settings with the default {@code artifacts:} block ({@link ArtifactsConfig#DEFAULTS}). */
    public NestConfig(Path dataDir, Path functionsDir, Path runtimesDir, Server server, Node node, Cluster cluster,
                      Sidecar sidecar, Store store, AsyncConfig async, Gateway gateway, Path pluginsDir,
                      TracingConfig tracing) {
        this(dataDir, functionsDir, runtimesDir, server, node, cluster, sidecar, store, async, gateway, pluginsDir,
                tracing, ArtifactsConfig.DEFAULTS);
    }

    /** Settings with tracing export off ({@link TracingConfig#DEFAULTS}). */
    public NestConfig(Path dataDir, Path functionsDir, Path runtimesDir, Server server, Node node, Cluster cluster,
                      Sidecar sidecar, Store store, AsyncConfig async, Gateway gateway, Path pluginsDir) {
        this(dataDir, functionsDir, runtimesDir, server, node, cluster, sidecar, store, async, gateway, pluginsDir,
                TracingConfig.DEFAULTS);
    }

    /** Settings with the default {@code plugins-dir} ({@link Plugins#defaultDir()}). */
    public NestConfig(Path dataDir, Path functionsDir, Path runtimesDir, Server server, Node node, Cluster cluster,
                      Sidecar sidecar, Store store, AsyncConfig async, Gateway gateway) {
        this(dataDir, functionsDir, runtimesDir, server, node, cluster, sidecar, store, async, gateway, Plugins.defaultDir());
    }
    /** Settings with the default {@code gateway:} block ({@link Gateway#DEFAULTS}). */
    public NestConfig(Path dataDir, Path functionsDir, Path runtimesDir, Server server, Node node, Cluster cluster,
                      Sidecar sidecar, Store store, AsyncConfig async) {
        this(dataDir, functionsDir, runtimesDir, server, node, cluster, sidecar, store, async, Gateway.DEFAULTS);
    }

    /** HTTP listener shared by the gateway, the admin API and health. */
    public record Server(String host, int port, long maxBody, Duration shutdownGrace, TlsConfig tls) {
        public Server(String host, int port, long maxBody, Duration shutdownGrace) {
            this(host, port, maxBody, shutdownGrace, TlsConfig.NONE);
        }
    }

    /** This node's identity in the cluster. */
    public record Node(String id, String address, String zone, String region) {
    }

    /**
     * ZooKeeper: an external ensemble, or empty for the embedded single-server default; and the cluster secret every
     * node shares ({@code secret}, or the file {@code secretFile} holding it; both empty: generated for the embedded
     * server, required for an ensemble). {@link #toString} never shows the secret.
     */
    public record Cluster(String zookeeper, int embeddedPort, Duration sessionTimeout, Duration connectionTimeout,
                          Duration operationTimeout, int artifactReplicas, Duration nodeProbe, String secret,
                          String secretFile, Duration burstRelease, Duration nodeProbeStartGrace) {
        /** The default node probe interval: a dead node's port is tried every second (0 turns the probe off). */
        public static final Duration DEFAULT_NODE_PROBE = Duration.ofSeconds(1);
        /**
         * {@code cluster.node-probe-start-grace}: how long after the probe first saw a node's registration that node's
         * refusals count even if its port never answered (a node still starting refuses; one killed during its start
         * refuses for good). At most {@link #MAX_NODE_PROBE_START_GRACE}.
         */
        public static final Duration DEFAULT_NODE_PROBE_START_GRACE = Duration.ofSeconds(10);
        /** The longest {@code cluster.node-probe-start-grace}. */
        public static final Duration MAX_NODE_PROBE_START_GRACE = Duration.ofMinutes(5);

        /** Settings with the default {@code cluster.node-probe-start-grace}. */
        public Cluster(String zookeeper, int embeddedPort, Duration sessionTimeout, Duration connectionTimeout,
                       Duration operationTimeout, int artifactReplicas, Duration nodeProbe, String secret,
                       String secretFile, Duration burstRelease) {
            this(zookeeper, embeddedPort, sessionTimeout, connectionTimeout, operationTimeout, artifactReplicas,
                    nodeProbe, secret, secretFile, burstRelease, DEFAULT_NODE_PROBE_START_GRACE);
        }

        /**
         * {@code cluster.burst-release}: the leader's scaler releases a function's instances above its steady need
         * (the 95th percentile of its concurrency over 10 minutes) once the lower count has held this long, instead of
         * waiting {@code scale-down-delay} (0s, the default: off; at most {@link #MAX_BURST_RELEASE}). Off by default:
         * on the replayed Azure day it trades more pod cold starts for less idle memory (ADR 0025, *Burst release*).
         */
        public static final Duration DEFAULT_BURST_RELEASE = Duration.ofSeconds(30);
        /** The longest {@code cluster.burst-release}. */
        public static final Duration MAX_BURST_RELEASE = Duration.ofMinutes(10);

        /** Settings with the default {@code cluster.burst-release}. */
        public Cluster(String zookeeper, int embeddedPort, Duration sessionTimeout, Duration connectionTimeout,
                       Duration operationTimeout, int artifactReplicas, Duration nodeProbe, String secret,
                       String secretFile) {
            this(zookeeper, embeddedPort, sessionTimeout, connectionTimeout, operationTimeout, artifactReplicas,
                    nodeProbe, secret, secretFile, DEFAULT_BURST_RELEASE);
        }

        /** The shortest {@code cluster.secret} accepted. */
        public static final int MIN_SECRET_LENGTH = 16;

        /** No secret configured: generated for the embedded server, required for an ensemble. */
        public Cluster(String zookeeper, int embeddedPort, Duration sessionTimeout, Duration connectionTimeout,
                       Duration operationTimeout, int artifactReplicas, Duration nodeProbe) {
            this(zookeeper, embeddedPort, sessionTimeout, connectionTimeout, operationTimeout, artifactReplicas,
                    nodeProbe, "", "");
        }

        /** The defaults for what is not given: {@code artifact-replicas} 2, {@code node-probe} 1s. */
        public Cluster(String zookeeper, int embeddedPort, Duration sessionTimeout, Duration connectionTimeout,
                       Duration operationTimeout) {
            this(zookeeper, embeddedPort, sessionTimeout, connectionTimeout, operationTimeout, 2);
        }

        /** The default for what is not given: {@code node-probe} 1s. */
        public Cluster(String zookeeper, int embeddedPort, Duration sessionTimeout, Duration connectionTimeout,
                       Duration operationTimeout, int artifactReplicas) {
            this(zookeeper, embeddedPort, sessionTimeout, connectionTimeout, operationTimeout, artifactReplicas,
                    DEFAULT_NODE_PROBE);
        }

        public boolean embedded() {
            return zookeeper.isBlank();
        }

        /** These settings with {@code cluster.secret} set to {@code value} (and no {@code secret-file}). */
        public Cluster withSecret(String value) {
            return new Cluster(zookeeper, embeddedPort, sessionTimeout, connectionTimeout, operationTimeout,
                    artifactReplicas, nodeProbe, value, "", burstRelease, nodeProbeStartGrace);
        }

        @Override
        public String toString() {
            return "Cluster[zookeeper=" + zookeeper + ", embeddedPort=" + embeddedPort + ", sessionTimeout="
                    + sessionTimeout + ", connectionTimeout=" + connectionTimeout + ", operationTimeout="
                    + operationTimeout + ", artifactReplicas=" + artifactReplicas + ", nodeProbe=" + nodeProbe
                    + ", secret=" + (secret.isEmpty() ? "" : "(hidden)") + ", secretFile=" + secretFile
                    + ", burstRelease=" + burstRelease + ", nodeProbeStartGrace=" + nodeProbeStartGrace + "]";
        }
    }

    /** The node agent: which driver places pods, ports, limits. */
    public record Sidecar(String driver, int portFrom, int portTo, Duration startTimeout, int maxPods,
                          Duration stopGrace, Map<String, Map<String, String>> drivers, Pool pool,
                          Duration previousVersionKeepAlive, Merged merged) {
        public Sidecar {
            java.util.Objects.requireNonNull(merged, "merged");
        }

        /** Settings with the default merged placement. */
        public Sidecar(String driver, int portFrom, int portTo, Duration startTimeout, int maxPods,
                       Duration stopGrace, Map<String, Map<String, String>> drivers, Pool pool,
                       Duration previousVersionKeepAlive) {
            this(driver, portFrom, portTo, startTimeout, maxPods, stopGrace, drivers, pool, previousVersionKeepAlive,
                    Merged.DEFAULT);
        }

        /** Settings with the default warm pools and previous-version keep-alive. */
        public Sidecar(String driver, int portFrom, int portTo, Duration startTimeout, int maxPods, Duration stopGrace,
                       Map<String, Map<String, String>> drivers) {
            this(driver, portFrom, portTo, startTimeout, maxPods, stopGrace, drivers, Pool.DEFAULT, DEFAULT_PREVIOUS_KEEP_ALIVE);
        }

        public static final Duration DEFAULT_PREVIOUS_KEEP_ALIVE = Duration.ofMinutes(10);
    }

    /**
     * Merged placement (ADR 0025): functions sharing one pod of their runtime.
     *
     * @param mergeBelow           {@code sidecar.merge-below}: a {@code deploy: auto} function whose recent traffic is
     *                             under this many requests per minute is merged; at or above it, dedicated
     * @param acrossNamespaces     {@code sidecar.merge-across-namespaces}: whether one merged pod may hold functions of
     *                             several namespaces (false: never)
     * @param hostMemoryMb         {@code sidecar.merged-host-memory}: MiB a merged pod gets on top of the sum of its
     *                             functions' memory (the host itself)
     * @param allocationBudgetMb   {@code sidecar.merged-allocation-budget}: MiB per second a function in a merged Java
     *                             pod may allocate, sustained over 10 s; over it, it moves to a pod of its own (0: no
     *                             budget)
     * @param inFlightBelow        {@code sidecar.merge-below-in-flight}: with a positive value, a merged auto function
     *                             moves to pods of its own only once it also keeps this many requests in flight on
     *                             average over the last minute (0: the rate alone decides)
     * @param burstPercentile      {@code sidecar.burst-workers}: a {@code deploy: auto} function in pods of its own
     *                             starts the instances beyond its steady need on this node (this percentile of its
     *                             per-second requests in flight over 10 minutes) as workers in a merged pod of its
     *                             namespace (0: off, every instance of a busy function gets a pod of its own)
     */
    public record Merged(int mergeBelow, boolean acrossNamespaces, int hostMemoryMb, int allocationBudgetMb,
                         double inFlightBelow, double burstPercentile) {
        public static final Merged DEFAULT = new Merged(6, false, 64, 64, 0, 75);

        /** Settings without burst workers ({@code sidecar.burst-workers: 0}). */
        public Merged(int mergeBelow, boolean acrossNamespaces, int hostMemoryMb, int allocationBudgetMb,
                      double inFlightBelow) {
            this(mergeBelow, acrossNamespaces, hostMemoryMb, allocationBudgetMb, inFlightBelow, 0);
        }

        /** Whether burst instances of busy {@code auto} functions start as merged workers. */
        public boolean burstWorkers() {
            return burstPercentile > 0 && mergeBelow > 0;
        }

        /** Settings with the default allocation budget. */
        public Merged(int mergeBelow, boolean acrossNamespaces, int hostMemoryMb) {
            this(mergeBelow, acrossNamespaces, hostMemoryMb, 64);
        }

        /** Settings with the rate rule alone ({@code merge-below-in-flight} 0). */
        public Merged(int mergeBelow, boolean acrossNamespaces, int hostMemoryMb, int allocationBudgetMb) {
            this(mergeBelow, acrossNamespaces, hostMemoryMb, allocationBudgetMb, 0);
        }
    }

    /**
     * Warm pools of generic pods per runtime on this node.
     *
     * @param sizes pods per runtime, overriding each runtime.yaml's {@code pool:}
     * @param idle  a pool pod unused this long is replaced by a fresh one
     */
    public record Pool(Map<String, Integer> sizes, Duration idle) {
        public static final Pool DEFAULT = new Pool(Map.of(), Duration.ofMinutes(10));

        public Pool {
            sizes = Map.copyOf(sizes);
        }
    }

    /**
     * The public port's defences against slow, idle and too many clients ({@code gateway:}).
     *
     * @param headerTimeout  the request line and headers must arrive within this, counted from the connection (or, on
     *                       a keep-alive connection, from the request's first byte); slower: 408 and close
     * @param idleTimeout    a keep-alive connection with no request in progress, or whose client does not read the
     *                       response, is closed after this
     * @param bodyTimeout    the grace after the head, then the window over which {@code bodyMinRate} is measured
     * @param bodyMinRate    bytes per second a body must keep arriving at after the grace (0: at least one byte per
     *                       window); slower: 408 and close
     * @param maxConnections client connections open at once (0: derived from the open-file limit); beyond it a new
     *                       connection is accepted and closed at once
     * @param eventLoops     the gateway's event loops (0: one per two available processors, at least one)
     * @param pipelineDepth  requests in flight on one connection to a runtime host at most (1: no pipelining; ADR
     *                       0028, addendum on upstream pipelining)
     */
    public record Gateway(Duration headerTimeout, Duration idleTimeout, Duration bodyTimeout, long bodyMinRate,
                          int maxConnections, List<String> trustedProxies, int eventLoops, int pipelineDepth) {
        /** The default of {@code gateway.pipeline-depth}. */
        public static final int DEFAULT_PIPELINE_DEPTH = 4;
        /** The largest {@code gateway.pipeline-depth}. */
        public static final int MAX_PIPELINE_DEPTH = 16;
        /** The largest {@code gateway.event-loops}. */
        public static final int MAX_EVENT_LOOPS = 256;
        public static final Gateway DEFAULTS = new Gateway(Duration.ofSeconds(10), Duration.ofMinutes(1),
                Duration.ofSeconds(10), 1024, 0, List.of());

        /** With the default event loops and pipeline depth. */
        public Gateway(Duration headerTimeout, Duration idleTimeout, Duration bodyTimeout, long bodyMinRate,
                       int maxConnections, List<String> trustedProxies) {
            this(headerTimeout, idleTimeout, bodyTimeout, bodyMinRate, maxConnections, trustedProxies, 0,
                    DEFAULT_PIPELINE_DEPTH);
        }

        /** Limits that trust no proxy's forwarding headers. */
        public Gateway(Duration headerTimeout, Duration idleTimeout, Duration bodyTimeout, long bodyMinRate,
                       int maxConnections) {
            this(headerTimeout, idleTimeout, bodyTimeout, bodyMinRate, maxConnections, List.of());
        }

        public Gateway {
            trustedProxies = List.copyOf(trustedProxies);
            positive("gateway.header-timeout", headerTimeout);
            positive("gateway.idle-timeout", idleTimeout);
            positive("gateway.body-timeout", bodyTimeout);
            if (bodyMinRate < 0) {
                throw new IllegalArgumentException("gateway.body-min-rate: " + bodyMinRate + " is negative");
            }
            if (maxConnections < 0) {
                throw new IllegalArgumentException("gateway.max-connections: " + maxConnections
                        + " is negative; 0 derives it from the open-file limit");
            }
            if (eventLoops < 0 || eventLoops > MAX_EVENT_LOOPS) {
                throw new IllegalArgumentException("gateway.event-loops: " + eventLoops + " is not between 0 (one per "
                        + "two available processors) and " + MAX_EVENT_LOOPS);
            }
            if (pipelineDepth < 1 || pipelineDepth > MAX_PIPELINE_DEPTH) {
                throw new IllegalArgumentException("gateway.pipeline-depth: " + pipelineDepth + " is not between 1 "
                        + "(no pipelining) and " + MAX_PIPELINE_DEPTH);
            }
        }

        private static void positive(String key, Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(key + ": " + d + " is not positive");
            }
        }
    }

    /**
     * H2 node store: retention of invocation records and logs, by age ({@code retention}) and by size
     * ({@code max-size}, the oldest go first).
     */
    public record Store(Duration retention, int maxLogLineBytes, long maxBytes) {
        /** The default of {@code store.max-size}. */
        public static final long DEFAULT_MAX_BYTES = 1L << 30;

        /** With the default size bound. */
        public Store(Duration retention, int maxLogLineBytes) {
            this(retention, maxLogLineBytes, DEFAULT_MAX_BYTES);
        }
    }

    /**
     * {@code gateway.trusted-proxies}: addresses or CIDR blocks whose {@code X-Forwarded-*} headers the gateway
     * believes; each must be a literal IPv4 or IPv6 address, optionally with a prefix length.
     */
    private static List<String> trustedProxies(ConfigReader r, JsonNode g) {
        JsonNode list = g == null ? null : g.get("trusted-proxies");
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            r.problem("gateway.trusted-proxies", list.toString(), "a list of addresses or CIDR blocks, e.g. [10.0.0.0/8]");
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : list) {
            String v = e.asText("");
            if (!e.isTextual() || !v.matches("[0-9A-Fa-f:.]+(/[0-9]{1,3})?")) {
                r.problem("gateway.trusted-proxies", e.toString(), "an IPv4 or IPv6 address, optionally /prefix-length");
            } else {
                out.add(v);
            }
        }
        return out;
    }

    static final Map<String, Set<String>> KEYS = withSection("artifacts", Set.of("package-format"), Map.of(
            "", Set.of("data-dir", "functions-dir", "runtimes-dir", "server", "node", "cluster", "sidecar", "store",
                    "async", "gateway", "plugins-dir", "tracing", "artifacts"),
            "tracing", Set.of("otlp-endpoint", "sample-ratio", "service-name", "queue-size"),
            "server", Set.of("host", "port", "max-body", "shutdown-grace", "tls"),
            "tls", Set.of("cert", "key", "ca"),
            "node", Set.of("id", "address", "zone", "region"),
            "cluster", Set.of("zookeeper", "embedded-port", "session-timeout", "connection-timeout", "operation-timeout",
                    "artifact-replicas", "node-probe", "node-probe-start-grace", "secret", "secret-file", "burst-release"),
            "sidecar", Set.of("driver", "port-range", "start-timeout", "max-pods", "stop-grace", "drivers", "pool", "pool-idle",
                    "previous-version-keep-alive", "merge-below", "merge-below-in-flight", "burst-workers", "merge-across-namespaces", "merged-host-memory",
                    "merged-allocation-budget"),
            "store", Set.of("retention", "max-log-line", "max-size"),
            "async", Set.of("queue", "max-payload", "concurrency", "lease-time", "poll", "retention", "h2", "kafka", "destinations"),
            "gateway", Set.of("header-timeout", "idle-timeout", "body-timeout", "body-min-rate", "max-connections",
                    "trusted-proxies", "event-loops", "pipeline-depth")));

    /** {@code keys} plus the section {@code name} (Map.of takes ten pairs at most). */
    private static Map<String, Set<String>> withSection(String name, Set<String> section, Map<String, Set<String>> keys) {
        Map<String, Set<String>> out = new java.util.HashMap<>(keys);
        out.put(name, section);
        return Map.copyOf(out);
    }

    /** Defaults: what {@code java -jar nest.jar} uses with no config file. */
    public static NestConfig defaults() {
        return parse(JsonNodeFactory.instance.objectNode(), "(defaults)", Path.of("."));
    }

    /**
     * Loads {@code file} (YAML). Relative paths in it are resolved against the working directory,
     * as a user running {@code java -jar nest.jar} from a folder expects.
     */
    public static NestConfig load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("config file " + file + " does not exist; pass an existing file to --config");
        }
        JsonNode tree;
        try {
            tree = Json.yaml().readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException(file + " is not valid YAML: " + e.getMessage(), e);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            tree = JsonNodeFactory.instance.objectNode();
        }
        return parse(tree, file.toString(), Path.of("."));
    }

    static NestConfig parse(JsonNode tree, String source, Path base) {
        ConfigReader r = new ConfigReader(source);
        if (!tree.isObject()) {
            throw new ConfigException(source + ": the document must be a mapping of keys (see config/nest.yaml)");
        }
        r.unknown(tree, "");
        Path data = base.resolve(r.text(tree, "data-dir", "./data")).normalize();
        Path functions = base.resolve(r.text(tree, "functions-dir", "./config/functions")).normalize();
        Path runtimes = base.resolve(r.text(tree, "runtimes-dir", "./runtimes")).normalize();
        Path plugins = tree.has("plugins-dir") ? base.resolve(r.text(tree, "plugins-dir", "")).normalize() : Plugins.defaultDir();

        JsonNode s = r.section(tree, "server");
        Server server = new Server(r.text(s, "server.host", "0.0.0.0"), r.integer(s, "server.port", 8080, 0, 65535),
                r.size(s, "server.max-body", 6L * 1024 * 1024, 1024, 1L << 30),
                r.duration(s, "server.shutdown-grace", Duration.ofSeconds(10), Duration.ZERO, Duration.ofMinutes(10)),
                TlsConfig.of(key -> r.path(r.section(s, "tls"), key, base), r::problem));

        JsonNode n = r.section(tree, "node");
        String address = r.text(n, "node.address", "127.0.0.1");
        Node node = new Node(r.text(n, "node.id", ""), address, r.text(n, "node.zone", "zone-a"),
                r.label(n, "node.region", "default"));

        JsonNode c = r.section(tree, "cluster");
        Cluster cluster = new Cluster(r.text(c, "cluster.zookeeper", ""), r.integer(c, "cluster.embedded-port", 0, 0, 65535),
                r.duration(c, "cluster.session-timeout", Duration.ofSeconds(15), Duration.ofSeconds(1), Duration.ofMinutes(5)),
                r.duration(c, "cluster.connection-timeout", Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofMinutes(5)),
                r.duration(c, "cluster.operation-timeout", Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofMinutes(5)),
                r.integer(c, "cluster.artifact-replicas", 2, 1, 16),
                r.duration(c, "cluster.node-probe", Cluster.DEFAULT_NODE_PROBE, Duration.ZERO, Duration.ofMinutes(1)),
                r.secret(c, "cluster.secret"), r.path(c, "cluster.secret-file", base),
                r.duration(c, "cluster.burst-release", Cluster.DEFAULT_BURST_RELEASE, Duration.ZERO, Cluster.MAX_BURST_RELEASE),
                r.duration(c, "cluster.node-probe-start-grace", Cluster.DEFAULT_NODE_PROBE_START_GRACE, Duration.ZERO,
                        Cluster.MAX_NODE_PROBE_START_GRACE));
        if (!cluster.secret().isEmpty() && !cluster.secretFile().isEmpty()) {
            r.problem("cluster.secret-file", cluster.secretFile(), "empty when cluster.secret is set (give one of the two)");
        }

        JsonNode sc = r.section(tree, "sidecar");
        String driver = r.text(sc, "sidecar.driver", "process");
        String range = r.text(sc, "sidecar.port-range", "20000-29999");
        int from = 20000;
        int to = 29999;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,5})-(\\d{1,5})").matcher(range);
        if (!m.matches() || Integer.parseInt(m.group(1)) < 1024 || Integer.parseInt(m.group(2)) > 65535
                || Integer.parseInt(m.group(1)) > Integer.parseInt(m.group(2))) {
            r.problem("sidecar.port-range", range, "FROM-TO with 1024 <= FROM <= TO <= 65535, e.g. 20000-29999");
        } else {
            from = Integer.parseInt(m.group(1));
            to = Integer.parseInt(m.group(2));
        }
        Map<String, Map<String, String>> drivers = new LinkedHashMap<>();
        JsonNode d = sc.get("drivers");
        if (d != null && !d.isNull()) {
            if (!d.isObject()) {
                r.problem("sidecar.drivers", d.toString(), "a mapping of driver name to a mapping of its options");
            } else {
                d.fields().forEachRemaining(e -> {
                    if (!e.getValue().isObject()) {
                        r.problem("sidecar.drivers." + e.getKey(), e.getValue().toString(), "a mapping of option: value");
                        return;
                    }
                    Map<String, String> opts = new LinkedHashMap<>();
                    e.getValue().fields().forEachRemaining(o -> {
                        if (o.getValue().isContainerNode()) {
                            r.problem("sidecar.drivers." + e.getKey() + "." + o.getKey(), o.getValue().toString(), "a string");
                        } else {
                            opts.put(o.getKey(), o.getValue().asText());
                        }
                    });
                    drivers.put(e.getKey(), Map.copyOf(opts));
                });
            }
        }
        // warm pools: sidecar.pool.<runtime>: size
        Map<String, Integer> poolSizes = new LinkedHashMap<>();
        JsonNode pl = sc.get("pool");
        if (pl != null && !pl.isNull()) {
            if (!pl.isObject()) {
                r.problem("sidecar.pool", pl.toString(), "a mapping of runtime name to pool size, e.g. {nodejs: 2}");
            } else {
                pl.fields().forEachRemaining(e -> {
                    int size = r.integer(pl, "sidecar.pool." + e.getKey(), -1, 0, 100_000);
                    if (size >= 0) {
                        poolSizes.put(e.getKey(), size);
                    }
                });
            }
        }
        Pool pool = new Pool(poolSizes, r.duration(sc, "sidecar.pool-idle", Pool.DEFAULT.idle(), Duration.ofSeconds(1),
                Duration.ofDays(1)));
        Sidecar sidecar = new Sidecar(driver, from, to,
                r.duration(sc, "sidecar.start-timeout", Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofMinutes(10)),
                r.integer(sc, "sidecar.max-pods", 64, 1, 100_000),
                r.duration(sc, "sidecar.stop-grace", Duration.ofSeconds(5), Duration.ZERO, Duration.ofMinutes(5)),
                Map.copyOf(drivers), pool,
                r.duration(sc, "sidecar.previous-version-keep-alive", Sidecar.DEFAULT_PREVIOUS_KEEP_ALIVE, Duration.ZERO,
                        Duration.ofDays(1)),
                new Merged(r.integer(sc, "sidecar.merge-below", Merged.DEFAULT.mergeBelow(), 0, 1_000_000),
                        r.bool(sc, "sidecar.merge-across-namespaces", Merged.DEFAULT.acrossNamespaces()),
                        r.integer(sc, "sidecar.merged-host-memory", Merged.DEFAULT.hostMemoryMb(), 16, 65_536),
                        r.integer(sc, "sidecar.merged-allocation-budget", Merged.DEFAULT.allocationBudgetMb(), 0,
                                1_000_000),
                        r.decimal(sc, "sidecar.merge-below-in-flight", Merged.DEFAULT.inFlightBelow(), 0, 100_000),
                        r.decimal(sc, "sidecar.burst-workers", Merged.DEFAULT.burstPercentile(), 0, 100)));

        JsonNode st = r.section(tree, "store");
        Store store = new Store(r.duration(st, "store.retention", Duration.ofDays(7), Duration.ofMinutes(1), Duration.ofDays(3650)),
                (int) r.size(st, "store.max-log-line", 16 * 1024, 256, 1024 * 1024),
                r.size(st, "store.max-size", Store.DEFAULT_MAX_BYTES, 1024 * 1024, 1L << 50));
        AsyncConfig async = async(r, r.section(tree, "async"));
        JsonNode g = r.section(tree, "gateway");
        Gateway gd = Gateway.DEFAULTS;
        Gateway gateway = new Gateway(
                r.duration(g, "gateway.header-timeout", gd.headerTimeout(), Duration.ofMillis(100), Duration.ofHours(1)),
                r.duration(g, "gateway.idle-timeout", gd.idleTimeout(), Duration.ofMillis(100), Duration.ofDays(1)),
                r.duration(g, "gateway.body-timeout", gd.bodyTimeout(), Duration.ofMillis(100), Duration.ofHours(1)),
                r.size(g, "gateway.body-min-rate", gd.bodyMinRate(), 0, 1L << 30),
                r.integer(g, "gateway.max-connections", gd.maxConnections(), 0, 10_000_000),
                trustedProxies(r, g),
                r.integer(g, "gateway.event-loops", gd.eventLoops(), 0, Gateway.MAX_EVENT_LOOPS),
                r.integer(g, "gateway.pipeline-depth", gd.pipelineDepth(), 1, Gateway.MAX_PIPELINE_DEPTH));
        TracingConfig tracing = TracingConfig.read(r, r.section(tree, "tracing"));
        ArtifactsConfig artifacts = ArtifactsConfig.read(r, r.section(tree, "artifacts"));
        r.throwIfAny();
        return new NestConfig(data, functions, runtimes, server, node, cluster, sidecar, store, async, gateway, plugins,
                tracing, artifacts);
    }

    /** The {@code async:} block; defaults from {@link AsyncConfig#DEFAULTS}. */
    private static AsyncConfig async(ConfigReader r, JsonNode as) {
        AsyncConfig d = AsyncConfig.DEFAULTS;
        String queue = r.text(as, "async.queue", d.queue());
        if (!queue.matches("[a-z][a-z0-9-]{0,39}")) {
            r.problem("async.queue", queue, "h2, or a queue plugin's name such as kafka");
            queue = d.queue();
        }
        return new AsyncConfig(queue,
                r.size(as, "async.max-payload", d.maxPayload(), 1, 64L * 1024 * 1024),
                r.integer(as, "async.concurrency", d.concurrency(), 1, 10_000),
                r.duration(as, "async.lease-time", d.leaseTime(), Duration.ofMinutes(1), Duration.ofDays(7)),
                r.duration(as, "async.poll", d.poll(), Duration.ofMillis(1), Duration.ofMinutes(1)),
                r.duration(as, "async.retention", d.retention(), Duration.ofMinutes(1), Duration.ofDays(3650)),
                FlatBlock.read(as.get(queue), "async." + queue, r::problem), FlatBlock.destinations(as.get("destinations"), r::problem));
    }

    /** This node's id: {@code node.id}, else {@code <hostname>-<port>}. */
    public String nodeId() {
        if (!node.id().isBlank()) {
            return node.id();
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "node";
        }
        return host.toLowerCase().replaceAll("[^a-z0-9-]", "-") + "-" + server.port();
    }

    public NestConfig withPort(int port) {
        return new NestConfig(dataDir, functionsDir, runtimesDir, new Server(server.host(), port, server.maxBody(),
                server.shutdownGrace(), server.tls()), node, cluster, sidecar, store, async, gateway, pluginsDir, tracing, artifacts);
    }

    public NestConfig withDataDir(Path dir) {
        return new NestConfig(dir, functionsDir, runtimesDir, server, node, cluster, sidecar, store, async, gateway, pluginsDir, tracing, artifacts);
    }

    public NestConfig withFunctionsDir(Path dir) {
        return new NestConfig(dataDir, dir, runtimesDir, server, node, cluster, sidecar, store, async, gateway, pluginsDir, tracing, artifacts);
    }

    public NestConfig withRuntimesDir(Path dir) {
        return new NestConfig(dataDir, functionsDir, dir, server, node, cluster, sidecar, store, async, gateway, pluginsDir, tracing, artifacts);
    }

    public NestConfig withCluster(Cluster c) {
        return new NestConfig(dataDir, functionsDir, runtimesDir, server, node, c, sidecar, store, async, gateway, pluginsDir, tracing, artifacts);
    }

    public NestConfig withNode(Node n) {
        return new NestConfig(dataDir, functionsDir, runtimesDir, server, n, cluster, sidecar, store, async, gateway, pluginsDir, tracing, artifacts);
    }

    public NestConfig withSidecar(Sidecar s) {
        return new NestConfig(dataDir, functionsDir, runtimesDir, server, node, cluster, s, store, async, gateway, pluginsDir, tracing, artifacts);
    }

    /** The documented defaults as a YAML-shaped tree (used by the test that keeps config/nest.yaml honest). */
    public static ObjectNode defaultsTree() {
        return ConfigDefaults.tree(defaults());
    }
}
