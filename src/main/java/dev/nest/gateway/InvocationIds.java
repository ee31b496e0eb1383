package dev.nest.gateway;

import java.util.concurrent.ThreadLocalRandom;

/** Invocation ids: 20 hex characters, time-ordered prefix (milliseconds) plus randomness. */
final class InvocationIds {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private InvocationIds() {
    }

    static String next() {
        long t = System.currentTimeMillis();
        long r = ThreadLocalRandom.current().nextLong();
        char[] c = new char[20];
        for (int i = 9; i >= 0; i--) {
            c[i] = HEX[(int) (t & 0xf)];
            t >>>= 4;
        }
        for (int i = 19; i >= 10; i--) {
            c[i] = HEX[(int) (r & 0xf)];
            r >>>= 4;
        }
        return new String(c);
    }
}
