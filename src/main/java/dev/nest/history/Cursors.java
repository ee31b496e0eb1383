package dev.nest.history;

import dev.nest.store.InvocationQuery;
import dev.nest.store.LogQuery;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * The opaque {@code next} cursors: the last item of a page, base64url. An invocation page's cursor is the last
 * record's start time and id (the same on every node); a log page's is the last line's time, node and sequence
 * number, from which each node works out where its own lines continue ({@link #lines}).
 */
final class Cursors {
    private static final String HOW = "the 'next' value of a previous answer, unchanged";

    private Cursors() {
    }

    static String of(InvocationQuery.Position p) {
        return encode("i\n" + p.startedAt() + "\n" + p.id());
    }

    static InvocationQuery.Position invocation(String cursor) {
        String[] f = decode(cursor).split("\n", -1);
        if (f.length != 3 || !f[0].equals("i")) {
            throw HistoryParams.bad("cursor", cursor, "the 'next' value of a previous answer to /api/v1/invocations");
        }
        return new InvocationQuery.Position(instant(cursor, f[1]), f[2]);
    }

    /** A log page's cursor: the last line shown. */
    static String of(NodeLine last) {
        return encode("l\n" + last.line().at() + "\n" + last.node() + "\n" + last.seq());
    }

    /**
     * Where node {@code node}'s lines continue after a page that ended with the cursor's line, in the newest-first
     * order by (time, node, sequence): at the same time, a node that sorts before the cursor's has all its lines
     * still to come, one after it none.
     */
    static LogQuery.Position lines(String cursor, String node) {
        String[] f = decode(cursor).split("\n", -1);
        if (f.length != 4 || !f[0].equals("l") || !f[3].matches("-?\\d{1,19}")) {
            throw HistoryParams.bad("cursor", cursor, "the 'next' value of a previous answer to /api/v1/logs");
        }
        Instant at = instant(cursor, f[1]);
        int c = node.compareTo(f[2]);
        long below = c == 0 ? Long.parseLong(f[3]) : c < 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        return new LogQuery.Position(at, below);
    }

    private static Instant instant(String cursor, String text) {
        try {
            return Instant.parse(text);
        } catch (RuntimeException e) {
            throw HistoryParams.bad("cursor", cursor, HOW);
        }
    }

    private static String encode(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String cursor) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw HistoryParams.bad("cursor", cursor, HOW);
        }
    }
}
