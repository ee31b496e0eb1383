package dev.nest.async;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Async invocation ids, in the gateway's format (20 hex characters: {@code epochMillis << 20 | sequence}, then 4
 * random per process), so the node store and the API treat them as any invocation id. Thread-safe.
 */
public final class EventIds {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final AtomicLong SEQ = new AtomicLong(ThreadLocalRandom.current().nextInt(1 << 19));
    private static final int NODE = ThreadLocalRandom.current().nextInt(1 << 16);

    private EventIds() {
    }

    /** The next id, for an invocation accepted at {@code epochMillis}. */
    public static String next(long epochMillis) {
        long k = epochMillis << 20 | (SEQ.getAndIncrement() & 0xfffff);
        char[] c = new char[20];
        for (int i = 15; i >= 0; i--) {
            c[i] = HEX[(int) (k & 0xf)];
            k >>>= 4;
        }
        int n = NODE;
        for (int i = 19; i >= 16; i--) {
            c[i] = HEX[n & 0xf];
            n >>>= 4;
        }
        return new String(c);
    }
}
