package dev.nest.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;

/**
 * Which code packages each node has unpacked, so that the scheduler can prefer a node that starts an instance without
 * fetching its code. Each node publishes one ephemeral document, {@code cached/<node>}, in a compact binary form
 * ({@link #encode}: a format byte, then the 32 raw bytes of each sha256 in ascending order, so 10,000 packages take
 * 320 KB); it is sampled every {@link #SAMPLE_MS} ms and rewritten only when the set changed, at most once per
 * {@link #INTERVAL}. A node holding more than {@link #MAX_DIGESTS} packages publishes the first that many in digest
 * order (ZooKeeper refuses documents near 1 MB); the scheduler then only misses a preference.
 *
 * <p>Every node mirrors all documents with a {@link CuratorCache} and decodes each once per change, so lookups
 * ({@link #of}) never wait for ZooKeeper. Being ephemeral, a document disappears with its node's session and is
 * written again under a new one ({@link SampledPublisher}).
 *
 * <p>Threads: publishing on one daemon thread, decoding on Curator's event thread, lookups on any thread.
 */
final class CachedPackages implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CachedPackages.class.getName());
    static final long SAMPLE_MS = 250;
    static final Duration INTERVAL = Duration.ofSeconds(1);
    static final int MAX_DIGESTS = 30_000;
    private static final byte FORMAT = 1;
    private static final String PREFIX = "sha256:";

    private final CuratorFramework client;
    private final ZooKeeperPaths paths;
    private final String self;
    private final CuratorCache cache;
    private final Map<String, Set<String>> byNode = new ConcurrentHashMap<>();
    private SampledPublisher<Set<String>> publisher;
    private boolean warnedTooMany;
    private volatile Runnable changed = () -> { };

    CachedPackages(CuratorFramework client, ZooKeeperPaths paths, String self) {
        this.client = client;
        this.paths = paths;
        this.self = self;
        this.cache = CuratorCache.build(client, paths.cached());
    }

    /** Starts the mirror and waits (at most {@code timeout}) until it holds every document once. */
    void start(Duration timeout) throws Exception {
        client.createContainers(paths.cached());
        java.util.concurrent.CountDownLatch primed = new java.util.concurrent.CountDownLatch(1);
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreatesAndChanges((old, now) -> decoded(now))
                .forDeletes(old -> node(old).ifPresent(byNode::remove))
                .forInitialized(primed::countDown)
                .build());
        cache.start();
        if (!primed.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the cached-packages tree did not load within " + timeout.toMillis() + " ms");
        }
    }

    private java.util.Optional<String> node(ChildData d) {
        String prefix = paths.cached() + "/";
        if (!d.getPath().startsWith(prefix) || d.getPath().indexOf('/', prefix.length()) >= 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(d.getPath().substring(prefix.length()));
    }

    private void decoded(ChildData d) {
        node(d).ifPresent(id -> {
            try {
                byNode.put(id, d.getData() == null || d.getData().length == 0 ? Set.of() : decode(d.getData()));
                changed.run();
            } catch (IllegalArgumentException e) {
                LOG.log(Level.WARNING, "ignoring the unreadable package list of node " + id + ": " + e.getMessage());
            }
        });
    }

    /** Starts publishing the digests {@code digests} reports (each {@code sha256:<hex>}), sampled every {@link #SAMPLE_MS} ms. */
    synchronized void publish(Supplier<Set<String>> digests) {
        if (publisher != null) {
            throw new IllegalStateException("already publishing");
        }
        publisher = new SampledPublisher<>(client, paths.cached(self), "nest-cached-publisher", Duration.ofMillis(SAMPLE_MS),
                INTERVAL, () -> Set.copyOf(digests.get()), this::encodeCapped, s -> { }, System::nanoTime);
        publisher.start();
    }

    private byte[] encodeCapped(Set<String> digests) {
        if (digests.size() > MAX_DIGESTS && !warnedTooMany) {
            warnedTooMany = true;
            LOG.warning("this node holds " + digests.size() + " packages; the scheduler is told about the first "
                    + MAX_DIGESTS + " only (lower the artifact cache size to keep fewer)");
        }
        return encode(digests, MAX_DIGESTS);
    }

    /** Runs {@code r} after every decoded document (tests wait on it instead of sleeping). */
    void onDecoded(Runnable r) {
        changed = r;
    }

    /** The packages node {@code nodeId} last published as unpacked there; empty when it published none. */
    Set<String> of(String nodeId) {
        return byNode.getOrDefault(nodeId, Set.of());
    }

    /**
     * The compact form of {@code digests}: format byte 1, then 32 bytes per {@code sha256:<64 hex>} digest in ascending
     * order, at most {@code max} of them (the lowest). Digests of another form are left out.
     */
    static byte[] encode(Collection<String> digests, int max) {
        List<byte[]> raw = new ArrayList<>(digests.size());
        HexFormat hex = HexFormat.of();
        for (String d : digests) {
            String h = d.startsWith(PREFIX) ? d.substring(PREFIX.length()) : d;
            if (h.length() != 64) {
                continue;
            }
            try {
                raw.add(hex.parseHex(h));
            } catch (IllegalArgumentException notHex) {
                // not a sha256; nothing the scheduler could match
            }
        }
        raw.sort(java.util.Arrays::compareUnsigned);
        int n = Math.min(max, raw.size());
        byte[] out = new byte[1 + 32 * n];
        out[0] = FORMAT;
        for (int i = 0; i < n; i++) {
            System.arraycopy(raw.get(i), 0, out, 1 + 32 * i, 32);
        }
        return out;
    }

    /**
     * The digests ({@code sha256:<hex>}) of an {@link #encode}d document.
     *
     * @throws IllegalArgumentException when it is not one (another format, or a length that is not 1 + 32n)
     */
    static Set<String> decode(byte[] data) {
        if (data.length == 0 || data[0] != FORMAT) {
            throw new IllegalArgumentException("format " + (data.length == 0 ? "none" : data[0]) + " is not " + FORMAT);
        }
        if ((data.length - 1) % 32 != 0) {
            throw new IllegalArgumentException(data.length + " bytes is not 1 + 32 per digest");
        }
        HexFormat hex = HexFormat.of();
        String[] out = new String[(data.length - 1) / 32];
        for (int i = 0; i < out.length; i++) {
            out[i] = PREFIX + hex.formatHex(data, 1 + 32 * i, 33 + 32 * i);
        }
        return Set.of(out);
    }

    @Override
    public synchronized void close() {
        if (publisher != null) {
            publisher.close();
        }
        cache.close();
    }
}
