package dev.nest.gateway;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Incremental HTTP/1.1 request parser for the gateway's event loop: fed whatever bytes arrived, it says
 * whether a whole request (head and body, Content-Length or chunked) is there. No I/O, no threads; one
 * instance per connection, {@link #reset} between requests.
 *
 * <p>Strict RFC 9112 framing, so that the gateway and whatever is behind it never disagree on where a request ends
 * (request smuggling): Content-Length with Transfer-Encoding, a Content-Length that is not plain digits or differs
 * between headers, a chunk without its CRLF or with a malformed size, a header name that is not a token (a space
 * before the colon included), control characters in a value, obsolete line folding, and an HTTP/1.1 request without
 * exactly one Host are 400; a transfer coding other than one {@code chunked} is 501. Every refusal closes the
 * connection.
 */
final class HttpRequestParser {
    /** Why a request was refused while parsing; the connection answers with {@code status} and closes. */
    static final class BadRequest extends Exception {
        final int status;

        BadRequest(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private static final int MAX_HEAD = 64 * 1024;

    private final long maxBody;
    private boolean headDone;
    String method;
    String target;
    boolean http10;
    final List<String> headers = new ArrayList<>(32);
    long contentLength = -1;
    boolean chunked;
    boolean keepAlive;
    boolean expectContinue;
    byte[] body;
    private int bodyFilled;
    private ChunkedDecoder chunks;

    HttpRequestParser(long maxBody) {
        this.maxBody = maxBody;
    }

    void reset() {
        headDone = false;
        method = null;
        target = null;
        headers.clear();
        contentLength = -1;
        chunked = false;
        keepAlive = true;
        expectContinue = false;
        body = null;
        bodyFilled = 0;
        chunks = null;
    }

    boolean headDone() {
        return headDone;
    }

    /**
     * Consumes bytes from {@code buf[pos, lim)}; returns the new position. {@link #complete()} tells whether a
     * whole request has been read.
     */
    int feed(byte[] buf, int pos, int lim) throws BadRequest {
        if (!headDone) {
            int end = HttpBytes.headEnd(buf, pos, lim);
            if (end < 0) {
                if (lim - pos > MAX_HEAD) {
                    throw new BadRequest(431, "request head larger than " + MAX_HEAD + " bytes");
                }
                return pos;
            }
            parseHead(buf, pos, end);
            pos = end;
            headDone = true;
            if (!chunked) {
                body = contentLength <= 0 ? EMPTY : new byte[(int) contentLength];
            } else {
                chunks = new ChunkedDecoder(maxBody);
            }
        }
        if (!chunked) {
            int n = Math.min(lim - pos, body.length - bodyFilled);
            System.arraycopy(buf, pos, body, bodyFilled, n);
            bodyFilled += n;
            return pos + n;
        }
        return feedChunked(buf, pos, lim);
    }

    boolean complete() {
        return headDone && (chunked ? chunks.done() : bodyFilled == body.length);
    }

    private static final byte[] EMPTY = new byte[0];


    private void parseHead(byte[] b, int pos, int end) throws BadRequest {
        int lineEnd = HttpBytes.crlf(b, pos, end);
        int sp1 = HttpBytes.indexOf(b, (byte) ' ', pos, lineEnd);
        int sp2 = sp1 < 0 ? -1 : HttpBytes.indexOf(b, (byte) ' ', sp1 + 1, lineEnd);
        if (sp1 <= pos || sp2 < 0 || sp2 == sp1 + 1 || !token(b, pos, sp1) || !visible(b, sp1 + 1, sp2)) {
            throw new BadRequest(400, "malformed request line");
        }
        method = ascii(b, pos, sp1);
        target = new String(b, sp1 + 1, sp2 - sp1 - 1, StandardCharsets.UTF_8);
        String version = ascii(b, sp2 + 1, lineEnd);
        if (!version.matches("HTTP/[0-9]\\.[0-9]")) {
            throw new BadRequest(400, "malformed request line: the version must be HTTP/1.1 or HTTP/1.0");
        }
        if (version.charAt(5) != '1') {
            throw new BadRequest(505, "only HTTP/1.x is supported");
        }
        http10 = version.equals("HTTP/1.0");
        keepAlive = !http10;
        int hosts = 0;
        int encodings = 0;
        int p = lineEnd + 2;
        while (p < end - 2) {
            int le = HttpBytes.crlf(b, p, end);
            if (b[p] == ' ' || b[p] == '\t') {
                throw new BadRequest(400, "obsolete line folding (a header line starting with a space or tab) is not accepted");
            }
            int colon = HttpBytes.indexOf(b, (byte) ':', p, le);
            if (colon <= p || !token(b, p, colon)) {
                throw new BadRequest(400, "malformed header line: a header name is a token followed at once by ':'");
            }
            String name = ascii(b, p, colon);
            int vs = colon + 1;
            while (vs < le && (b[vs] == ' ' || b[vs] == '\t')) {
                vs++;
            }
            int ve = le;
            while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) {
                ve--;
            }
            if (!fieldValue(b, vs, ve)) {
                throw new BadRequest(400, "malformed header '" + name + "': control characters in its value");
            }
            String value = new String(b, vs, ve - vs, StandardCharsets.UTF_8);
            switch (name.length()) {
                case 14 -> {
                    if (name.equalsIgnoreCase("content-length")) {
                        long n = contentLength(value);
                        if (contentLength >= 0 && contentLength != n) {
                            throw new BadRequest(400, "two different Content-Length values");
                        }
                        contentLength = n;
                        if (contentLength > maxBody) {
                            throw new BadRequest(413, "the body has " + contentLength + " bytes; the limit is " + maxBody
                                    + " bytes (server.max-body); send large data by reference");
                        }
                        p = le + 2;
                        continue;
                    }
                }
                case 17 -> {
                    if (name.equalsIgnoreCase("transfer-encoding")) {
                        if (++encodings > 1 || !value.equalsIgnoreCase("chunked")) {
                            throw new BadRequest(501, "Transfer-Encoding '" + value + "' is not supported; only a single"
                                    + " 'chunked' is");
                        }
                        chunked = true;
                        p = le + 2;
                        continue;
                    }
                }
                case 10 -> {
                    if (name.equalsIgnoreCase("connection")) {
                        String v = value.toLowerCase();
                        if (v.contains("close")) {
                            keepAlive = false;
                        } else if (v.contains("keep-alive")) {
                            keepAlive = true;
                        }
                    }
                }
                case 6 -> {
                    if (name.equalsIgnoreCase("expect") && value.equalsIgnoreCase("100-continue")) {
                        expectContinue = true;
                        p = le + 2;
                        continue;
                    }
                }
                case 4 -> {
                    if (name.equalsIgnoreCase("host")) {
                        hosts++;
                    }
                }
                default -> {
                }
            }
            headers.add(name);
            headers.add(value);
            p = le + 2;
        }
        if (chunked && contentLength >= 0) {
            throw new BadRequest(400, "both Content-Length and Transfer-Encoding: the body's length is ambiguous");
        }
        if (chunked && http10) {
            throw new BadRequest(400, "Transfer-Encoding in an HTTP/1.0 request");
        }
        if (hosts > 1 || hosts == 0 && !http10) {
            throw new BadRequest(400, hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "more than one Host header");
        }
    }

    /** Content-Length: 1 to 18 digits, nothing else (no sign, no list, no spaces inside). */
    private static long contentLength(String value) throws BadRequest {
        if (value.isEmpty() || value.length() > 18) {
            throw new BadRequest(400, "invalid Content-Length '" + value + "'");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw new BadRequest(400, "invalid Content-Length '" + value + "': digits only");
            }
        }
        return Long.parseLong(value);
    }

    /** Whether {@code b[from, to)} is a non-empty RFC 9110 token (a method, a header name). */
    private static boolean token(byte[] b, int from, int to) {
        if (from >= to) {
            return false;
        }
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            boolean ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
                    || c < 0x7f && "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code b[from, to)} has no control characters and no spaces (a request target). */
    private static boolean visible(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            if (c <= 0x20 || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code b[from, to)} is a valid field value: visible characters, spaces, tabs, obs-text. */
    private static boolean fieldValue(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    private int feedChunked(byte[] b, int pos, int lim) throws BadRequest {
        try {
            pos = chunks.feed(b, pos, lim);
        } catch (ChunkedDecoder.Malformed e) {
            throw new BadRequest(e.tooLarge ? 413 : 400, e.tooLarge ? e.getMessage()
                    + " (server.max-body); send large data by reference" : e.getMessage());
        }
        if (chunks.done()) {
            body = chunks.body();
        }
        return pos;
    }

    private static String ascii(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }
}
