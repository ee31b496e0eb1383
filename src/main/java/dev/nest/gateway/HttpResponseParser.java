package dev.nest.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Incremental HTTP/1.1 response parser for upstream connections (runtime hosts, the admin server): status,
 * headers (hop-by-hop ones dropped), and the body by Content-Length, chunked, or until close. No I/O.
 */
final class HttpResponseParser {
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private static final int MAX_HEAD = 64 * 1024;

    private boolean headDone;
    private boolean headRequest;
    int status;
    final List<String> headers = new ArrayList<>(16);
    boolean keepAlive;
    private long contentLength;
    private boolean chunked;
    private boolean untilClose;
    byte[] body;
    private int filled;
    private ByteArrayOutputStream untilCloseBody;
    private ChunkedDecoder chunks;
    private boolean complete;

    void reset(boolean headRequest) {
        this.headRequest = headRequest;
        headDone = false;
        status = 0;
        headers.clear();
        keepAlive = true;
        contentLength = -1;
        chunked = false;
        untilClose = false;
        body = null;
        filled = 0;
        untilCloseBody = null;
        chunks = null;
        complete = false;
    }

    boolean started() {
        return headDone;
    }

    boolean complete() {
        return complete;
    }

    /** The peer closed the connection: completes a close-delimited body, else the response is truncated. */
    boolean closed() {
        if (headDone && untilClose) {
            body = untilCloseBody.toByteArray();
            complete = true;
        }
        return complete;
    }

    int feed(byte[] b, int pos, int lim) throws Malformed {
        if (!headDone) {
            int end = HttpBytes.headEnd(b, pos, lim);
            if (end < 0) {
                if (lim - pos > MAX_HEAD) {
                    throw new Malformed("response head larger than " + MAX_HEAD + " bytes");
                }
                return pos;
            }
            parseHead(b, pos, end);
            pos = end;
            headDone = true;
            if (headRequest || status == 204 || status == 304 || status < 200) {
                body = new byte[0];
                complete = true;
                return pos;
            }
            if (chunked) {
                chunks = new ChunkedDecoder(Integer.MAX_VALUE - 16);
            } else if (contentLength >= 0) {
                body = new byte[(int) contentLength];
                if (contentLength == 0) {
                    complete = true;
                    return pos;
                }
            } else {
                untilClose = true;
                keepAlive = false;
                untilCloseBody = new ByteArrayOutputStream();
            }
        }
        if (untilClose) {
            untilCloseBody.write(b, pos, lim - pos);
            return lim;
        }
        if (!chunked) {
            int n = Math.min(lim - pos, body.length - filled);
            System.arraycopy(b, pos, body, filled, n);
            filled += n;
            complete = filled == body.length;
            return pos + n;
        }
        try {
            pos = chunks.feed(b, pos, lim);
        } catch (ChunkedDecoder.Malformed e) {
            throw new Malformed(e.getMessage());
        }
        if (chunks.done()) {
            body = chunks.body();
            complete = true;
        }
        return pos;
    }

    private void parseHead(byte[] b, int pos, int end) throws Malformed {
        int le = HttpBytes.crlf(b, pos, end);
        if (le - pos < 12 || b[pos] != 'H') {
            throw new Malformed("malformed status line");
        }
        status = (b[pos + 9] - '0') * 100 + (b[pos + 10] - '0') * 10 + (b[pos + 11] - '0');
        boolean http10 = b[pos + 7] == '0';
        keepAlive = !http10;
        int p = le + 2;
        while (p < end - 2) {
            int e = HttpBytes.crlf(b, p, end);
            int colon = HttpBytes.indexOf(b, (byte) ':', p, e);
            if (colon > p) {
                String name = new String(b, p, colon - p, StandardCharsets.ISO_8859_1);
                int vs = colon + 1;
                while (vs < e && (b[vs] == ' ' || b[vs] == '\t')) {
                    vs++;
                }
                String value = new String(b, vs, e - vs, StandardCharsets.UTF_8);
                if (name.equalsIgnoreCase("content-length")) {
                    try {
                        contentLength = Long.parseLong(value.trim());
                    } catch (NumberFormatException ex) {
                        throw new Malformed("invalid Content-Length");
                    }
                } else if (name.equalsIgnoreCase("transfer-encoding")) {
                    chunked = value.toLowerCase().contains("chunked");
                } else if (name.equalsIgnoreCase("connection")) {
                    String v = value.toLowerCase();
                    keepAlive = v.contains("keep-alive") || !v.contains("close") && !http10;
                } else if (!name.equalsIgnoreCase("keep-alive") && !name.equalsIgnoreCase("date")) {
                    headers.add(name);
                    headers.add(value);
                }
            }
            p = e + 2;
        }
    }
}
