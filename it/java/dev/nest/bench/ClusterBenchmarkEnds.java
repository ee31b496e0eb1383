package dev.nest.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;

/**
 * When each of several conditions first held after a start (a kill), each checked in its own loop on its own virtual
 * thread. A check that is slow to answer (an HTTP poll of a node that is busy starting pods while the benchmark's
 * load flows through the same port) therefore delays only its own figure: the epoch claim and the placement write,
 * read from ZooKeeper, are timed when ZooKeeper first shows them, not after another check has returned.
 *
 * <p>Each loop: run the check (an exception counts as "not yet"), and when it holds record the clock's time since the
 * start; otherwise give up once the clock has passed the start plus the limit, else pause and go round again.
 */
final class ClusterBenchmarkEnds implements AutoCloseable {
    /** One condition; an exception means it does not hold yet. */
    @FunctionalInterface
    interface Check {
        boolean holds() throws Exception;
    }

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, CompletableFuture<Double>> ends = new LinkedHashMap<>();

    private ClusterBenchmarkEnds() {
    }

    /**
     * Starts one loop per check.
     *
     * @param t0       the start, on {@code nanoTime}
     * @param nanoTime the clock ({@code System::nanoTime} outside tests)
     * @param pause    run between two rounds of one check (a short sleep outside tests)
     * @param limit    how long after {@code t0} a check may take before it is given up
     * @param checks   the conditions by name
     */
    static ClusterBenchmarkEnds watch(long t0, LongSupplier nanoTime, Runnable pause, Duration limit,
                                      Map<String, Check> checks) {
        if (checks.isEmpty()) {
            throw new IllegalArgumentException("nothing to watch: give at least one check");
        }
        ClusterBenchmarkEnds out = new ClusterBenchmarkEnds();
        long deadline = t0 + limit.toNanos();
        checks.forEach((name, check) -> {
            CompletableFuture<Double> end = new CompletableFuture<>();
            out.ends.put(name, end);
            out.threads.execute(() -> {
                try {
                    while (true) {
                        boolean holds;
                        try {
                            holds = check.holds();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw e;
                        } catch (Exception e) {
                            holds = false;
                        }
                        long now = nanoTime.getAsLong();
                        if (holds) {
                            end.complete((now - t0) / 1e6);
                            return;
                        }
                        if (now - deadline > 0) {
                            end.completeExceptionally(new IllegalStateException(name + ": not met within "
                                    + limit.toMillis() + " ms"));
                            return;
                        }
                        pause.run();
                    }
                } catch (Exception | Error e) {
                    end.completeExceptionally(e);
                }
            });
        });
        return out;
    }

    /**
     * Milliseconds from the start until {@code name} first held; waits for it.
     *
     * @throws IllegalStateException when it was not met within the limit, or its loop failed
     */
    double await(String name) throws InterruptedException {
        CompletableFuture<Double> end = ends.get(name);
        if (end == null) {
            throw new IllegalArgumentException("no check named " + name + "; watched: " + ends.keySet());
        }
        try {
            return end.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IllegalStateException s ? s : new IllegalStateException(name + ": " + e.getCause(), e.getCause());
        }
    }

    /** Stops the loops that still run. */
    @Override
    public void close() {
        threads.shutdownNow();
    }
}
