package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.artifact.PackageWriter;
import dev.nest.cluster.Cluster;
import dev.nest.cluster.ClusterCredential;
import dev.nest.cluster.NodeInfo;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.SpecParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;

/**
 * The cluster's figures: leader failover under warm load, a node's death, re-placement of a dead node's instances,
 * deploy to invocable on every node, and the control plane at scale. Three Nest processes (127.0.0.1, .2, .3; zones a, a, b) run on a three-server
 * ZooKeeper ensemble ({@link TestingCluster}, in this JVM) with {@code cluster.session-timeout} set by
 * {@code nest.bench.session} (default 15s, the product's default): a {@code kill -9}ed leader keeps its latch until its session expires or the other nodes' probes remove it,
 * so the failover time is about that timeout plus the election. The scale part runs against a separate
 * in-process ZooKeeper server. Writes its section of docs/BENCHMARKS.md unless {@code NEST_BENCH_DOCS=false}.
 */
public final class ClusterBenchmark {
    static final String HEADING = "## Cluster: failover, node death, deploy visibility, control-plane scale";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    private final ChildProcesses children = new ChildProcesses();
    private final Duration session;
    private final Path dir;
    private final List<Node> nodes = new ArrayList<>();

    private ClusterBenchmark(Duration session, Path dir) {
        this.session = session;
        this.dir = dir;
    }

    /** One Nest process of the benchmark. */
    private final class Node {
        final String id;
        final String address;
        final int port;
        final Path home;
        Process process;

        Node(String id, String address, int port, Path home) {
            this.id = id;
            this.address = address;
            this.port = port;
            this.home = home;
        }

        String base() {
            return "http://" + address + ":" + port;
        }

        void launch() {
            List<String> argv = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                    "dev.nest.Main", "server", "--config", home.resolve("nest.yaml").toString());
            process = children.start("nest " + id, argv, BenchAuth.childEnv(), home, home.resolve("server.log"));
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (status(base() + "/health") != 200) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("node " + id + " did not start:\n" + ChildProcesses.tail(home.resolve("server.log"), 40));
                }
                BenchHttp.sleep(50);
            }
        }

        /** {@code kill -9} of the server and its pods. */
        void kill() {
            dev.nest.it.Fixtures.killTree(process);
        }
    }

    /** ZooKeeper's servers in this JVM log every connection at INFO; JUL holds loggers weakly, so they are kept. */
    private static final List<java.util.logging.Logger> QUIET = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        try {
            run();
        } catch (Exception | Error e) {
            // ZooKeeper's and the nodes' threads would keep this JVM alive after a failed run
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static void run() throws Exception {
        for (String name : List.of("org.apache.zookeeper", "org.apache.curator")) {
            java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
            l.setLevel(java.util.logging.Level.SEVERE);
            QUIET.add(l);
        }
        Duration session = Duration.ofMillis(Long.getLong("nest.bench.session", 15_000));
        int kills = Integer.getInteger("nest.bench.kills", 10);
        int deploys = Integer.getInteger("nest.bench.deploys", 10);
        int functions = Integer.getInteger("nest.bench.functions", 10_000);
        int simulated = Integer.getInteger("nest.bench.nodes", 1_000);
        // a subset of the parts (e.g. -Dnest.bench.parts=deploy) prints its figures without touching the docs
        List<String> parts = List.of(System.getProperty("nest.bench.parts", "deploy,failover,death,replacement,scale").split(","));
        boolean all = parts.containsAll(List.of("deploy", "failover", "death", "replacement", "scale"));
        boolean write = all && !"false".equals(System.getenv("NEST_BENCH_DOCS"));
        Path doc = Path.of("docs", "BENCHMARKS.md");
        if (write) { // a checkout with uncommitted changes is refused before measuring, not after (writeSection names the commit)
            BenchmarksDoc.commitLine(doc.toAbsolutePath().getParent().getParent(), BenchmarksDoc.allowDirty());
        }
        Path dir = Files.createTempDirectory("nest-cluster-bench");
        ClusterBenchmark b = new ClusterBenchmark(session, dir);
        Runtime.getRuntime().addShutdownHook(new Thread(b.children::close));
        StringBuilder out = new StringBuilder();
        try (TestingCluster zk = new TestingCluster(3)) {
            zk.start();
            b.startNodes(zk.getConnectString());
            if (parts.contains("deploy")) {
                out.append(b.deployVisibility(deploys));
            }
            if (parts.contains("failover")) {
                out.append(b.failover(kills, zk.getConnectString()));
            }
            if (parts.contains("death")) {
                out.append(b.nodeDeath());
            }
            if (parts.contains("replacement")) {
                out.append(b.replacement(Integer.getInteger("nest.bench.replacements", 5)));
            }
        } finally {
            b.children.close();
        }
        if (parts.contains("scale")) {
            out.append(scale(functions, simulated));
        }
        String text = "Measured " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors() + " cores, JDK "
                + System.getProperty("java.runtime.version") + ": three Nest processes (`process` driver, Node.js"
                + " functions) on 127.0.0.1-3 in zones a, a, b, a three-server ZooKeeper ensemble in the benchmark's JVM,"
                + " `cluster.session-timeout: " + session.toMillis() + "ms`, everything on this one machine (load average at"
                + " the end: " + Machine.loadAverage() + ").\n\nCommand: "
                + "`distribution/bench-cluster.sh` (options: `-Dnest.bench.kills=10 -Dnest.bench.replacements=5 -Dnest.bench.session=15000 "
                + "-Dnest.bench.deploys=10 -Dnest.bench.functions=10000 -Dnest.bench.nodes=1000`; "
                + "`-Dnest.bench.parts=deploy,failover,death,replacement,scale` runs a subset and only prints it).\n\n" + out;
        String body = sectionBody(text, ROWS);
        System.out.println(HEADING + "\n\n" + body);
        if (write) {
            BenchmarksDoc.writeSection(doc, HEADING, body);
        }
        System.exit(0);
    }

    private void startNodes(String zookeeper) throws IOException {
        String[][] layout = {{"n1", "127.0.0.1", "zone-a"}, {"n2", "127.0.0.2", "zone-a"}, {"n3", "127.0.0.3", "zone-b"}};
        for (int i = 0; i < layout.length; i++) {
            Path home = Files.createDirectories(dir.resolve(layout[i][0]));
            int port = dev.nest.it.Fixtures.freePort(layout[i][1]);
            int pods = 41_000 + i * 1_000;
            dev.nest.it.Fixtures.writeNodeConfig(home, layout[i][0], layout[i][1], port, layout[i][2], "bench", zookeeper,
                    session, Duration.ofSeconds(5), pods + "-" + (pods + 999));
            Node n = new Node(layout[i][0], layout[i][1], port, home);
            n.launch();
            nodes.add(n);
        }
    }

    // ---- deploy -> invocable everywhere ----------------------------------------------------------------

    private String deployVisibility(int rounds) throws Exception {
        Node first = nodes.getFirst();
        List<Double> call = new ArrayList<>();
        List<Double> catalog = new ArrayList<>();
        List<Double> invocable = new ArrayList<>();
        // round 0 is the first deploy after the nodes started: its code paths run for the first time on every node
        // (class loading, the first HTTP client, the first ZooKeeper transaction), so it is reported on its own
        double[] firstDeploy = new double[3];
        for (int r = 0; r <= rounds; r++) {
            String tag = "d" + r;
            String digest = upload(first, "exports.handler = async () => ({ v: '" + tag + "' });\n");
            long t0 = System.nanoTime();
            post(first.base() + "/api/v1/functions/vis/versions", Map.of("spec", Map.of("runtime", "nodejs", "deploy", "dedicated",
                    "timeout", "10s"), "digest", digest), 201);
            double callMs = (System.nanoTime() - t0) / 1e6;
            // every node's catalog shows the new live version (what any gateway routes by)
            List<Future<Double>> seen = new ArrayList<>();
            List<Future<Double>> served = new ArrayList<>();
            Map<String, String> firstAnswers = new java.util.concurrent.ConcurrentHashMap<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                int version = r + 1;
                for (Node n : nodes) {
                    seen.add(pool.submit(() -> until(t0, () -> json(n.base() + "/api/v1/functions/vis").path("live").asInt() == version)));
                    served.add(pool.submit(() -> until(t0, () -> {
                        String[] id = new String[1];
                        boolean ok = tag.equals(answer(n.base() + "/fn/vis", id));
                        if (ok) {
                            firstAnswers.put(n.id, id[0]);
                        }
                        return ok;
                    })));
                }
                double maxSeen = 0;
                double maxServed = 0;
                for (int i = 0; i < nodes.size(); i++) {
                    maxSeen = Math.max(maxSeen, seen.get(i).get());
                    maxServed = Math.max(maxServed, served.get(i).get());
                }
                if (r == 0) {
                    firstDeploy = new double[] {callMs, maxSeen, maxServed};
                } else {
                    call.add(callMs);
                    catalog.add(maxSeen);
                    invocable.add(maxServed);
                }
                StringBuilder line = new StringBuilder("deploy " + r + ": call " + Math.round(callMs) + " ms");
                for (int i = 0; i < nodes.size(); i++) {
                    Node n = nodes.get(i);
                    line.append(", ").append(n.id).append(" catalog ").append(Math.round(seen.get(i).get()))
                            .append(" / served ").append(Math.round(served.get(i).get())).append(" ms ")
                            .append(invocationPhases(n, firstAnswers.get(n.id)));
                }
                System.out.println(line);
            }
        }
        return """
                ### Deploy -> visible and invocable on every node (%d deploys of a new Node.js version on n1)

                | figure | p50 | max |
                |---|---:|---:|
                | deploy call answered (package pushed to a second node, then the version written) | %.0f ms | %.0f ms |
                | deploy start -> every node's catalog has the new live version | %.0f ms | %.0f ms |
                | deploy start -> every node answers with the new version (includes the new version's cold start) | %.0f ms | %.0f ms |

                The first deploy after the nodes started, not in the figures above (every code path on its way runs for the first
                time): call %.0f ms, every catalog %.0f ms, every node answering %.0f ms.

                """.formatted(rounds, Stats.median(call), Stats.max(call), Stats.median(catalog), Stats.max(catalog),
                Stats.median(invocable), Stats.max(invocable), firstDeploy[0], firstDeploy[1], firstDeploy[2])
                + rows(String.format(Locale.ROOT, "230 | deploy on one node to the new version in every node's catalog"
                + " (3 nodes), p50 / max of %d deploys (the first deploy after the nodes start, measured apart: %.0f ms) |"
                + " <= 1 s | %.0f ms / %.0f ms" + COMMAND, rounds, firstDeploy[1], Stats.median(catalog),
                Stats.max(catalog)));
    }

    // ---- leader failover under warm load ---------------------------------------------------------------

    /**
     * The leader {@code n} names, asked until it names one of the benchmark's nodes: a read that timed out on a busy
     * node answers nothing.
     */
    private String leader(Node n) {
        String[] known = new String[1];
        until(System.nanoTime(), () -> {
            known[0] = json(n.base() + "/api/v1/cluster").path("leader").asText();
            return nodes.stream().anyMatch(m -> m.id.equals(known[0]));
        });
        return known[0];
    }

    /** The region's epoch znode: its version is the epoch, its data the node that claimed it. */
    private static final String EPOCH = "/nest/bench/epoch";
    private static final String PLACEMENTS = "/nest/bench/placements";

    /** The epoch's version, or -1 while it does not exist. */
    private static int epochVersion(CuratorFramework zk) throws Exception {
        org.apache.zookeeper.data.Stat st = zk.checkExists().forPath(EPOCH);
        return st == null ? -1 : st.getVersion();
    }

    /** Whether some node's placement of {@code fn} (namespace.name) was written at {@code epoch} or later. */
    private static boolean placementWrittenAt(CuratorFramework zk, String fn, int epoch) throws Exception {
        if (zk.checkExists().forPath(PLACEMENTS) == null) {
            return false;
        }
        for (String node : zk.getChildren().forPath(PLACEMENTS)) {
            String path = PLACEMENTS + "/" + node + "/" + fn;
            if (zk.checkExists().forPath(path) != null
                    && Json.tree(zk.getData().forPath(path), path).path("epoch").asInt(-1) >= epoch) {
                return true;
            }
        }
        return false;
    }

    private String failover(int kills, String zookeeper) throws Exception {
        try (CuratorFramework zk = CuratorFrameworkFactory.builder().connectString(zookeeper)
                .retryPolicy(new RetryOneTime(100)).authorization("digest", ClusterCredential
                        .of(dev.nest.it.Fixtures.CLUSTER_SECRET).zooKeeperAuth().getBytes(StandardCharsets.UTF_8)).build()) {
            zk.start();
            zk.blockUntilConnected();
            return failover(kills, zk);
        }
    }

    private String failover(int kills, CuratorFramework zk) throws Exception {
        Node first = nodes.getFirst();
        String digest = upload(first, "exports.handler = async () => ({ v: 'warm' });\n");
        // scaling.min 3: the leader places one instance on each of the three nodes
        post(first.base() + "/api/v1/functions/warm/versions", Map.of("spec", Map.of("runtime", "nodejs", "deploy", "dedicated", "timeout", "10s",
                "concurrency", 16, "scaling", Map.of("min", 3)), "digest", digest), 201);
        for (Node n : nodes) {
            until(System.nanoTime(), () -> "warm".equals(answer(n.base() + "/fn/warm")));
        }
        // the function's first burst of load is an event of its own: the scaler sizes the function for it (cold starts on
        // every node) and the load's client opens its connections. It runs before the first kill, not during it, so
        // that every kill meets the same warm load (not counted in the figures)
        Load warmup = new Load(nodes, "/fn/warm", 200);
        warmup.start();
        BenchHttp.sleep(5_000);
        warmup.stop();
        System.out.printf("warm-up: %d requests, %d failed %s%n", warmup.sent.get(), warmup.failed.get(), warmup.reasons);
        List<Double> times = new ArrayList<>();
        List<Double> epochs = new ArrayList<>();
        List<Double> placed = new ArrayList<>();
        long sent = 0;
        long failed = 0;
        Map<String, Long> reasons = new java.util.TreeMap<>();
        int unplaced = 0;
        for (int k = 0; k < kills; k++) {
            String leader = leader(first);
            Node dead = nodes.stream().filter(n -> n.id.equals(leader)).findFirst().orElseThrow();
            List<Node> survivors = nodes.stream().filter(n -> n != dead).toList();
            // warm: every survivor has its own ready instance, so nothing is forwarded to the leader; a node that came
            // back after an earlier kill has no placement any more (its instance was placed elsewhere), so it starts
            // one on demand (kept for the keep-alive)
            for (Node n : survivors) {
                if (ready(n, "default/warm") == 0) {
                    // marked as forwarded, so that the node serves it itself (a cold start there); a forwarded
                    // invocation carries the cluster's credential, as a peer's does
                    HttpResponse<String> r = http.send(BenchAuth.forwarded(BenchAuth.request(URI.create(n.base()
                            + "/fn/warm")), dev.nest.it.Fixtures.CLUSTER_SECRET).GET().build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        System.out.printf("kill %d: starting an instance of warm on %s answered %d: %s%n", k + 1, n.id,
                                r.statusCode(), r.body());
                    }
                }
                until(System.nanoTime(), () -> ready(n, "default/warm") > 0);
            }
            // a leader that came back after an earlier kill may hold no instance of `warm`: its death then moves no
            // placement, and its failover ends when the new leader has claimed its epoch
            boolean heldPlacement = zk.checkExists().forPath(PLACEMENTS + "/" + dead.id + "/default.warm") != null;
            Load load = new Load(survivors, "/fn/warm", 200);
            load.start();
            BenchHttp.sleep(500);
            int oldEpoch = epochVersion(zk);
            long t0 = System.nanoTime();
            dead.kill();
            // the three ends are watched at once, each in its own loop: a survivor that answers its API slowly (it
            // starts pods while the load flows through the same port) delays only its own row, not the epoch claim and
            // the placement write, which ZooKeeper shows (see ClusterBenchmarkEnds)
            Map<String, ClusterBenchmarkEnds.Check> checks = new java.util.LinkedHashMap<>();
            for (Node n : survivors) {
                checks.put("named by " + n.id, () -> {
                    String now = control(n.base() + "/api/v1/cluster").path("leader").asText();
                    return !now.isEmpty() && !now.equals(leader);
                });
            }
            checks.put("epoch", () -> epochVersion(zk) > oldEpoch);
            if (heldPlacement) {
                // the new leader's first placement action: it writes a placement at its epoch when the dead node's
                // instances need a new node, or only deletes the dead node's placement when the survivors already
                // carry the function's count
                checks.put("placement", () -> placementWrittenAt(zk, "default.warm", oldEpoch + 1)
                        || zk.checkExists().forPath(PLACEMENTS + "/" + dead.id + "/default.warm") == null);
            }
            Map<String, Double> namedBy = new java.util.TreeMap<>();
            double took;
            double claimed;
            double wrote;
            try (ClusterBenchmarkEnds ends = ClusterBenchmarkEnds.watch(t0, System::nanoTime, () -> BenchHttp.sleep(10),
                    Duration.ofSeconds(120), checks)) {
                for (Node n : survivors) {
                    namedBy.put(n.id, ends.await("named by " + n.id));
                }
                took = java.util.Collections.min(namedBy.values());
                claimed = ends.await("epoch");
                wrote = heldPlacement ? ends.await("placement") : claimed;
            }
            int newEpoch = epochVersion(zk);
            times.add(took);
            epochs.add(claimed);
            if (!heldPlacement) {
                unplaced++;
            }
            placed.add(wrote);
            BenchHttp.sleep(500);
            load.stop();
            sent += load.sent.get();
            failed += load.failed.get();
            load.reasons.forEach((why, n) -> reasons.merge(why, n.get(), Long::sum));
            System.out.printf("kill %d: leader %s, new leader named after %.0f ms %s, epoch %d claimed after %.0f ms, first "
                    + "placement write or delete at it after %.0f ms%s, %d requests, %d failed %s%n", k + 1, leader, took, namedBy, newEpoch,
                    claimed, wrote, heldPlacement ? "" : " (it held no instance: nothing to place, the epoch claim ends it)",
                    load.sent.get(), load.failed.get(), load.reasons);
            dead.launch();
        }
        return """
                ### Leader failover (%d kills with `kill -9`, 200 warm req/s through the two surviving nodes)

                | figure | p50 | max |
                |---|---:|---:|
                | kill -9 of the leader -> a survivor names a new leader | %.0f ms | %.0f ms |
                | kill -9 of the leader -> the new leader has claimed its epoch | %.0f ms | %.0f ms |
                | kill -9 of the leader -> the new leader's first placement act at its epoch: a write, or the dead node's placement deleted (**failover done**) | %.0f ms | %.0f ms |

                The function's `scaling.min: 3` places one instance on every node (`concurrency: 16`); 5 s of the same load
                through all three nodes before the first kill let the scaler size the function and the client open its
                connections (not counted), so that the first kill meets the same warm load as the others; before each kill
                the benchmark waits until both survivors have one ready (a node that came back after an earlier kill
                starts one on demand: its placement moved while it was dead). Warm invocations during the kills (from 0.5 s
                before each kill to 0.5 s after the new leader's first placement write): %d sent, **%d failed**%s. No invocation passes through the leader, so the data plane does not notice the change; the
                failover time is about two `cluster.node-probe` intervals (1 s): the other nodes find the dead leader's port
                refusing connections twice and remove its latch node, so the next node in the election leads without
                waiting for the session to expire (a host that dies without refusing still takes `session-timeout`).

                The failover ends at the last row: the epoch is the version of the region's `epoch` znode, which the new
                leader bumps before any leader-only write; the placement is the dead node's instance of the function, which
                the new leader places on a survivor (fenced by that epoch) once the dead node has left its node list, or,
                when the survivors already carry the function's count (a scale-up before the kill put a second instance on
                one of them), deletes from the dead node (fenced the same way) without a write. A
                leader that came back after an earlier kill may hold no instance (its placement moved while it was dead):
                its death moves nothing, and that failover ends at the epoch claim (%d of the %d kills). The benchmark
                reads both from ZooKeeper every 10 ms, and each survivor's leader from its API (1 s timeout, its own
                client), each of the four in its own loop from the kill on: a survivor that answers slowly (its gateway
                busy with the load and new pods) delays only its own row.

                """.formatted(kills, Stats.median(times), Stats.max(times), Stats.median(epochs), Stats.max(epochs),
                Stats.median(placed), Stats.max(placed), sent, failed,
                reasons.isEmpty() ? "" : " (" + reasons + ")", unplaced, kills) + rows(String.format(Locale.ROOT, "190 | leader failover:"
                + " `kill -9` of the leader until the new leader has claimed its epoch and made its first placement write (or delete),"
                + " p50 / max of %d kills (3 nodes, the default `cluster.session-timeout: 15s`; a new leader named: %.2f s"
                + " p50) | <= 5 s | %.2f s / %.2f s" + COMMAND, kills, Stats.median(times) / 1000, Stats.median(placed)
                / 1000, Stats.max(placed) / 1000), String.format(Locale.ROOT, "200 | warm invocations failed during"
                + " those %d failovers (200 req/s through the surviving nodes) | 0 | %d of %,d" + COMMAND, kills, failed,
                sent));
    }

    /** A fixed-rate stream of GETs spread round robin over some nodes, counting non-200 answers and errors. */
    private final class Load {
        final List<Node> targets;
        final String path;
        final int perSecond;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicInteger turn = new AtomicInteger();
        final Map<String, AtomicLong> reasons = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.concurrent.ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

        Load(List<Node> targets, String path, int perSecond) {
            this.targets = targets;
            this.path = path;
            this.perSecond = perSecond;
        }

        void start() {
            timer.scheduleAtFixedRate(() -> {
                Node n = targets.get(Math.floorMod(turn.getAndIncrement(), targets.size()));
                sent.incrementAndGet();
                http.sendAsync(BenchAuth.request(URI.create(n.base() + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray()).whenComplete((r, e) -> {
                            if (e != null || r.statusCode() != 200) {
                                failed.incrementAndGet();
                                String why = e != null ? (e.getCause() != null ? e.getCause() : e).getClass().getSimpleName()
                                        : "HTTP " + r.statusCode();
                                reasons.computeIfAbsent(why, k -> new AtomicLong()).incrementAndGet();
                            }
                        });
            }, 0, 1_000_000 / perSecond, TimeUnit.MICROSECONDS);
        }

        void stop() throws InterruptedException {
            timer.shutdown();
            timer.awaitTermination(5, TimeUnit.SECONDS);
            BenchHttp.sleep(1_000); // let the last answers arrive
        }
    }

    // ---- a node's death --------------------------------------------------------------------------------

    private String nodeDeath() throws Exception {
        // a function whose only instance is on n3; n1 and n2 reach it through their gateways
        Node holder = nodes.get(2);
        Node via = nodes.get(0);
        String digest = upload(via, "exports.handler = async () => ({ v: 'only' });\n");
        post(via.base() + "/api/v1/functions/only/versions", Map.of("spec", Map.of("runtime", "nodejs", "deploy", "dedicated", "timeout", "10s"),
                "digest", digest), 201);
        // the holder's catalog mirror may be a moment behind the deploy's answer from another node
        until(System.nanoTime(), () -> json(holder.base() + "/api/v1/functions/only").path("live").asInt() == 1);
        HttpResponse<String> local = http.send(BenchAuth.forwarded(BenchAuth.request(URI.create(holder.base()
                + "/fn/only")), dev.nest.it.Fixtures.CLUSTER_SECRET).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (local.statusCode() != 200) {
            throw new IllegalStateException("cannot start the instance on " + holder.id + ": " + local.body());
        }
        until(System.nanoTime(), () -> json(via.base() + "/api/v1/cluster").path("ready").path(holder.id).toString().contains("default/only"));
        for (int i = 0; i < 20; i++) {
            answer(via.base() + "/fn/only");
        }
        long t0 = System.nanoTime();
        holder.kill();
        double servedAgain = until(t0, () -> "only".equals(answer(via.base() + "/fn/only")));
        double dropped = until(t0, () -> !json(via.base() + "/api/v1/cluster").path("ready").has(holder.id));
        holder.launch();
        return """
                ### A node dies (`kill -9` of the only node with an instance of a function, invoked through another node)

                | figure | time |
                |---|---:|
                | kill -9 -> the next request through a surviving node is served (connection refused, so a cold start on the survivor) | %.0f ms |
                | kill -9 -> the dead node's instances are out of every routing table (the leader found it refusing and removed it) | %.0f ms |

                A request that would go to the dead node is refused at connect and served elsewhere at once; the node
                leaves the routing tables when the leader's probe finds its port refusing twice (or its session expires). This function has no placement (no `scaling.min`),
                so nothing is placed again; see the next table for a function whose instances are placed.

                """.formatted(servedAgain, dropped) + rows(String.format(Locale.ROOT, "210 | node death: next request"
                + " through a survivor served / dead node out of every routing table | <= 10 s | %.2f s (a cold start on"
                + " the survivor) / %.2f s (the leader's probe)" + COMMAND, servedAgain / 1000, dropped / 1000));
    }

    // ---- re-placement of a dead node's instances --------------------------------------------------------

    private String replacement(int kills) throws Exception {
        Node first = nodes.getFirst();
        String digest = upload(first, "exports.handler = async () => ({ v: 'placed' });\n");
        // scaling.min 2: the leader places one instance in each zone (n3 is zone b's only node)
        post(first.base() + "/api/v1/functions/placed/versions", Map.of("spec", Map.of("runtime", "nodejs", "deploy", "dedicated", "timeout", "10s",
                "scaling", Map.of("min", 2)), "digest", digest), 201);
        until(System.nanoTime(), () -> readyTotal(nodes, "default/placed") == 2);
        List<Double> gone = new ArrayList<>();
        List<Double> serving = new ArrayList<>();
        List<String> rounds = new ArrayList<>();
        for (int k = 0; k < kills; k++) {
            until(System.nanoTime(), () -> readyTotal(nodes, "default/placed") == 2);
            String leader = leader(first);
            // a holder that does not lead: this measures re-placement, not a leader change (measured above)
            Node dead = nodes.stream().filter(n -> !n.id.equals(leader) && ready(n, "default/placed") > 0).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no holder of placed other than the leader " + leader));
            List<Node> survivors = nodes.stream().filter(n -> n != dead).toList();
            Node leaderNode = survivors.stream().filter(n -> n.id.equals(leader)).findFirst().orElseThrow();
            long t0 = System.nanoTime();
            dead.kill();
            double left = until(t0, () -> {
                for (JsonNode n : json(leaderNode.base() + "/api/v1/nodes")) {
                    if (n.path("id").asText().equals(dead.id)) {
                        return false;
                    }
                }
                return true;
            });
            double back = until(t0, () -> readyTotal(survivors, "default/placed") == 2);
            gone.add(left);
            serving.add(back);
            String where = survivors.stream().map(n -> n.id + ":" + ready(n, "default/placed")).toList().toString();
            rounds.add(dead.id + " -> " + where);
            System.out.printf("re-placement %d: killed %s; out of the leader's node list after %.0f ms; 2 ready on the"
                    + " survivors after %.0f ms %s%n", k + 1, dead.id, left, back, where);
            dead.launch();
        }
        return """
                ### A node dies and its instances are placed again (%d kills with `kill -9` of a node holding an instance)

                | figure | p50 | max |
                |---|---:|---:|
                | kill -9 -> the dead node is out of the leader's node list (its port refused twice) | %.0f ms | %.0f ms |
                | kill -9 -> the survivors' ready instances of the function are back at the placed count | %.0f ms | %.0f ms |

                The function has `scaling.min: 2`, which the leader places one per zone. Each round kills a holder that
                does not lead (so this is re-placement, not a leader change); the leader's probe finds its port refusing twice
                (`cluster.node-probe`, 1 s), places its instance on a survivor (other zones first) through ZooKeeper, and
                that node's agent cold-starts it. Expect two probe intervals plus a cold start. Killed -> instances per survivor: %s.

                """.formatted(kills, Stats.median(gone), Stats.max(gone), Stats.median(serving), Stats.max(serving),
                String.join("; ", rounds)) + rows(String.format(Locale.ROOT, "220 | node death: `kill -9` of a node"
                + " holding a placed instance until the survivors' ready instances are back at the placed count, p50 / max"
                + " of %d kills (3 nodes, default 15 s session; two 1 s probes plus a cold start) | <= 10 s | %.2f s /"
                + " %.2f s" + COMMAND, kills, Stats.median(serving) / 1000, Stats.max(serving) / 1000));
    }

    /**
     * The section as written: {@code text} (the figures), with the line naming {@code commit} after its first paragraph
     * (none when {@code unknown}), then {@link #block} of {@code rows}, ending in a line break. The commit line is the
     * body's own, so the writer adds none: adding one strips the body, and a block at its end then no longer ends in
     * the line break its rendering has, so that the doc's coverage line would not be carried over.
     */
    static String sectionBody(String text, List<String> rows) {
        return text.strip() + "\n\n" + block(rows).render();
    }

    /**
     * The section's block: {@code rows} ({@code "ORDER | promise | target | measured | command"}, as the parts write
     * them) read by {@link BenchBlock}'s own parser and rendered by it, in row order, so that the block in the body is
     * exactly what {@link BenchmarksDoc#keepRecorded} looks for when it carries over what the doc's block holds
     * beyond this run's rows (its coverage line).
     *
     * @throws IllegalArgumentException naming the line when a row is malformed
     */
    static BenchBlock block(List<String> rows) {
        String lines = rows.stream().map(r -> "row " + r + "\n").collect(java.util.stream.Collectors.joining());
        List<BenchBlock.Row> parsed = new ArrayList<>(BenchBlock.parseSection("```" + BenchBlock.FENCE + "\n" + lines
                + "```\n").orElseThrow().rows());
        parsed.sort(java.util.Comparator.comparingInt(BenchBlock.Row::order));
        return new BenchBlock(List.of(), List.copyOf(parsed));
    }

    /** Keeps {@code rows} for the section's block; returns nothing to add to the text. */
    private static String rows(String... rows) {
        ROWS.addAll(List.of(rows));
        return "";
    }

    /** Ready instances of {@code function} on {@code n}, from its own instance list (0 when it does not answer). */
    private int ready(Node n, String function) {
        int count = 0;
        for (JsonNode i : json(n.base() + "/api/v1/instances")) {
            if (i.path("function").asText().equals(function) && i.path("state").asText().equals("READY")) {
                count++;
            }
        }
        return count;
    }

    private int readyTotal(List<Node> of, String function) {
        return of.stream().mapToInt(n -> ready(n, function)).sum();
    }

    // ---- control plane at scale ------------------------------------------------------------------------

    private static final String SECRET = "nest-benchmark-cluster-secret";
    /** The section's rows of the README's Specification table, as each part measures them (one block at the end). */
    private static final List<String> ROWS = new ArrayList<>();
    private static final String COMMAND = " | `distribution/bench-cluster.sh`";

    private static String scale(int functions, int simulatedNodes) throws Exception {
        System.setProperty("zookeeper.4lw.commands.whitelist", "mntr,srvr,ruok");
        try (TestingServer zk = new TestingServer(true);
             CuratorFramework raw = CuratorFrameworkFactory.builder().connectString(zk.getConnectString())
                     .retryPolicy(new RetryOneTime(100)).authorization("digest", ClusterCredential.of(SECRET).zooKeeperAuth()
                             .getBytes(java.nio.charset.StandardCharsets.UTF_8)).build()) {
            raw.start();
            raw.blockUntilConnected();
            NestConfig.Cluster config = new NestConfig.Cluster(zk.getConnectString(), 0, Duration.ofSeconds(30),
                    Duration.ofSeconds(10), Duration.ofSeconds(60), 2).withSecret(SECRET);
            NodeInfo writerInfo = new NodeInfo("writer", "127.0.0.1", 1, "zone-a", "scale", "process", Instant.now(), Map.of());
            long tWrite = System.nanoTime();
            try (Cluster writer = Cluster.start(zk.getConnectString(), config, writerInfo, Clock.systemUTC())) {
                FunctionSpec template = SpecParser.parse(Json.mapper().readTree(
                        "{\"name\":\"f\",\"runtime\":\"nodejs\",\"handler\":\"index.handler\"}"), "bench", "f",
                        SpecParser.Defaults.STANDARD).spec();
                String digest = "sha256:" + "ab".repeat(32);
                try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
                    List<Future<?>> done = new ArrayList<>();
                    for (int i = 0; i < functions; i++) {
                        String name = "f" + i;
                        done.add(pool.submit(() -> {
                            ObjectNode s = SpecParser.write(template);
                            s.put("name", name);
                            FunctionSpec spec = SpecParser.parse(s, "bench", name, SpecParser.Defaults.STANDARD).spec();
                            writer.functions().update(FunctionId.of("default", name), "api",
                                    cur -> cur.withNewVersion(digest, spec, "bench", Instant.now(), true));
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get();
                    }
                }
            }
            double writeSeconds = (System.nanoTime() - tWrite) / 1e9;
            // simulated nodes: a registration and a ready-instance document each, ephemeral in this session
            for (int i = 0; i < simulatedNodes; i++) {
                NodeInfo n = new NodeInfo("sim-" + i, "127.0.0.1", 10_000 + i, i % 3 == 0 ? "zone-b" : "zone-a", "scale",
                        "process", Instant.now(), Map.of());
                raw.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
                        .forPath("/nest/scale/nodes/sim-" + i, Json.bytes(n));
                List<Map<String, Object>> ready = new ArrayList<>();
                for (int j = 0; j < 10; j++) {
                    ready.add(Map.of("function", "default/f" + ((i * 10 + j) % functions), "version", 1, "ready", 1, "inFlight", 0));
                }
                raw.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
                        .forPath("/nest/scale/ready/sim-" + i, Json.bytes(Map.of("node", "sim-" + i, "address", "127.0.0.1",
                                "port", 10_000 + i, "zone", "zone-a", "instances", ready)));
            }
            // a new leader's full read: join the region and mirror everything (functions, nodes, ready instances)
            List<Double> reads = new ArrayList<>();
            int mirrored = 0;
            int nodesSeen = 0;
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                NodeInfo me = new NodeInfo("reader-" + round, "127.0.0.1", 2, "zone-a", "scale", "process", Instant.now(), Map.of());
                // Cluster.start returns once its mirrors of functions, nodes, leader and ready documents are loaded
                try (Cluster reader = Cluster.start(zk.getConnectString(), config, me, Clock.systemUTC())) {
                    reads.add((System.nanoTime() - t0) / 1e6);
                    mirrored = reader.functions().all().size();
                    nodesSeen = reader.nodes().size();
                }
            }
            Map<String, String> mntr = mntr(zk.getPort());
            return """
                    ### Control plane at scale (%d functions, %d simulated nodes, one in-process ZooKeeper server)

                    | figure | value |
                    |---|---:|
                    | writing the %d functions (one version each) through the registry, 16 writers | %.1f s |
                    | a joining node's full read into its mirrors (`Cluster.start`: functions, %d registrations, ready documents), p50 of 3 | %.0f ms |
                    | functions in the mirror after the read | %d |
                    | ZooKeeper znodes (`mntr` zk_znode_count) | %s |
                    | ZooKeeper data size (`mntr` zk_approximate_data_size) | %s bytes |

                    Each simulated node holds a registration and a ready-instance document listing 10 function versions.

                    """.formatted(functions, simulatedNodes, functions, writeSeconds, nodesSeen, Stats.median(reads), mirrored,
                    mntr.getOrDefault("zk_znode_count", "?"), mntr.getOrDefault("zk_approximate_data_size", "?"))
                    + rows(String.format(Locale.ROOT, "240 | control plane: a joining node mirrors %,d functions and %,d"
                    + " node registrations; ZooKeeper data size |  | %.1f s; %.1f MB in %.0fk znodes" + COMMAND, functions,
                    simulatedNodes, Stats.median(reads) / 1000, Double.parseDouble(mntr.getOrDefault(
                    "zk_approximate_data_size", "0")) / 1e6, Double.parseDouble(mntr.getOrDefault("zk_znode_count", "0"))
                    / 1000));
        }
    }

    private static Map<String, String> mntr(int port) throws IOException {
        Map<String, String> out = new HashMap<>();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream o = s.getOutputStream();
            o.write("mntr".getBytes(StandardCharsets.US_ASCII));
            o.flush();
            InputStream in = s.getInputStream();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] kv = line.split("\t");
                if (kv.length == 2) {
                    out.put(kv[0].trim(), kv[1].trim());
                }
            }
        }
        return out;
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private String upload(Node n, String indexJs) throws Exception {
        Path code = Files.createTempDirectory(dir, "code");
        Files.writeString(code.resolve("index.js"), indexJs);
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        PackageWriter.zip(code, zip);
        HttpResponse<byte[]> r = http.send(BenchAuth.request(URI.create(n.base() + "/api/v1/artifacts?runtime=nodejs"))
                .header("Content-Type", "application/zip").POST(HttpRequest.BodyPublishers.ofByteArray(zip.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("upload: HTTP " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return Json.tree(r.body(), "upload").path("digest").asText();
    }

    private void post(String url, Object body, int expected) throws Exception {
        HttpResponse<String> r = http.send(BenchAuth.request(URI.create(url)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new IllegalStateException("POST " + url + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    private int status(String url) {
        try {
            return http.send(BenchAuth.request(URI.create(url)).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * The benchmark's own reads of a node's state while its load flows: a client apart from the load's (whose
     * connections to the same port pile up when answers slow down), a short timeout, and a new try at once.
     */
    private final HttpClient controlHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();

    /** {@code url}'s JSON through {@link #controlHttp}; throws when it does not answer 200 within 1 s. */
    private JsonNode control(String url) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = controlHttp.send(BenchAuth.request(URI.create(url)).timeout(Duration.ofSeconds(1)).GET()
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException(url + " answered " + r.statusCode());
        }
        return Json.tree(r.body(), url);
    }

    private JsonNode json(String url) {
        try {
            HttpResponse<byte[]> r = http.send(BenchAuth.request(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return Json.tree(r.body(), url);
        } catch (Exception e) {
            return Json.mapper().createObjectNode();
        }
    }

    /** How the invocation {@code id} went on {@code n}: served where (forwarded or not), cold or warm, its phases. */
    private String invocationPhases(Node n, String id) {
        if (id == null || id.isEmpty()) {
            return "(no invocation id)";
        }
        for (int attempt = 0; attempt < 20; attempt++) { // the record is written by the node's store thread
            JsonNode r = json(n.base() + "/api/v1/invocations/" + id).path("invocation");
            if (r.has("phases")) {
                return (r.path("cold").asBoolean() ? "cold " : "warm ") + r.path("phases");
            }
            BenchHttp.sleep(25);
        }
        return "(served by a peer)";
    }

    /** The {@code v} of a function's JSON answer, or "" when it failed; {@code id[0]} gets its invocation id. */
    private String answer(String url, String[] id) {
        try {
            HttpResponse<byte[]> r = http.send(BenchAuth.request(URI.create(url)).timeout(Duration.ofSeconds(15)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            id[0] = r.headers().firstValue("x-nest-invocation-id").orElse("");
            return r.statusCode() == 200 ? Json.tree(r.body(), url).path("v").asText() : "";
        } catch (Exception e) {
            return "";
        }
    }

    /** The {@code v} of a function's JSON answer, or "" when it failed. */
    private String answer(String url) {
        try {
            HttpResponse<byte[]> r = http.send(BenchAuth.request(URI.create(url)).timeout(Duration.ofSeconds(15)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? Json.tree(r.body(), url).path("v").asText() : "";
        } catch (Exception e) {
            return "";
        }
    }

    /** Polls {@code done} every 10 ms; returns the ms from {@code t0} (nanoTime) to the first true, at most 120 s. */
    private static double until(long t0, java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("condition not met within 120 s");
            }
            BenchHttp.sleep(10);
        }
        return (System.nanoTime() - t0) / 1e6;
    }
}
