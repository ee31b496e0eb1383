package dev.nest.common;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Invocation ids: 20 hex characters. The first 16 are {@code epochMillis << 20 | sequence} (time-ordered and
 * unique on this node; the node store uses them as its row key), the last 4 are random per node so that ids
 * from different nodes do not collide. One generator for the whole process, so that synchronous invocations (the
 * gateway) and async events ({@code async}) never share an id. Thread-safe.
 */
public final class InvocationIds {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final AtomicLong SEQ = new AtomicLong();
    private static final int NODE = ThreadLocalRandom.current().nextInt(1 << 16);

    private InvocationIds() {
    }

    /** The next id, for an invocation that started at {@code epochMillis}. */
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
