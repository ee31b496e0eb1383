package dev.nest.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Decodes an HTTP/1.1 chunked body incrementally (chunk-size lines with extensions, data, trailers), for both
 * the gateway's request and response parsers. No I/O; one instance per body.
 */
final class ChunkedDecoder {
    /** The body is malformed ({@code tooLarge}: it exceeds the limit). */
    static final class Malformed extends Exception {
        final boolean tooLarge;

        Malformed(String message, boolean tooLarge) {
            super(message, null, false, false);
            this.tooLarge = tooLarge;
        }
    }

    private static final int MAX_LINE = 4096;
    private static final int SIZE = 0;
    private static final int DATA = 1;
    private static final int DATA_END = 2;
    private static final int TRAILERS = 3;
    private static final int DONE = 4;

    private final long limit;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int state = SIZE;
    private long left;

    /** @param limit largest decoded body accepted */
    ChunkedDecoder(long limit) {
        this.limit = limit;
    }

    boolean done() {
        return state == DONE;
    }

    byte[] body() {
        return out.toByteArray();
    }

    /**
     * The chunk size on the line {@code b[from, to)}: 1 to 15 hex digits, then nothing or an extension after
     * optional blanks and {@code ;}.
     */
    private static long size(byte[] b, int from, int to) throws Malformed {
        int i = from;
        long n = 0;
        while (i < to && Character.digit(b[i], 16) >= 0 && i - from < 15) {
            n = n * 16 + Character.digit(b[i], 16);
            i++;
        }
        int digits = i - from;
        while (i < to && (b[i] == ' ' || b[i] == '\t')) {
            i++;
        }
        if (digits == 0 || i < to && b[i] != ';') {
            throw new Malformed("malformed chunk size '" + new String(b, from, Math.min(to - from, 40),
                    StandardCharsets.ISO_8859_1) + "'", false);
        }
        return n;
    }

    /** Consumes bytes from {@code b[pos, lim)}; returns the new position (stops at the end of the body). */
    int feed(byte[] b, int pos, int lim) throws Malformed {
        while (pos < lim && state != DONE) {
            switch (state) {
                case SIZE, TRAILERS -> {
                    int le = HttpBytes.crlf(b, pos, lim);
                    if (le < 0) {
                        if (lim - pos > MAX_LINE) {
                            throw new Malformed("malformed chunk: a line longer than " + MAX_LINE + " bytes", false);
                        }
                        return pos;
                    }
                    if (state == TRAILERS) {
                        if (le == pos) {
                            state = DONE;
                        }
                        pos = le + 2;
                        continue;
                    }
                    left = size(b, pos, le);
                    if (left < 0 || out.size() + left > limit) {
                        throw new Malformed("the body is larger than the limit of " + limit + " bytes", true);
                    }
                    pos = le + 2;
                    state = left == 0 ? TRAILERS : DATA;
                }
                case DATA -> {
                    int n = (int) Math.min(lim - pos, left);
                    out.write(b, pos, n);
                    pos += n;
                    left -= n;
                    if (left == 0) {
                        state = DATA_END;
                    }
                }
                default -> {
                    if (lim - pos < 2) {
                        return pos;
                    }
                    if (b[pos] != '\r' || b[pos + 1] != '\n') {
                        throw new Malformed("malformed chunk: its data is not followed by CRLF", false);
                    }
                    pos += 2;
                    state = SIZE;
                }
            }
        }
        return pos;
    }
}
