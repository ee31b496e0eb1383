package dev.nest.deploy;

import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.ChunkManifest;
import dev.nest.common.NestException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;

/**
 * Makes a deployed package survive the loss of a node: before a deploy is acknowledged, the package is on at
 * least {@code replicas} live nodes (capped by how many are alive), and each holder is recorded in the cluster
 * so that other nodes know whom to fetch it from. Copies are pushed over the peers' own upload API: the chunks
 * they lack ({@code HEAD}, then {@code PUT /api/v1/artifacts/chunks/{sha256}}), then the manifest
 * ({@code POST /api/v1/artifacts/manifests}), which makes the peer verify and unpack it.
 *
 * <p>Peers in another zone than this node are preferred, so that a zone's loss leaves a copy. A peer that fails
 * is skipped for the next; when too few succeed the deploy fails with 503 and says how many copies exist.
 * Thread-safe; each call blocks its caller (a request thread) for the pushes.
 */
public final class ArtifactReplicator {
    private static final Logger LOG = Logger.getLogger(ArtifactReplicator.class.getName());
    private static final int PARALLEL_CHUNKS = 4;

    private final ArtifactStore artifacts;
    private final ArtifactHolders holders;
    private final int replicas;
    private final Supplier<Map<String, String>> peerHeaders;
    private final Optional<SSLContext> peerTls;
    /** Made on the first push: a node alone never needs one (and its start-up does not pay for it). */
    private volatile HttpClient http;

    /** @param replicas copies a deploy needs, this node's included ({@code cluster.artifact-replicas}) */
    public ArtifactReplicator(ArtifactStore artifacts, ArtifactHolders holders, int replicas) {
        this(artifacts, holders, replicas, Map::of);
    }

    /**
     * @param replicas    copies a deploy needs, this node's included ({@code cluster.artifact-replicas})
     * @param peerHeaders sent with every push (the cluster's peer credential, which peers require)
     */
    public ArtifactReplicator(ArtifactStore artifacts, ArtifactHolders holders, int replicas,
                              Supplier<Map<String, String>> peerHeaders) {
        this(artifacts, holders, replicas, peerHeaders, Optional.empty());
    }

    /**
     * @param replicas    copies a deploy needs, this node's included ({@code cluster.artifact-replicas})
     * @param peerHeaders sent with every push (the cluster's peer credential, which peers require)
     * @param peerTls     verifies peers' {@code https} URLs (the public port's TLS, {@code server.tls}); empty: the
     *                    JDK's default trust
     */
    public ArtifactReplicator(ArtifactStore artifacts, ArtifactHolders holders, int replicas,
                              Supplier<Map<String, String>> peerHeaders, Optional<SSLContext> peerTls) {
        this.peerHeaders = peerHeaders;
        this.peerTls = peerTls;
        if (replicas < 1) {
            throw new IllegalArgumentException("replicas must be at least 1, not " + replicas);
        }
        this.artifacts = artifacts;
        this.holders = holders;
        this.replicas = replicas;
    }

    /**
     * Records this node as a holder of {@code digest} (and the sha256 of its manifest, which this node verified, so
     * that fetching nodes trust it: ADR 0027) and pushes it to peers until {@code replicas} live nodes hold it. Returns
     * the number of live holders.
     *
     * @throws NestException 503 when fewer nodes than needed could take a copy
     */
    public int replicate(String digest, String runtime) {
        recordManifest(digest);
        List<ArtifactHolders.Node> peers = holders.peers();
        if (replicas == 1 || peers.isEmpty()) {
            // nobody needs this node's copy now: record it without holding the deploy up
            Thread.ofVirtual().name("nest-record-holder").start(() -> {
                try {
                    holders.record(digest, holders.self());
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "cannot record this node as a holder of " + digest + ": " + e.getMessage());
                }
            });
            return 1;
        }
        // the holder records are ZooKeeper writes: each runs on its own thread while the copies are pushed, and all
        // are waited for before the deploy goes on (a deploy's version never names a holder that was not recorded)
        long t0 = System.nanoTime();
        java.util.concurrent.FutureTask<Void> self = recordAsync(digest, holders.self());
        Set<String> holding = new HashSet<>();
        holders.holders(digest).forEach(h -> holding.add(h.node()));
        int need = Math.min(replicas, 1 + peers.size());
        int have = 1 + holding.size();
        List<ArtifactHolders.Node> candidates = new ArrayList<>(peers.stream().filter(p -> !holding.contains(p.node())).toList());
        candidates.sort(Comparator.comparing((ArtifactHolders.Node p) -> p.zone().equals(holders.zone())).thenComparing(p -> p.node()));
        List<String> failures = new ArrayList<>();
        java.util.Map<String, java.util.concurrent.FutureTask<Void>> peerRecords = new java.util.LinkedHashMap<>();
        for (ArtifactHolders.Node peer : candidates) {
            if (have >= need) {
                break;
            }
            try {
                long p0 = System.nanoTime();
                push(digest, runtime, peer);
                LOG.fine("package " + digest + " pushed to " + peer.node() + " in " + (System.nanoTime() - p0) / 1_000_000 + " ms");
                peerRecords.put(peer.node(), recordAsync(digest, peer.node()));
                have++;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot copy package " + digest + " to node " + peer.node() + ": " + e.getMessage());
                failures.add(peer.node() + ": " + e.getMessage());
            }
        }
        join(self); // this node's own record failing fails the deploy, as ZooKeeper is then not writable
        for (var r : peerRecords.entrySet()) {
            try {
                join(r.getValue());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot record node " + r.getKey() + " as a holder of " + digest + ": " + e.getMessage());
                failures.add(r.getKey() + ": copied but not recorded: " + e.getMessage());
                have--;
            }
        }
        LOG.fine(() -> "package " + digest + " on " + need + " node(s) in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        if (have < need) {
            throw new NestException(503, "package not replicated", "package " + digest + " is stored on " + have
                    + " node(s) but cluster.artifact-replicas asks for " + need + " of the " + (1 + peers.size())
                    + " live nodes; copies failed (" + String.join("; ", failures) + "); retry when the nodes are back, "
                    + "or lower cluster.artifact-replicas");
        }
        return have;
    }

    /**
     * Makes the HTTP client for pushes ahead of the first deploy, on a virtual thread, once this node has peers (its
     * first creation loads the JDK's HTTP and TLS classes, a few hundred ms on a busy node). Does not block; a node
     * alone never makes one. Called whenever the live nodes change.
     */
    public void prepare() {
        if (http == null && replicas > 1 && !holders.peers().isEmpty()) {
            Thread.ofVirtual().name("nest-replicator-client").start(this::client);
        }
    }

    /**
     * Records the sha256 of this node's manifest of {@code digest} in the cluster, on a virtual thread of its own; a
     * failure is only logged (fetching nodes then hash every file, as without the record).
     */
    private void recordManifest(String digest) {
        Optional<String> sha = artifacts.manifestSha256(digest);
        if (sha.isEmpty()) {
            return;
        }
        Thread.ofVirtual().name("nest-record-manifest").start(() -> {
            try {
                holders.recordManifest(digest, sha.get());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot record the manifest digest of " + digest + " (fetching nodes will hash every "
                        + "file): " + e.getMessage());
            }
        });
    }

    /** Records {@code node} as a holder of {@code digest} on a virtual thread of its own. */
    private java.util.concurrent.FutureTask<Void> recordAsync(String digest, String node) {
        java.util.concurrent.FutureTask<Void> task = new java.util.concurrent.FutureTask<>(() -> {
            holders.record(digest, node);
            return null;
        });
        Thread.ofVirtual().name("nest-record-holder").start(task);
        return task;
    }

    /** Waits for a holder record; its failure is thrown as it was (the record itself is time-bounded). */
    private static void join(java.util.concurrent.FutureTask<Void> task) {
        try {
            task.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re
                    : new IllegalStateException(String.valueOf(e.getCause().getMessage()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while recording a package holder", e);
        }
    }

    /**
     * Copies {@code digest} to {@code peer}: the chunks it lacks, then the manifest with the runtime, so that the
     * peer prepares the code as this node did (compiles Java sources).
     */
    private void push(String digest, String runtime, ArtifactHolders.Node peer) {
        byte[] manifest = artifacts.manifest(digest).orElseThrow(() -> new NestException(500, "artifact store error",
                "package " + digest + " has no manifest on this node"));
        ChunkManifest m = ChunkManifest.parse(manifest);
        String base = peer.baseUrl().replaceAll("/+$", "") + "/api/v1/artifacts";
        List<String> distinct = m.chunks().stream().map(ChunkManifest.Chunk::sha256).distinct().toList();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(PARALLEL_CHUNKS);
            List<Future<?>> sent = new ArrayList<>();
            for (String sha : distinct) {
                sent.add(pool.submit(() -> {
                    permits.acquire();
                    try {
                        pushChunk(base, sha);
                    } finally {
                        permits.release();
                    }
                    return null;
                }));
            }
            for (Future<?> f : sent) {
                f.get();
            }
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException re ? re : new IllegalStateException(String.valueOf(c.getMessage()), c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while copying package " + digest);
        }
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/manifests?runtime="
                        + java.net.URLEncoder.encode(runtime, java.nio.charset.StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(120)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(manifest)).build());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("the manifest upload answered " + r.statusCode() + ": " + r.body());
        }
    }

    private void pushChunk(String base, String sha) {
        HttpResponse<String> head = send(HttpRequest.newBuilder(URI.create(base + "/chunks/" + sha))
                .timeout(Duration.ofSeconds(30)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
        if (head.statusCode() == 200) {
            return;
        }
        Path file = artifacts.chunk(sha).orElseThrow(() -> new IllegalStateException("chunk " + sha + " is missing on this node"));
        HttpResponse<String> put;
        try {
            put = send(HttpRequest.newBuilder(URI.create(base + "/chunks/" + sha)).timeout(Duration.ofSeconds(120))
                    .header("content-type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofFile(file)).build());
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalStateException("chunk " + sha + " is missing on this node", e);
        }
        if (put.statusCode() != 201) {
            throw new IllegalStateException("chunk " + sha + " upload answered " + put.statusCode() + ": " + put.body());
        }
    }

    private HttpClient client() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                if (http == null) {
                    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(Duration.ofSeconds(2));
                    peerTls.ifPresent(b::sslContext);
                    http = b.build();
                }
                c = http;
            }
        }
        return c;
    }

    private HttpResponse<String> send(HttpRequest request) {
        HttpRequest.Builder b = HttpRequest.newBuilder(request, (name, value) -> true);
        peerHeaders.get().forEach(b::header);
        request = b.build();
        try {
            return client().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(request.method() + " " + request.uri() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + request.method() + " " + request.uri(), e);
        }
    }
}
