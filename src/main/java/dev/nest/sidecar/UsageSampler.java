package dev.nest.sidecar;

import dev.nest.spi.Pod;
import dev.nest.spi.PodUsage;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns the drivers' cumulative readings of each ready instance's pod into rates: CPU cores in use (CPU time grown
 * over wall time since the previous reading) and memory in bytes, kept on the {@link Instance} for
 * {@link InstanceSet#load} and the API. An instance's first reading gives its memory at once and its CPU from the
 * second reading on; a reading that fails (the driver cannot tell, the pod is stopping) clears both, so the
 * instance counts as not measured; a CPU counter that went backwards (a forked process exited and took its time
 * along) starts the rate afresh instead of giving a negative one.
 *
 * <p>Once {@link #start}ed, samples once a second on its own {@code nest-agent-usage} thread, so that a slow driver
 * read never delays reconciliation or requests; a round that fails is logged and the next one runs a second later.
 * {@link #sample} is called by that one thread (or a test); instances' values are volatile for readers.
 */
final class UsageSampler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UsageSampler.class.getName());

    private final Function<Pod, Optional<PodUsage>> reader;
    private final LongSupplier nanos;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("nest-agent-usage").daemon().unstarted(r));

    /** @param nanos the monotonic clock, read right after each reading */
    UsageSampler(Function<Pod, Optional<PodUsage>> reader, LongSupplier nanos) {
        this.reader = reader;
        this.nanos = nanos;
    }

    /** Reads every instance in {@code ready}. */
    void sample(Collection<Instance> ready) {
        for (Instance i : ready) {
            if (i.merged()) {
                continue; // its pod's usage is its neighbours' too: MergedPods reads its own share from the host
            }
            Pod pod = i.pod();
            Optional<PodUsage> u;
            try {
                u = pod == null ? Optional.empty() : reader.apply(pod);
            } catch (RuntimeException e) {
                u = Optional.empty(); // a driver that breaks its contract does not stop the others' sampling
            }
            i.observeUsage(u, nanos.getAsLong());
        }
    }

    /** Samples the ready instances of every set {@code sets} gives, every second from a second from now. */
    void start(Supplier<? extends Collection<InstanceSet>> sets) {
        start(sets, () -> { });
    }

    /** {@link #start}, also running {@code alsoEachRound} (the merged pods' own readings) every round. */
    void start(Supplier<? extends Collection<InstanceSet>> sets, Runnable alsoEachRound) {
        ticker.scheduleAtFixedRate(() -> {
            try {
                for (InstanceSet set : sets.get()) {
                    sample(set.instances());
                }
                alsoEachRound.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "usage sampling failed; trying again next second", e);
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
