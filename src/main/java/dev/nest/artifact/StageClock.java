package dev.nest.artifact;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongSupplier;

/**
 * Measures the stages of one fetch while its chunks go through them on many threads at once. Each thread reports
 * the interval during which one chunk was in one stage; a stage's time is the union of its intervals: the wall
 * time during which at least one chunk was in that stage. Pipelined stages overlap, so the stages of one fetch
 * may sum to more than its wall time.
 *
 * <p>Thread-safe: {@link #record} is called from any thread (a lock-free queue append); {@link #times} once all
 * of them are done.
 */
final class StageClock {
    /** The stages of a fetch, as the invocation record names them. */
    enum Stage {
        /** Downloading chunks (or reading them from the node's chunk cache) and keeping them in that cache. */
        FETCH,
        /** Checking each compressed chunk's sha256 and decompressing it. */
        DECOMPRESS,
        /** Writing the files, hashing each for the content digest, and committing the directory. */
        UNPACK
    }

    private final LongSupplier nanos;
    private final long start;
    private final Map<Stage, ConcurrentLinkedQueue<long[]>> intervals = new EnumMap<>(Stage.class);

    /** @param nanos a monotonic clock in nanoseconds ({@code System::nanoTime}); the fetch starts now */
    StageClock(LongSupplier nanos) {
        this.nanos = nanos;
        this.start = nanos.getAsLong();
        for (Stage s : Stage.values()) {
            intervals.put(s, new ConcurrentLinkedQueue<>());
        }
    }

    long now() {
        return nanos.getAsLong();
    }

    /** One chunk (or the whole package) was in {@code stage} from {@code from} to {@code to} ({@link #now()} values). */
    void record(Stage stage, long from, long to) {
        if (to > from) {
            intervals.get(stage).add(new long[] {from, to});
        }
    }

    /** Each stage's union of intervals and the wall time since this clock was created. */
    FetchStages times() {
        double total = (now() - start) / 1e6;
        return new FetchStages(total, union(List.copyOf(intervals.get(Stage.FETCH))) / 1e6,
                union(List.copyOf(intervals.get(Stage.DECOMPRESS))) / 1e6, union(List.copyOf(intervals.get(Stage.UNPACK))) / 1e6);
    }

    /**
     * The total length covered by {@code intervals} ({@code [from, to]} pairs, any order, possibly overlapping or
     * nested): overlapping parts count once.
     */
    static long union(List<long[]> intervals) {
        List<long[]> sorted = new ArrayList<>(intervals);
        sorted.sort((a, b) -> Long.compare(a[0], b[0]));
        long total = 0;
        long from = 0;
        long to = 0;
        boolean open = false;
        for (long[] i : sorted) {
            if (i[1] <= i[0]) {
                continue;
            }
            if (open && i[0] <= to) {
                to = Math.max(to, i[1]);
                continue;
            }
            if (open) {
                total += to - from;
            }
            from = i[0];
            to = i[1];
            open = true;
        }
        return open ? total + (to - from) : total;
    }
}
