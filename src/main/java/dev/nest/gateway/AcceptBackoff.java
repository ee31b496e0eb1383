package dev.nest.gateway;

/**
 * How long the gateway stops accepting after {@code accept} failed (out of file descriptors, EMFILE): 10 ms,
 * doubling up to 1 s, back to 10 ms after a connection is accepted. Pure state; the accept loop's thread only.
 */
final class AcceptBackoff {
    static final long FIRST_MS = 10;
    static final long MAX_MS = 1_000;

    private long next = FIRST_MS;

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
}
