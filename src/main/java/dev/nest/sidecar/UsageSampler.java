package dev.nest.sidecar;

import dev.nest.spi.Pod;
import dev.nest.spi.PodUsage;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Turns the drivers' cumulative readings of each ready instance's pod into rates: CPU cores in use (CPU time grown
 * over wall time since the previous reading) and memory in bytes, kept on the {@link Instance} for
 * {@link InstanceSet#load} and the API. An instance's first reading gives its memory at once and its CPU from the
 * second reading on; a reading that fails (the driver cannot tell, the pod is stopping) clears both, so the
 * instance counts as not measured; a CPU counter that went backwards (a forked process exited and took its time
 * along) starts the rate afresh instead of giving a negative one.
 *
 * <p>Called by one thread (the node agent's sampler, once a second); instances' values are volatile for readers.
 */
final class UsageSampler {
    private final Function<Pod, Optional<PodUsage>> reader;
    private final LongSupplier nanos;

    /** @param nanos the monotonic clock, read right after each reading */
    UsageSampler(Function<Pod, Optional<PodUsage>> reader, LongSupplier nanos) {
        this.reader = reader;
        this.nanos = nanos;
    }

    /** Reads every instance in {@code ready}. */
    void sample(Collection<Instance> ready) {
        for (Instance i : ready) {
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
}
