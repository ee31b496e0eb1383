package dev.nest.gateway;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Strict RFC 9112 framing on top of Netty's request decoder, so that the gateway and whatever is behind it never
 * disagree on where a request ends (request smuggling). Netty's decoder already refuses (as an invalid message) a
 * header name that is not a token (a space before the colon included), control characters in a value, a
 * Content-Length that is not plain digits, a list or two different values, a malformed chunk size, chunk data without
 * its CRLF, and a request line that does not split in three; {@link Decoder} adds Content-Length with
 * Transfer-Encoding (Netty would drop the Content-Length and go on), and {@link #check} the rest: a transfer coding
 * other than one {@code chunked} (501), Transfer-Encoding in HTTP/1.0, an HTTP/1.1 request without exactly one Host,
 * a method that is not a token or a target with control characters (400), a version other than HTTP/1.x (505), a
 * head over {@link #MAX_HEAD} bytes (431), a declared body over the limit (413).
 *
 * <p>Obsolete line folding is replaced by a space before the value is used (Netty's choice, one of the two that
 * RFC 9112 section 5.2 allows a server), so it never reaches a host as a fold. Pure; any thread.
 */
final class RequestRules {
    /** The most bytes of a request's head: {@link #MAX_LINE} for its request line, the rest for its header lines. */
    static final int MAX_HEAD = 64 * 1024;
    /** The longest request line. */
    static final int MAX_LINE = 8 * 1024;

    private RequestRules() {
    }

    /** Netty's request decoder with the gateway's limits, refusing Content-Length with Transfer-Encoding. */
    static final class Decoder extends HttpRequestDecoder {
        Decoder() {
            super(new HttpDecoderConfig().setMaxInitialLineLength(MAX_LINE).setMaxHeaderSize(MAX_HEAD - MAX_LINE)
                    .setMaxChunkSize(64 * 1024).setValidateHeaders(true).setAllowDuplicateContentLengths(false)
                    .setStrictLineParsing(true).setUseRfc9112TransferEncoding(true));
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            throw new Refusal(400, "both Content-Length and Transfer-Encoding: the body's length is ambiguous");
        }
    }

    /**
     * Why {@code r} (a request head as Netty decoded it) must be refused, if it must; {@code maxBody}: server.max-body.
     * One walk over the header table gathers what the rules look at (no lists of values on the way); the rules then
     * apply in the order below.
     */
    static Optional<Refusal> check(HttpRequest r, long maxBody) {
        HttpHeaders h = r.headers();
        int codings = 0;
        String firstCoding = null;
        int lengths = 0;
        String firstLength = null;
        String badLength = null;
        int hosts = 0;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> i = h.iteratorCharSequence(); i.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = i.next();
            CharSequence name = e.getKey();
            if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
                hosts++;
            } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONTENT_LENGTH)) {
                String v = e.getValue().toString();
                if (lengths++ == 0) {
                    firstLength = v;
                }
                if (badLength == null && !digits(v)) {
                    badLength = v;
                }
            } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)
                    && codings++ == 0) {
                firstCoding = e.getValue().toString();
            }
        }
        // the transfer codings first: Netty refuses bad ones too, but as a 400 that does not say which (501 here)
        boolean http10 = r.protocolVersion().majorVersion() == 1 && r.protocolVersion().minorVersion() == 0;
        if (codings > 0) {
            if (http10) {
                return Optional.of(new Refusal(400, "Transfer-Encoding in an HTTP/1.0 request"));
            }
            if (codings > 1 || !firstCoding.trim().equalsIgnoreCase("chunked")) {
                return Optional.of(new Refusal(501, "Transfer-Encoding '"
                        + String.join(", ", h.getAll(HttpHeaderNames.TRANSFER_ENCODING))
                        + "' is not supported; only a single 'chunked' is"));
            }
        }
        DecoderResult d = r.decoderResult();
        if (d.isFailure()) {
            return Optional.of(fromDecoder(d.cause()));
        }
        if (r.protocolVersion().majorVersion() != 1) {
            return Optional.of(new Refusal(505, "only HTTP/1.x is supported"));
        }
        if (!token(r.method().name())) {
            return Optional.of(new Refusal(400, "malformed request line: the method is not a token"));
        }
        if (!visible(r.uri())) {
            return Optional.of(new Refusal(400, "malformed request line: control characters in the target"));
        }
        if (badLength != null) {
            return Optional.of(new Refusal(400, "invalid Content-Length '" + badLength + "': digits only"));
        }
        if (lengths > 1) {
            return Optional.of(new Refusal(400, "more than one Content-Length"));
        }
        if (lengths == 1 && Long.parseLong(firstLength) > maxBody) {
            return Optional.of(new Refusal(413, "the body has " + firstLength + " bytes; the limit is " + maxBody
                    + " bytes (server.max-body); send large data by reference"));
        }
        if (hosts > 1) {
            return Optional.of(new Refusal(400, "more than one Host header"));
        }
        if (hosts == 0 && !http10) {
            return Optional.of(new Refusal(400, "an HTTP/1.1 request needs a Host header"));
        }
        return Optional.empty();
    }

    /** The refusal for a head or chunk Netty's decoder could not read. */
    static Refusal fromDecoder(Throwable cause) {
        if (cause instanceof Refusal r) {
            return r;
        }
        if (cause instanceof TooLongFrameException) {
            return new Refusal(431, "request head larger than " + MAX_HEAD + " bytes (or a request line over " + MAX_LINE
                    + ")");
        }
        return new Refusal(400, "malformed request: " + cause.getMessage());
    }

    /** Content-Length: 1 to 18 digits, nothing else (no sign, no list, no spaces inside). */
    static boolean digits(String v) {
        if (v.isEmpty() || v.length() > 18) {
            return false;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code s} is a non-empty RFC 9110 token. */
    static boolean token(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
                    || c < 0x7f && "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code s} has no control characters and no spaces (a request target). */
    static boolean visible(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c == 0x7f) {
                return false;
            }
        }
        return !s.isEmpty();
    }
}
