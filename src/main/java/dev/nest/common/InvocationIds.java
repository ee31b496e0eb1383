package dev.nest.common;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Invocation ids: 20 hex characters. The first 16 are {@code epochMillis << 20 | sequence} (time-ordered and
 * unique on this node; the node store uses them as its row key), the last 4 name the node that made it: a hash of
 * its id ({@link #tag}, set once at start by {@link #useNode}; random until then, as in ids made before nodes were
 * named), so that ids from different nodes do not collide and a node answering for the region asks the right node
 * first. The tag is a hint, not a proof: 16 bits can collide, and an async invocation may run on another node than
 * the one that accepted it. One generator for the whole process, so that synchronous invocations (the gateway) and
 * async events ({@code async}) never share an id. Thread-safe.
 */
public final class InvocationIds {
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    private static final AtomicLong SEQ = new AtomicLong();
    private static volatile int node = ThreadLocalRandom.current().nextInt(1 << 16);

    private InvocationIds() {
    }

    /**
     * Makes the ids name node {@code nodeId} from now on (the composition root calls it once, at start). Process-wide:
     * with several nodes in one JVM (tests), the last one started names them all, which only costs lookups a round.
     */
    public static void useNode(String nodeId) {
        node = Integer.parseInt(tag(nodeId), 16);
    }

    /** The 4 hex digits that name node {@code nodeId} in its invocations' ids. */
    public static String tag(String nodeId) {
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(nodeId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return String.format("%02x%02x", h[0], h[1]);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The node tag of an id this class made (20 lowercase hex digits), empty for any other id. */
    public static java.util.Optional<String> tagOf(String invocationId) {
        return invocationId.matches("[0-9a-f]{20}") ? java.util.Optional.of(invocationId.substring(16))
                : java.util.Optional.empty();
    }

    /** The next id, for an invocation that started at {@code epochMillis}. */
    public static String next(long epochMillis) {
        long k = epochMillis << 20 | (SEQ.getAndIncrement() & 0xfffff);
        byte[] c = new byte[20]; // Latin-1, as the string keeps it: no char array to compress
        for (int i = 15; i >= 0; i--) {
            c[i] = HEX[(int) (k & 0xf)];
            k >>>= 4;
        }
        int n = node;
        for (int i = 19; i >= 16; i--) {
            c[i] = HEX[n & 0xf];
            n >>>= 4;
        }
        return new String(c, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
