package dev.nest.cluster;

import dev.nest.common.Json;
import dev.nest.function.FunctionId;
import dev.nest.cluster.ReadyDocument.Entry;
import dev.nest.gateway.PeerRoutes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;

/**
 * The ready-instance registry of a region and the routing table built from it.
 *
 * <p>Each node publishes one ephemeral document, {@code ready/<node>}: its gateway address, per function
 * version how many instances it has ready and how many invocations they are running, and per runtime how many
 * generic warm-pool pods it has ready (what the scheduler prefers a node for). The document is sampled every
 * {@link #SAMPLE_MS} ms and rewritten only when it changed, at most every {@link #PUBLISH_INTERVAL_MS} ms (a
 * burst of changes is one write), never per request; being
 * ephemeral, it disappears with the node's session, and Curator writes it again under a
 * new session after an expiry, so what a node published under an old session never outlives it.
 *
 * <p>Every node mirrors all documents with a {@link CuratorCache} and rebuilds an immutable table on each change;
 * the gateway reads that table through {@link PeerRoutes} without locks. While ZooKeeper is unreachable the
 * table keeps its last content. A peer whose gateway refused a connection is left out for
 * {@link #SUSPECT_MS} ms or until it publishes again.
 *
 * <p>Threads: publishing on one daemon thread, table rebuilds on Curator's event thread, lookups on any thread.
 */
final class ReadyInstances implements PeerRoutes, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ReadyInstances.class.getName());
    static final long PUBLISH_INTERVAL_MS = 200;
    static final long SAMPLE_MS = 100;
    static final long SUSPECT_MS = 5_000;

    /** What is published: the entries and the pools, compared as a whole. */
    private record Snapshot(List<Entry> entries, Map<String, Integer> pools) {
    }

    private record Parsed(long mzxid, ReadyDocument document, Peer peer) {
    }

    private final CuratorFramework client;
    private final ZooKeeperPaths paths;
    private final NodeInfo self;
    private final CuratorCache cache;
    private final AtomicInteger turn = new AtomicInteger();
    private final Map<String, Long> suspects = new ConcurrentHashMap<>();
    private volatile Map<FunctionId, Map<Integer, List<Peer>>> remote = Map.of();
    private volatile Map<FunctionId, Set<Integer>> local = Map.of();
    private volatile Map<String, ReadyDocument> documents = Map.of();
    private volatile Map<String, Set<FunctionId>> serving = Map.of();
    /** Parsed documents by path and the ZooKeeper modification they were parsed from: each is parsed once. */
    private final Map<String, Parsed> parsed = new HashMap<>();
    private volatile boolean initialized;
    private volatile Runnable rebuilt = () -> { };
    private SampledPublisher<Snapshot> publisher;

    ReadyInstances(CuratorFramework client, ZooKeeperPaths paths, NodeInfo self) {
        this.client = client;
        this.paths = paths;
        this.self = self;
        this.cache = CuratorCache.build(client, paths.ready());
    }

    /** Starts the mirror and waits (at most {@code timeout}) until it holds every document once. */
    void start(java.time.Duration timeout) throws Exception {
        client.createContainers(paths.ready());
        java.util.concurrent.CountDownLatch primed = new java.util.concurrent.CountDownLatch(1);
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, old, now) -> {
                    if (initialized) {
                        rebuild();
                    }
                })
                .forInitialized(() -> {
                    initialized = true;
                    rebuild();
                    primed.countDown();
                })
                .build());
        cache.start();
        if (!primed.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the ready-instance tree did not load within " + timeout.toMillis() + " ms");
        }
    }

    /**
     * Starts publishing what {@code counts} and {@code pools} (ready generic pods per runtime) report: sampled every
     * {@link #SAMPLE_MS} ms, written when changed, at most every {@link #PUBLISH_INTERVAL_MS} ms.
     */
    synchronized void publish(Supplier<List<ReadyCount>> counts, Supplier<Map<String, Integer>> pools) {
        if (publisher != null) {
            throw new IllegalStateException("already publishing");
        }
        publisher = new SampledPublisher<>(client, paths.ready(self.id()), "nest-ready-publisher",
                Duration.ofMillis(SAMPLE_MS), Duration.ofMillis(PUBLISH_INTERVAL_MS),
                () -> new Snapshot(entries(counts.get()), new TreeMap<>(pools.get())), this::document,
                s -> applyLocal(s.entries()), System::nanoTime);
        publisher.start();
    }

    private static List<Entry> entries(List<ReadyCount> counts) {
        List<Entry> out = new ArrayList<>();
        for (ReadyCount c : counts) {
            if (c.ready() > 0) {
                out.add(new Entry(c.function().toString(), c.version(), c.ready(), c.inFlight()));
            }
        }
        out.sort(Comparator.comparing(Entry::function).thenComparingInt(Entry::version));
        return out;
    }

    private byte[] document(Snapshot s) {
        return Json.bytes(new ReadyDocument(self.id(), self.address(), self.port(), self.zone(), s.entries(), s.pools()));
    }

    private void applyLocal(List<Entry> entries) {
        Map<FunctionId, Set<Integer>> m = new HashMap<>();
        for (Entry e : entries) {
            m.computeIfAbsent(FunctionId.parse(e.function()), k -> new HashSet<>()).add(e.version());
        }
        local = m;
    }

    private synchronized void rebuild() {
        Map<String, ReadyDocument> docs = new LinkedHashMap<>();
        Map<FunctionId, Map<Integer, List<Peer>>> table = new HashMap<>();
        Map<String, Set<FunctionId>> servingNow = new HashMap<>();
        List<ChildData> all = cache.stream().filter(d -> d.getPath().startsWith(paths.ready() + "/")).toList();
        for (ChildData d : all) {
            String id = d.getPath().substring(paths.ready().length() + 1);
            if (id.contains("/") || d.getData() == null || d.getData().length == 0) {
                continue;
            }
            Parsed known = parsed.get(d.getPath());
            if (known == null || d.getStat() == null || known.mzxid() != d.getStat().getMzxid()) {
                try {
                    ReadyDocument read = Json.read(d.getData(), ReadyDocument.class);
                    // resolved here, on Curator's thread, so that the gateway's loops never look up a name
                    known = new Parsed(d.getStat() == null ? -1 : d.getStat().getMzxid(), read,
                            new Peer(id, read.address(), read.port()));
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "ignoring unreadable ready document " + d.getPath() + ": " + e.getMessage());
                    continue;
                }
                parsed.put(d.getPath(), known);
            }
            ReadyDocument doc = known.document();
            ReadyDocument before = documents.get(id);
            if (before != null && !before.equals(doc)) {
                suspects.remove(id);
            }
            docs.put(id, doc);
            Set<FunctionId> functions = new HashSet<>();
            for (Entry e : doc.instances() == null ? List.<Entry>of() : doc.instances()) {
                try {
                    functions.add(FunctionId.parse(e.function()));
                } catch (IllegalArgumentException bad) {
                    // reported below for the routing table
                }
            }
            servingNow.put(id, Set.copyOf(functions));
            if (id.equals(self.id())) {
                continue;
            }
            Peer peer = known.peer();
            for (Entry e : doc.instances() == null ? List.<Entry>of() : doc.instances()) {
                try {
                    table.computeIfAbsent(FunctionId.parse(e.function()), k -> new HashMap<>())
                            .computeIfAbsent(e.version(), k -> new ArrayList<>()).add(peer);
                } catch (IllegalArgumentException bad) {
                    LOG.log(Level.FINE, "ignoring entry " + e + " of " + id);
                }
            }
        }
        parsed.keySet().retainAll(all.stream().map(ChildData::getPath).toList());
        for (Map<Integer, List<Peer>> versions : table.values()) {
            versions.replaceAll((v, peers) -> List.copyOf(peers));
        }
        documents = docs;
        serving = servingNow;
        remote = table;
        rebuilt.run();
    }

    /** Runs {@code r} after every rebuild of the table (tests wait on it instead of sleeping). */
    void onRebuilt(Runnable r) {
        rebuilt = r;
    }

    // ---- PeerRoutes (gateway event loops) --------------------------------------------------------------

    @Override
    public List<Peer> peersFor(FunctionId id, int version) {
        Map<Integer, List<Peer>> versions = remote.get(id);
        if (versions == null) {
            return List.of();
        }
        Set<Integer> mine = local.get(id);
        if (mine != null && mine.contains(version)) {
            return List.of();
        }
        List<Peer> peers = versions.get(version);
        if (peers == null) {
            return List.of();
        }
        List<Peer> out = new ArrayList<>(peers.size());
        int start = Math.floorMod(turn.getAndIncrement(), peers.size());
        long now = System.nanoTime();
        for (int i = 0; i < peers.size(); i++) {
            Peer p = peers.get((start + i) % peers.size());
            Long until = suspects.isEmpty() ? null : suspects.get(p.node());
            if (until == null || until - now < 0) {
                out.add(p);
            }
        }
        return out;
    }

    @Override
    public void unreachable(Peer peer) {
        suspects.put(peer.node(), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SUSPECT_MS));
    }

    @Override
    public String self() {
        return self.id();
    }

    /** What every node published, as last seen (for {@code GET /api/v1/cluster}). */
    Map<String, ReadyDocument> documents() {
        return documents;
    }

    /** The functions {@code nodeId} last published a ready instance of. */
    Set<FunctionId> serving(String nodeId) {
        return serving.getOrDefault(nodeId, Set.of());
    }

    /** The ready generic pods per runtime that {@code nodeId} last published; empty when none is known. */
    Map<String, Integer> pools(String nodeId) {
        ReadyDocument d = documents.get(nodeId);
        return d == null ? Map.of() : d.pools();
    }

    @Override
    public synchronized void close() {
        if (publisher != null) {
            publisher.close();
        }
        cache.close();
    }

    @Override
    public String toString() {
        return "ReadyInstances" + Objects.toString(documents.keySet());
    }
}
