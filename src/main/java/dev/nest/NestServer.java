package dev.nest;

import dev.nest.api.AdminApi;
import dev.nest.api.Errors;
import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.PackageLimits;
import dev.nest.cluster.Cluster;
import dev.nest.cluster.EmbeddedZooKeeper;
import dev.nest.cluster.NodeInfo;
import dev.nest.cluster.ReadyCount;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.config.ConfigException;
import dev.nest.config.NestConfig;
import dev.nest.deploy.ArtifactReplicator;
import dev.nest.deploy.CodeFetcher;
import dev.nest.deploy.Deployer;
import dev.nest.deploy.FunctionFiles;
import dev.nest.gateway.Gateway;
import dev.nest.metrics.NodeMetrics;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.sidecar.NodeAgent;
import dev.nest.spi.DriverContext;
import dev.nest.spi.SandboxDriver;
import dev.nest.spi.SandboxDriverProvider;
import dev.nest.store.NodeStore;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One Nest node: the composition root. {@link #start} builds every module in dependency order and starts
 * serving; {@link #close} stops them in reverse. No decisions are made here.
 */
public final class NestServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NestServer.class.getName());

    private final Deque<AutoCloseable> closers;
    private final WebServer web;
    private final int port;
    private final NestConfig config;
    private final Cluster cluster;
    private final FunctionFiles files;

    private NestServer(Deque<AutoCloseable> closers, WebServer web, NestConfig config, Cluster cluster, FunctionFiles files,
                       int port) {
        this.port = port;
        this.closers = closers;
        this.web = web;
        this.config = config;
        this.cluster = cluster;
        this.files = files;
    }

    /**
     * Starts a node. Fails fast, with a message that says what to change, when the data directory is in use,
     * the port is taken, the driver is unknown or ZooKeeper cannot be reached.
     */
    public static NestServer start(NestConfig requested) {
        Clock clock = Clock.systemUTC();
        Deque<AutoCloseable> closers = new ArrayDeque<>();
        StartupTimer timer = new StartupTimer();
        try {
            NestConfig config = requested.server().port() == 0 ? requested.withPort(freePort()) : requested;
            Path data = config.dataDir().toAbsolutePath().normalize();
            Files.createDirectories(data);
            closers.push(lock(data));
            timer.mark("lock");

            // Independent steps start in parallel: most of their time is class loading and file I/O.
            ExecutorService boot = Executors.newVirtualThreadPerTaskExecutor();
            Future<?> warmHelidon = boot.submit(NestServer::warmUpHelidon);
            Future<EmbeddedZooKeeper> embeddedZk = config.cluster().embedded()
                    ? boot.submit(() -> EmbeddedZooKeeper.start(data.resolve("zookeeper"), config.cluster().embeddedPort()))
                    : null;
            Future<NodeStore> storeF = boot.submit(() -> NodeStore.open(data, clock, config.store().retention(),
                    config.store().maxLogLineBytes()));
            Future<RuntimeRegistry> runtimesF = boot.submit(() -> RuntimeRegistry.load(config.runtimesDir().toAbsolutePath().normalize()));
            String zk = config.cluster().zookeeper();
            if (embeddedZk != null) {
                EmbeddedZooKeeper embedded = join(embeddedZk);
                closers.push(embedded);
                zk = embedded.connectString();
            }
            timer.mark("zookeeper");
            NodeStore store = join(storeF);
            closers.push(store);
            timer.mark("store");
            RuntimeRegistry runtimes = join(runtimesF);
            // code referenced by any version of any function is never evicted from the cache: on a single node it
            // exists nowhere else, and a rollback needs it
            java.util.concurrent.atomic.AtomicReference<dev.nest.function.FunctionCatalog> catalogRef =
                    new java.util.concurrent.atomic.AtomicReference<>();
            ArtifactStore artifacts = new ArtifactStore(data.resolve("artifacts"), PackageLimits.DEFAULT,
                    ArtifactStore.DEFAULT_CACHE_BYTES, () -> referencedDigests(catalogRef.get()));
            String nodeId = config.nodeId();
            SandboxDriver driver = driver(config, nodeId, data);
            timer.mark("runtimes+driver");

            Map<String, String> capacity = Map.of(
                    NodeInfo.MEMORY_MB, Long.toString(((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                            .getOperatingSystemMXBean()).getTotalMemorySize() >> 20),
                    NodeInfo.CPU_MILLIS, Long.toString(Runtime.getRuntime().availableProcessors() * 1000L),
                    NodeInfo.MAX_PODS, Integer.toString(config.sidecar().maxPods()));
            NodeInfo self = new NodeInfo(nodeId, config.node().address(), config.server().port(), config.node().zone(),
                    config.node().region(), driver.name(), clock.instant(), capacity);
            Cluster cluster = Cluster.start(zk, config.cluster(), self, clock);
            closers.push(cluster);
            catalogRef.set(cluster.functions());
            timer.mark("cluster");

            // cluster: code this node lacks comes from a holder; deploys return once the package is on enough nodes
            CodeFetcher code = new CodeFetcher(artifacts, cluster.artifactHolders(), runtimes::prepare);
            // a node that held the previous live version's code fetches a new version's as soon as it sees the deploy
            dev.nest.deploy.CodePrefetcher prefetcher = new dev.nest.deploy.CodePrefetcher(code::ensureLocal, artifacts::digests);
            closers.push(prefetcher);
            cluster.functions().addListener(prefetcher);
            // with an external ensemble, scaling.min is kept cluster-wide through placements, not on every node
            dev.nest.function.FunctionCatalog agentCatalog = config.cluster().embedded() ? cluster.functions()
                    : new dev.nest.placement.PlacedMinimumCatalog(cluster.functions());
            NodeAgent agent = new NodeAgent(config.sidecar(), nodeId, data, data.resolve("artifacts").resolve("code"),
                    driver, runtimes, codeSource(code), store::log, agentCatalog, clock);
            closers.push(agent);
            ArtifactReplicator replicator = new ArtifactReplicator(artifacts, cluster.artifactHolders(),
                    config.cluster().artifactReplicas());
            cluster.onNodesChanged(replicator::prepare);
            replicator.prepare();
            Deployer deployer = new Deployer(cluster.functions(), artifacts, runtimes, store::audit, clock, replicator);
            FunctionFiles files = new FunctionFiles(config.functionsDir(), deployer, cluster.functions(), 2_000);
            closers.push(files);
            files.start();
            timer.mark("functions");
            agent.start(false); // the warm pools fill once the node is ready (below), not while it starts
            // ready instances for the routing tables; warm pool pods and unpacked packages for the scheduler
            cluster.publishReady(() -> readyCounts(agent), () -> {
                Map<String, Integer> pools = new java.util.TreeMap<>();
                agent.pool().status().forEach(p -> pools.put(p.runtime(), p.ready()));
                return pools;
            });
            cluster.publishCached(artifacts::digests);
            timer.mark("agent");

            // the live scaler and the scheduler, deciding while this node leads: load from the node agent, desired
            // counts through the scheduler to placements in ZooKeeper (per node; this node's own count also straight
            // to its agent); every node's follower turns its placements into its agent's targets
            dev.nest.placement.Targets targets = new dev.nest.placement.Targets() {
                @Override
                public Optional<Integer> target(dev.nest.function.FunctionId id) {
                    return agent.target(id);
                }

                @Override
                public void setTarget(dev.nest.function.FunctionId id, int instances) {
                    agent.setTarget(id, instances);
                }

                @Override
                public void clearTarget(dev.nest.function.FunctionId id) {
                    agent.clearTarget(id);
                }
            };
            // dead nodes found before their sessions expire: the leader tries every other node, the others the leader
            java.util.concurrent.atomic.AtomicReference<Runnable> nodesChanged = new java.util.concurrent.atomic.AtomicReference<>(() -> { });
            java.time.Duration probeEvery = config.cluster().nodeProbe();
            dev.nest.placement.NodeProbe probe = null;
            if (!probeEvery.isZero()) {
                probe = new dev.nest.placement.NodeProbe(() -> probeTargets(cluster, n -> !n.id().equals(nodeId)),
                        probeEvery, 2, dev.nest.placement.NodeProbe.tcp(), cluster::isLeader, () -> nodesChanged.get().run());
                closers.push(probe);
                java.util.concurrent.atomic.AtomicReference<dev.nest.placement.NodeProbe> leaderProbe = new java.util.concurrent.atomic.AtomicReference<>();
                leaderProbe.set(new dev.nest.placement.NodeProbe(() -> probeTargets(cluster,
                        n -> !n.id().equals(nodeId) && cluster.leaderId().filter(n.id()::equals).isPresent()),
                        probeEvery, 2, dev.nest.placement.NodeProbe.tcp(), () -> !cluster.isLeader(),
                        () -> leaderProbe.get().downNodes().forEach(cluster::evict)));
                closers.push(leaderProbe.get());
                leaderProbe.get().start();
            }
            dev.nest.placement.NodeProbe nodeProbe = probe;
            dev.nest.placement.LeaderPlacements leaderPlacements = new dev.nest.placement.LeaderPlacements(nodeId,
                    () -> cluster.nodes().stream().filter(n -> nodeProbe == null || !nodeProbe.down(n.id()))
                            .map(n -> nodeState(n, capacity, cluster)).toList(),
                    placementStore(cluster), targets, () -> cluster.epoch().isPresent());
            closers.push(leaderPlacements);
            dev.nest.scheduler.Scheduler scheduler = new dev.nest.scheduler.Scheduler(cluster.functions(), leaderPlacements,
                    leaderPlacements, 0, clock);
            leaderPlacements.attach(scheduler);
            nodesChanged.set(() -> {
                nodeProbe.downNodes().forEach(cluster::evict);
                leaderPlacements.nodesChanged();
            });
            dev.nest.placement.PlacementFollower follower = new dev.nest.placement.PlacementFollower(() -> {
                Map<dev.nest.function.FunctionId, Integer> mine = new java.util.HashMap<>();
                cluster.placements().of(nodeId).forEach((id, p) -> mine.put(id, p.instances()));
                return mine;
            }, targets, cluster::isLeader);
            closers.push(follower);
            cluster.placements().onChange(follower::changed);
            // load: the leader sums its own agent (read directly) and every other node's report (pushed each second)
            dev.nest.load.ClusterLoad clusterLoad = new dev.nest.load.ClusterLoad(nodeId, agent::load, System::nanoTime);
            dev.nest.load.LoadReporter loadReporter = new dev.nest.load.LoadReporter(nodeId, agent::load,
                    () -> leaderUrl(cluster, nodeId), dev.nest.load.LoadReporter.http());
            closers.push(loadReporter);
            dev.nest.scaler.ScalerLoop scaler = new dev.nest.scaler.ScalerLoop(cluster.functions(),
                    clusterLoad, new dev.nest.scaler.TargetSink() {
                        @Override
                        public void setTarget(dev.nest.function.FunctionId id, int instances) {
                            scheduler.scale(id, instances);
                        }

                        @Override
                        public void clearTarget(dev.nest.function.FunctionId id) {
                            scheduler.release(id);
                        }
                    }, dev.nest.scaler.Scaler.windowed(), clock);
            closers.push(scaler);
            agent.onStarved(scaler::wake);
            agent.onStarved(loadReporter::starved); // sent only while another node leads
            scaler.start();
            loadReporter.start();
            follower.start();
            leaderPlacements.start();
            if (nodeProbe != null) {
                nodeProbe.start();
            }
            cluster.onNodesChanged(leaderPlacements::nodesChanged);
            cluster.onLeadership(leads -> {
                follower.changed();
                if (leads) {
                    leaderPlacements.leadershipWon(() -> {
                        if (cluster.isLeader()) { // not lost again while the placements were taken over
                            scaler.setActive(true);
                        }
                    });
                } else {
                    scaler.setActive(false);
                }
            });
            timer.mark("scaler");

            String url = "http://" + config.node().address() + ":" + config.server().port();
            NodeMetrics metrics = new NodeMetrics(agent.pool()::status, agent::instances);
            AdminApi api = new AdminApi(cluster.functions(), deployer, files, agent, store, cluster, runtimes, scaler, scheduler, url, metrics);
            join(warmHelidon);
            boot.shutdown();
            HttpRouting.Builder routing = HttpRouting.builder();
            Errors.register(routing);
            new dev.nest.load.LoadRoutes(clusterLoad, scaler::wake).routing(routing); // before the API's catch-all
            api.routing(routing);
            WebServer web = WebServer.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .maxPayloadSize(-1)
                    .shutdownGracePeriod(config.server().shutdownGrace())
                    .addRouting(routing)
                    .build()
                    .start();
            closers.push(web::stop);
            if (!web.isRunning()) {
                throw new ConfigException("cannot start the admin server on a loopback port");
            }
            timer.mark("admin");
            Gateway gateway = new Gateway(agentCatalog, agent, r -> {
                store.record(r);
                metrics.record(r);
            }, config.server().maxBody(), clock, cluster.routes());
            try {
                gateway.start(config.server().host(), config.server().port(), web.port(),
                        Math.max(1, Runtime.getRuntime().availableProcessors()));
            } catch (java.net.BindException e) {
                gateway.close();
                throw new ConfigException("cannot listen on " + config.server().host() + ":" + config.server().port()
                        + " (is another server using the port?); choose another with --port or server.port");
            }
            closers.push(gateway);
            timer.mark("gateway");
            LOG.info("Nest node " + nodeId + " ready on " + url + " (driver " + driver.name() + ", ZooKeeper " + zk
                    + (config.cluster().embedded() ? " embedded" : "") + ", data " + data + "); start-up " + timer);
            agent.startPools();
            return new NestServer(closers, web, config, cluster, files, gateway.port());
        } catch (RuntimeException | IOException e) {
            closeAll(closers);
            if (e instanceof NestException ne) {
                throw ne;
            }
            throw new NestException(500, "cannot start", e.getMessage(), e);
        }
    }

    /** Time per start-up step, for the ready line of the log. */
    private static final class StartupTimer {
        private final long t0 = System.nanoTime();
        private long last = t0;
        private final StringBuilder steps = new StringBuilder();

        void mark(String step) {
            long now = System.nanoTime();
            steps.append(steps.isEmpty() ? "" : ", ").append(step).append(' ').append((now - last) / 1_000_000).append(" ms");
            last = now;
        }

        @Override
        public String toString() {
            return (System.nanoTime() - t0) / 1_000_000 + " ms (" + steps + ")";
        }
    }

    /**
     * The node agent's code: the package's directory on this node, fetched from a holder first when this node lacks
     * it; a fetch is reported as the cold start's {@code fetch}, {@code decompress} (with verification) and
     * {@code unpack} phases. They run pipelined, chunk by chunk: each phase is the time during which at least one
     * chunk was in it, so they overlap and may sum to more than the fetch's wall time.
     */
    private static dev.nest.sidecar.CodeSource codeSource(CodeFetcher code) {
        return (digest, runtime) -> {
            Optional<CodeFetcher.Fetch> before = code.lastFetch(digest);
            Optional<java.nio.file.Path> dir = code.ensureLocal(digest, runtime);
            Optional<CodeFetcher.Fetch> after = code.lastFetch(digest);
            Map<String, Double> phases = after.isPresent() && !after.equals(before) ? after.get().stages().phases() : Map.of();
            return dir.map(d -> new dev.nest.sidecar.CodeDir(d, phases));
        };
    }

    /** Every code digest some version refers to; everything when the catalog is not known yet. */
    private static java.util.Set<String> referencedDigests(dev.nest.function.FunctionCatalog catalog) {
        if (catalog == null) {
            return ArtifactStore.PIN_ALL;
        }
        java.util.Set<String> digests = new java.util.HashSet<>();
        for (var r : catalog.all()) {
            r.versions().values().forEach(v -> digests.add(v.digest()));
        }
        return digests;
    }

    /** The registered nodes that {@code which} selects, as a node probe's targets. */
    private static List<dev.nest.placement.NodeProbe.Target> probeTargets(Cluster cluster, java.util.function.Predicate<NodeInfo> which) {
        return cluster.nodes().stream().filter(which)
                .map(n -> new dev.nest.placement.NodeProbe.Target(n.id(), n.address(), n.port(), n.started())).toList();
    }

    /**
     * A registered node as the scheduler sees it: its zone, the capacity it advertised (this node's own if absent),
     * and the warm pool pods, unpacked packages and ready instances it last published.
     */
    private static dev.nest.scheduler.NodeState nodeState(NodeInfo n, Map<String, String> own, Cluster cluster) {
        Map<String, String> l = n.labels() == null ? Map.of() : n.labels();
        return new dev.nest.scheduler.NodeState(n.id(), n.zone(), label(l, own, NodeInfo.MEMORY_MB), label(l, own, NodeInfo.CPU_MILLIS),
                (int) label(l, own, NodeInfo.MAX_PODS), cluster.warmPods(n.id()), cluster.cachedPackages(n.id()),
                cluster.serving(n.id()));
    }

    private static long label(Map<String, String> labels, Map<String, String> own, String key) {
        try {
            return Long.parseLong(labels.getOrDefault(key, own.get(key)));
        } catch (NumberFormatException e) {
            return Long.parseLong(own.get(key));
        }
    }

    /** The cluster's placements tree as the leader's placement store. */
    private static dev.nest.placement.PlacementStore placementStore(Cluster cluster) {
        return new dev.nest.placement.PlacementStore() {
            @Override
            public Map<String, Map<dev.nest.function.FunctionId, Integer>> all() {
                Map<String, Map<dev.nest.function.FunctionId, Integer>> out = new java.util.HashMap<>();
                cluster.placements().all().forEach((node, ps) -> {
                    Map<dev.nest.function.FunctionId, Integer> m = new java.util.HashMap<>();
                    ps.forEach((id, p) -> m.put(id, p.instances()));
                    out.put(node, m);
                });
                return out;
            }

            @Override
            public void write(String nodeId, dev.nest.function.FunctionId id, int instances) {
                int version = cluster.functions().get(id).map(dev.nest.function.FunctionRecord::live).orElse(0);
                cluster.placements().write(nodeId, id, instances, version);
            }

            @Override
            public void delete(String nodeId, dev.nest.function.FunctionId id) {
                cluster.placements().delete(nodeId, id);
            }
        };
    }

    /** The leader's base URL, when a leader other than this node is registered. */
    private static Optional<java.net.URI> leaderUrl(Cluster cluster, String self) {
        return cluster.leaderId().filter(id -> !id.equals(self)).flatMap(id -> cluster.nodes().stream()
                .filter(n -> n.id().equals(id)).findFirst())
                .map(n -> java.net.URI.create("http://" + n.address() + ":" + n.port()));
    }

    /** This node's ready instances per function version, for the cluster's routing tables. */
    private static List<ReadyCount> readyCounts(NodeAgent agent) {
        Map<String, int[]> counts = new java.util.TreeMap<>();
        for (var i : agent.instances()) {
            if (i.state().equals("READY")) {
                int[] c = counts.computeIfAbsent(i.function() + "@" + i.version(), k -> new int[2]);
                c[0]++;
                c[1] += i.inFlight();
            }
        }
        List<ReadyCount> out = new java.util.ArrayList<>();
        counts.forEach((k, c) -> {
            int at = k.lastIndexOf('@');
            out.add(new ReadyCount(dev.nest.function.FunctionId.parse(k.substring(0, at)),
                    Integer.parseInt(k.substring(at + 1)), c[0], c[1]));
        });
        return out;
    }

    /** Waits for a start-up step; its failure becomes this start's failure. */
    private static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new NestException(500, "cannot start", e.getCause().toString(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NestException(500, "cannot start", "interrupted");
        }
    }

    /** Loads the admin server's classes while ZooKeeper and H2 start, on the other core. */
    private static void warmUpHelidon() {
        HttpRouting.Builder r = HttpRouting.builder();
        r.get("/", (req, res) -> res.send());
        WebServer.builder().host("127.0.0.1").port(0).addRouting(r).build();
        Json.mapper().createObjectNode();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static AutoCloseable lock(Path data) throws IOException {
        FileChannel ch = FileChannel.open(data.resolve("nest.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = ch.tryLock();
        if (lock == null) {
            ch.close();
            throw new ConfigException("data directory " + data + " is in use by another Nest process; stop it or "
                    + "give this one its own directory with --data");
        }
        return () -> {
            lock.release();
            ch.close();
        };
    }

    private static SandboxDriver driver(NestConfig config, String nodeId, Path data) {
        String name = config.sidecar().driver();
        List<SandboxDriverProvider> providers = ServiceLoader.load(SandboxDriverProvider.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        for (SandboxDriverProvider p : providers) {
            if (p.name().equals(name)) {
                return p.create(new DriverContext(nodeId, data, config.sidecar().drivers().getOrDefault(name, Map.of())));
            }
        }
        throw new ConfigException("key 'sidecar.driver': value '" + name + "' is not valid; allowed: "
                + String.join(", ", providers.stream().map(SandboxDriverProvider::name).toList()));
    }

    /** The public port (gateway and API). */
    public int port() {
        return port;
    }

    public NestConfig config() {
        return config;
    }

    public Cluster cluster() {
        return cluster;
    }

    /** Re-reads the functions directory now (tests; the watcher does this by itself). */
    public void rescanFunctions() {
        files.scan();
    }

    @Override
    public void close() {
        closeAll(closers);
    }

    private static void closeAll(Deque<AutoCloseable> closers) {
        while (!closers.isEmpty()) {
            AutoCloseable c = closers.pop();
            try {
                c.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "error while stopping", e);
            }
        }
    }
}
