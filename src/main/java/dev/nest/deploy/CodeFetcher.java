package dev.nest.deploy;

import dev.nest.artifact.Artifact;
import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.FetchStages;
import dev.nest.common.NestException;
import dev.nest.sidecar.CodeDir;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The code of a package on this node, fetched from a holder on first use: the node agent asks for the unpacked
 * directory of a digest before it starts an instance, and a node that was not among the deploy's replicas gets
 * it here from a live holder the cluster names (same zone first), through {@link ArtifactStore#fetch}, which
 * fetches the chunks in parallel and decompresses and unpacks each as it arrives. The manifest sha256 the cluster
 * recorded for the package (by the node that verified the upload) is passed along, so that a matching manifest is
 * trusted and only its chunks are checked (ADR 0027). Once the fetched chunks are in this node's chunk cache (written
 * in the background after the commit), this node is recorded as a holder too.
 *
 * <p>Concurrent calls for one digest fetch it once. A holder that fails is skipped for the next; when none can
 * serve it the answer is empty and the node agent reports that the code is missing.
 */
public final class CodeFetcher {
    private static final Logger LOG = Logger.getLogger(CodeFetcher.class.getName());

    private final ArtifactStore artifacts;
    private final ArtifactHolders holders;
    private final BiConsumer<String, Path> prepare;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Map<String, Fetch> fetches = new ConcurrentHashMap<>();

    /**
     * How one package came to this node.
     *
     * @param digest the package
     * @param from   the node it was fetched from
     * @param millis wall time of the fetch, which overlaps download, decompression and unpacking of the chunks
     * @param files  files unpacked, or -1 when not known
     * @param stages the time of each stage of the fetch (download, decompression with verification, unpacking),
     *               which overlap: see {@link FetchStages}
     */
    public record Fetch(String digest, String from, double millis, int files, FetchStages stages) {
    }

    /**
     * @param prepare what a fetched package goes through for its runtime before it is committed, as on the node
     *                that took the upload ({@code RuntimeRegistry.prepare}: Java sources are compiled)
     */
    public CodeFetcher(ArtifactStore artifacts, ArtifactHolders holders, BiConsumer<String, Path> prepare) {
        this.artifacts = artifacts;
        this.holders = holders;
        this.prepare = prepare;
    }

    /**
     * The unpacked directory of {@code digest}, fetched from a holder when this node lacks it and prepared for
     * {@code runtime}.
     */
    public Optional<Path> ensureLocal(String digest, String runtime) {
        Optional<Artifact> here = artifacts.find(digest);
        if (here.isPresent()) {
            return Optional.of(here.get().codeDir());
        }
        synchronized (locks.computeIfAbsent(digest, d -> new Object())) {
            try {
                here = artifacts.find(digest);
                if (here.isPresent()) {
                    return Optional.of(here.get().codeDir());
                }
                return fetch(digest, runtime);
            } finally {
                locks.remove(digest);
            }
        }
    }

    /**
     * {@link #ensureLocal} for the node agent ({@link dev.nest.sidecar.CodeSource}): the directory with the phases of
     * the fetch this call made, as the cold start's {@code fetch}, {@code decompress} (with verification) and
     * {@code unpack}; no phases when the node already held the package. The phases run pipelined, chunk by chunk:
     * each is the time during which at least one chunk was in it, so they overlap and may sum to more than the
     * fetch's wall time.
     */
    public Optional<CodeDir> codeDir(String digest, String runtime) {
        Optional<Fetch> before = lastFetch(digest);
        Optional<Path> dir = ensureLocal(digest, runtime);
        Optional<Fetch> after = lastFetch(digest);
        Map<String, Double> phases = after.isPresent() && !after.equals(before) ? after.get().stages().phases() : Map.of();
        return dir.map(d -> new CodeDir(d, phases));
    }

    /** The last fetch of {@code digest} by this node, if it had to fetch it. */
    public Optional<Fetch> lastFetch(String digest) {
        return Optional.ofNullable(fetches.get(digest));
    }

    private Optional<Path> fetch(String digest, String runtime) {
        List<ArtifactHolders.Node> from;
        try {
            from = new ArrayList<>(holders.holders(digest));
        } catch (NestException e) {
            LOG.log(Level.WARNING, "cannot list the holders of " + digest + ": " + e.getMessage());
            return Optional.empty();
        }
        from.sort(Comparator.comparing((ArtifactHolders.Node n) -> !n.zone().equals(holders.zone())).thenComparing(n -> n.node()));
        Optional<String> trusted = Optional.empty();
        if (!from.isEmpty()) {
            try {
                trusted = holders.trustedManifest(digest);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot read the manifest digest of " + digest + " (every file is hashed): " + e.getMessage());
            }
        }
        for (ArtifactHolders.Node h : from) {
            long t0 = System.nanoTime();
            try {
                ArtifactStore.Fetched fetched = artifacts.fetch(digest, h.baseUrl(), trusted, dir -> prepare.accept(runtime, dir));
                Artifact a = fetched.artifact();
                double millis = (System.nanoTime() - t0) / 1e6;
                Fetch f = new Fetch(digest, h.node(), millis, a.files(),
                        fetched.stages().orElse(new FetchStages(millis, 0, 0, 0)));
                fetches.put(digest, f);
                LOG.info("fetched package " + digest + " from node " + h.node() + " in " + Math.round(f.millis()) + " ms (fetch "
                        + Math.round(f.stages().fetchMs()) + " ms, decompress " + Math.round(f.stages().decompressMs())
                        + " ms, unpack " + Math.round(f.stages().unpackMs()) + " ms, overlapping; "
                        + (fetched.trusted() ? "manifest trusted, chunks checked" : "every file hashed") + ")");
                // a holder serves chunks: record this node once they are in its chunk cache (written in the background)
                fetched.cached().thenAccept(servable -> {
                    if (!servable) {
                        return;
                    }
                    try {
                        holders.record(digest, holders.self());
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "cannot record this node as a holder of " + digest + ": " + e.getMessage());
                    }
                });
                return Optional.of(a.codeDir());
            } catch (NestException e) {
                LOG.log(Level.WARNING, "cannot fetch package " + digest + " from node " + h.node() + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }
}
