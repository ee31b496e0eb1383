package dev.nest.gateway;

/**
 * How long the gateway stops accepting after {@code accept} failed (out of file descriptors, EMFILE): 10 ms,
 * doubling up to 1 s, back to 10 ms after a connection is accepted; and when such a failure is worth a log line: the
 * first one, then at most one line every {@link #LOG_EVERY_NANOS}, which counts the failures since the previous line.
 * A flood that frees and takes descriptors again and again (the back-off starting over after each accept) thus never
 * writes more than one line per ten seconds. Pure state over the times it is given; the accept loop's thread only.
 */
final class AcceptBackoff {
    static final long FIRST_MS = 10;
    static final long MAX_MS = 1_000;
    static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private long next = FIRST_MS;
    private long unlogged;
    private long total;
    private boolean logged;
    private long lastLogNanos;

    /** The pause after one more failure. */
    long next() {
        long d = next;
        next = Math.min(MAX_MS, next * 2);
        return d;
    }

    /** A connection was accepted. */
    void reset() {
        next = FIRST_MS;
    }

    /**
     * Counts one failure at {@code nowNanos}; returns how many failures the log line should report (this one and
     * those not logged before it), or 0 when this failure gets no line.
     */
    long failed(long nowNanos) {
        unlogged++;
        total++;
        if (logged && nowNanos - lastLogNanos < LOG_EVERY_NANOS) {
            return 0;
        }
        logged = true;
        lastLogNanos = nowNanos;
        long n = unlogged;
        unlogged = 0;
        return n;
    }

    /** Every failure so far. */
    long total() {
        return total;
    }
}
