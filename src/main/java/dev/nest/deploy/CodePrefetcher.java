package dev.nest.deploy;

import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Fetches the package of a newly live version in the background as soon as this node sees the deploy, so that the
 * version's first cold start here does not wait for the download. Only a node that holds the package of the version
 * that was live before prefetches ({@link #toPrefetch}): it ran or kept the function, so it is likely to run the new
 * version; other nodes still fetch on first use. Rollbacks and redeploys of known code fetch nothing.
 *
 * <p>Called on the registry's listener thread, which it never blocks: each fetch runs on a virtual thread, at most
 * {@link #PARALLEL} at a time (a node that starts with many changed functions does not fetch them all at once).
 * A failed prefetch is only logged; the first cold start then fetches as before.
 */
public final class CodePrefetcher implements FunctionCatalog.Listener, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CodePrefetcher.class.getName());
    static final int PARALLEL = 2;

    private final BiFunction<String, String, Optional<Path>> ensureLocal;
    private final Supplier<Set<String>> held;
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("nest-prefetch-", 0).factory());
    private final Semaphore permits = new Semaphore(PARALLEL);

    /**
     * @param ensureLocal fetches a package (digest, runtime) to this node if it lacks it ({@link CodeFetcher#ensureLocal})
     * @param held        the packages unpacked on this node now (must not block)
     */
    public CodePrefetcher(BiFunction<String, String, Optional<Path>> ensureLocal, Supplier<Set<String>> held) {
        this.ensureLocal = ensureLocal;
        this.held = held;
    }

    /**
     * The package to fetch for {@code record}, if any: its live version's, when this node lacks it and holds the
     * package of the version that was live before it.
     */
    static Optional<String> toPrefetch(FunctionRecord record, Set<String> held) {
        Optional<FunctionVersion> live = record.liveVersion();
        if (live.isEmpty() || held.contains(live.get().digest()) || record.liveHistory().isEmpty()) {
            return Optional.empty();
        }
        return record.version(record.liveHistory().getLast())
                .filter(before -> held.contains(before.digest()))
                .map(before -> live.get().digest());
    }

    @Override
    public void changed(FunctionId id, Optional<FunctionRecord> now) {
        if (now.isEmpty()) {
            return;
        }
        Optional<String> digest = toPrefetch(now.get(), held.get());
        if (digest.isEmpty()) {
            return;
        }
        try {
            String runtime = now.get().liveVersion().map(v -> v.spec().runtime()).orElseThrow();
            threads.execute(() -> prefetch(id, now.get().live(), digest.get(), runtime));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // shutting down
        }
    }

    private void prefetch(FunctionId id, int version, String digest, String runtime) {
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            return;
        }
        try {
            long t0 = System.nanoTime();
            if (ensureLocal.apply(digest, runtime).isPresent()) {
                LOG.info("prefetched package " + digest + " of " + id + " v" + version + " in "
                        + (System.nanoTime() - t0) / 1_000_000 + " ms");
            } else {
                LOG.info("cannot prefetch package " + digest + " of " + id + " v" + version + "; its first cold start here fetches it");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.INFO, "cannot prefetch package " + digest + " of " + id + " v" + version + ": " + e.getMessage());
        } finally {
            permits.release();
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
