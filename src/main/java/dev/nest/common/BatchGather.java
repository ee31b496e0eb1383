package dev.nest.common;

import java.util.Collection;

/**
 * The pause a batch writer takes after the first item of a batch, so that under load producers find the writer
 * busy or asleep instead of waking it once per item (a futex call on the producer's thread), and the writer
 * writes fewer, larger batches. The pause ends at the longest wait, as soon as a full batch is queued, or as soon
 * as a caller that waits for the writer (a flush, a read, a purge, a close) calls {@link #hurry}.
 *
 * <p>Threading: {@link #pause} and {@link #reset} on the writer thread only; {@link #hurry} from any thread.
 * Limits: the pause is taken in slices of {@code sliceMillis}, so a hurry or a full batch is seen within one slice.
 */
public final class BatchGather {
    private final long maxMillis;
    private final long sliceMillis;
    private final int full;
    private volatile boolean urgent;

    /**
     * @param maxMillis   the longest pause
     * @param sliceMillis how often the pause checks for a full batch or a waiting caller
     * @param full        queued items that make a full batch
     */
    public BatchGather(long maxMillis, long sliceMillis, int full) {
        if (sliceMillis <= 0 || maxMillis < sliceMillis || full <= 0) {
            throw new IllegalArgumentException("a batch gather needs 0 < slice <= max and a positive full batch; got max "
                    + maxMillis + " ms, slice " + sliceMillis + " ms, full " + full);
        }
        this.maxMillis = maxMillis;
        this.sliceMillis = sliceMillis;
        this.full = full;
    }

    /** Pauses the writer until the longest wait passes, {@code queue} holds a full batch or a caller hurries it. */
    public void pause(Collection<?> queue) throws InterruptedException {
        for (long slept = 0; slept < maxMillis && !urgent && queue.size() < full; slept += sliceMillis) {
            Thread.sleep(sliceMillis);
        }
    }

    /** A caller waits for the writer: the current pause (or the next one) ends at once. */
    public void hurry() {
        urgent = true;
    }

    /** The writer is about to take the queue: callers from now on hurry the next pause. */
    public void reset() {
        urgent = false;
    }
}
