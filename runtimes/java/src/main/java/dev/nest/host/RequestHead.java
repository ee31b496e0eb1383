package dev.nest.host;

import com.sun.net.httpserver.Headers;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The head of one HTTP/1.1 request read off the host's Unix socket ({@link UnixSocketHttpServer}), parsed strictly
 * (RFC 9112): request line {@code METHOD SP origin-form SP HTTP/1.x CRLF}; header lines {@code token ":" OWS value OWS
 * CRLF}, with CRLF line ends only, no whitespace before the colon, no folded lines, no control characters; framing by
 * {@code Content-Length} only (digits, at most {@value #MAX_BODY} bytes, repeated only with the same value). A request
 * with {@code Transfer-Encoding} is refused with 501 (the contract sends none), any other breach with 400, 413 or
 * 417 ({@link Malformed}); the caller answers and closes the connection.
 *
 * <p>Bounds: the request line and headers together at most {@value #MAX_HEAD} bytes and {@value #MAX_HEADERS} header
 * lines. Not thread-safe; immutable once read.
 *
 * @param method         the method token
 * @param target         the request target (origin-form: starts with {@code /})
 * @param http10         whether the request is HTTP/1.0
 * @param headers        the header fields (names normalised as {@link Headers} does)
 * @param contentLength  the body's length, 0 without a body
 * @param keepAlive      whether the connection may carry another request after this one
 * @param expectContinue whether the client waits for {@code 100 Continue} before it sends the body
 */
record RequestHead(String method, String target, boolean http10, Headers headers, long contentLength,
                   boolean keepAlive, boolean expectContinue) {
    static final int MAX_HEAD = 64 * 1024;
    static final int MAX_HEADERS = 256;
    static final long MAX_BODY = Integer.MAX_VALUE - 16;

    /** A request that breaks the rules: the status to answer (then close) and why. */
    static final class Malformed extends IOException {
        final int status;

        Malformed(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /**
     * Reads one request head from {@code in}; empty when the connection ended cleanly before a request began.
     *
     * @throws Malformed   for a request that breaks the rules or the bounds
     * @throws IOException when the connection broke in the middle of the head
     */
    static Optional<RequestHead> read(InputStream in) throws IOException {
        int[] budget = {MAX_HEAD};
        String line = line(in, budget, true);
        if (line == null) {
            return Optional.empty();
        }
        int sp1 = line.indexOf(' ');
        int sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
        if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) {
            throw new Malformed(400, "the request line is not METHOD SP target SP version");
        }
        String method = line.substring(0, sp1);
        String target = line.substring(sp1 + 1, sp2);
        String version = line.substring(sp2 + 1);
        if (!isToken(method)) {
            throw new Malformed(400, "the method is not a token");
        }
        if (target.isEmpty() || target.charAt(0) != '/' || !visible(target)) {
            throw new Malformed(400, "the request target is not an absolute path with a query");
        }
        boolean http10 = version.equals("HTTP/1.0");
        if (!http10 && !version.equals("HTTP/1.1")) {
            throw new Malformed(version.startsWith("HTTP/") ? 505 : 400, "the version is not HTTP/1.1");
        }
        Headers headers = new Headers();
        int count = 0;
        for (String h = line(in, budget, false); !h.isEmpty(); h = line(in, budget, false)) {
            if (++count > MAX_HEADERS) {
                throw new Malformed(431, "more than " + MAX_HEADERS + " header fields");
            }
            char first = h.charAt(0);
            if (first == ' ' || first == '\t') {
                throw new Malformed(400, "a folded header line");
            }
            int colon = h.indexOf(':');
            if (colon <= 0 || !isToken(h.substring(0, colon))) {
                throw new Malformed(400, "a header name is not a token followed by a colon");
            }
            String value = h.substring(colon + 1).strip();
            if (!fieldValue(value)) {
                throw new Malformed(400, "a header value holds a control character");
            }
            headers.add(h.substring(0, colon), value);
        }
        if (headers.containsKey("Transfer-Encoding")) {
            throw new Malformed(501, "Transfer-Encoding is not supported on this socket; send Content-Length");
        }
        long length = contentLength(headers.get("Content-Length"));
        boolean close = tokens(headers.get("Connection"), "close");
        boolean keepAlive = http10 ? tokens(headers.get("Connection"), "keep-alive") && !close : !close;
        List<String> expect = headers.get("Expect");
        boolean expectContinue = false;
        if (expect != null) {
            if (expect.size() != 1 || !expect.get(0).equalsIgnoreCase("100-continue")) {
                throw new Malformed(417, "the only expectation served is 100-continue");
            }
            expectContinue = !http10;
        }
        return Optional.of(new RequestHead(method, target, http10, headers, length, keepAlive, expectContinue));
    }

    private static long contentLength(List<String> values) throws Malformed {
        if (values == null) {
            return 0;
        }
        String first = values.get(0);
        for (String v : values) {
            if (!v.equals(first)) {
                throw new Malformed(400, "Content-Length is given twice with different values");
            }
        }
        if (first.isEmpty() || first.length() > 19 || !first.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Malformed(400, "Content-Length is not a number of digits");
        }
        long n = Long.parseLong(first);
        if (n > MAX_BODY) {
            throw new Malformed(413, "the body is longer than " + MAX_BODY + " bytes");
        }
        return n;
    }

    private static boolean tokens(List<String> values, String token) {
        if (values == null) {
            return false;
        }
        for (String v : values) {
            for (String t : v.split(",")) {
                if (t.strip().toLowerCase(Locale.ROOT).equals(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * One CRLF-terminated line (without its CRLF) in ISO-8859-1, charged to {@code budget}; {@code null} at a clean
     * end before the first byte when {@code first}.
     */
    private static String line(InputStream in, int[] budget, boolean first) throws IOException {
        StringBuilder sb = new StringBuilder(first ? 64 : 32);
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (first && sb.isEmpty()) {
                    return null;
                }
                throw new EOFException("the connection ended in the middle of a request head");
            }
            if (--budget[0] < 0) {
                throw new Malformed(431, "the request line and headers are longer than " + MAX_HEAD + " bytes");
            }
            if (b == '\r') {
                int next = in.read();
                --budget[0];
                if (next != '\n') {
                    throw new Malformed(400, "a CR not followed by LF");
                }
                return sb.toString();
            }
            if (b == '\n') {
                throw new Malformed(400, "a line ends with LF alone");
            }
            if (b == 0) {
                throw new Malformed(400, "a NUL byte in the request head");
            }
            sb.append((char) b);
        }
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean visible(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static boolean fieldValue(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                return false;
            }
        }
        return true;
    }
}
