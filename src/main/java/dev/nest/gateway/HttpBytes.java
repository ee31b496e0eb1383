package dev.nest.gateway;

/** Searches in raw HTTP/1.1 bytes shared by the gateway's parsers. No state. */
final class HttpBytes {
    private HttpBytes() {
    }

    /** The position after the blank line that ends a message head in {@code b[pos, lim)}, or -1 if not there yet. */
    static int headEnd(byte[] b, int pos, int lim) {
        for (int i = pos + 3; i < lim; i++) {
            if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    /** The position of the first CRLF in {@code b[from, to)}, or -1. */
    static int crlf(byte[] b, int from, int to) {
        for (int i = from; i + 1 < to; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** The position of the first {@code x} in {@code b[from, to)}, or -1. */
    static int indexOf(byte[] b, byte x, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }
}
