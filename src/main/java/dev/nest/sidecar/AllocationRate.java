package dev.nest.sidecar;

import java.util.ArrayDeque;

/**
 * The rate at which an instance in a merged Java pod allocates, from the cumulative {@code allocatedBytes} its host
 * reports for the instance's own threads (ADR 0025): bytes per second over at least {@link #WINDOW_NANOS}, so that
 * one large request does not count as a sustained rate. What {@code sidecar.merged-allocation-budget} is compared
 * with.
 *
 * <p>A counter that goes back (the instance was loaded anew) starts the window afresh. Threads: {@link #observe} on
 * the usage thread, {@link #bytesPerSecond} from any; guarded by this object's lock. Times are the agent's nanos.
 */
final class AllocationRate {
    /** The shortest span a rate is taken over. */
    static final long WINDOW_NANOS = 10_000_000_000L;

    private final ArrayDeque<long[]> samples = new ArrayDeque<>();
    private double rate = -1;

    /** One reading: {@code allocatedBytes} so far, at {@code nowNanos}. */
    synchronized void observe(long allocatedBytes, long nowNanos) {
        long[] last = samples.peekLast();
        if (last != null && (allocatedBytes < last[1] || nowNanos < last[0])) {
            samples.clear();
            rate = -1;
        }
        samples.addLast(new long[] {nowNanos, allocatedBytes});
        // keep one reading at least a window old as the base, and nothing older
        while (samples.size() > 2) {
            long[] second = samples.stream().skip(1).findFirst().orElseThrow();
            if (nowNanos - second[0] < WINDOW_NANOS) {
                break;
            }
            samples.removeFirst();
        }
        long[] base = samples.peekFirst();
        long span = nowNanos - base[0];
        rate = span >= WINDOW_NANOS ? (allocatedBytes - base[1]) * 1e9 / span : -1;
    }

    /** Bytes per second over the last window; -1 until a window's readings exist. */
    synchronized double bytesPerSecond() {
        return rate;
    }
}
