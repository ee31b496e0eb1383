package dev.nest.gateway;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The headers of an answer the gateway passes on to its client: which of an upstream's it drops (its
 * {@code x-nest-*} headers, which only Nest may set, and this hop's framing: {@code connection},
 * {@code transfer-encoding}, {@code content-length}, {@code keep-alive}), and the names the gateway adds, encoded
 * once. Pure; any thread (the table {@link #strip} changes belongs to the caller).
 */
final class AnswerHeaders {
    static final AsciiString INVOCATION_ID = AsciiString.cached("x-nest-invocation-id");
    static final AsciiString COLD = AsciiString.cached("x-nest-cold");
    static final AsciiString TRUE = AsciiString.cached("true");
    /** No headers to add. */
    static final String[] NONE = {};
    /** The host's error kind and its report on the instance's health, read from every answer before it is stripped. */
    static final AsciiString ERROR = AsciiString.cached("x-nest-error");
    static final AsciiString HEALTH = AsciiString.cached(dev.nest.sidecar.Lease.INSTANCE_HEALTH_HEADER);

    private AnswerHeaders() {
    }

    /** Whether a header named {@code n} is dropped from an answer passed on. */
    static boolean dropped(CharSequence n) {
        return n.length() >= 7 && AsciiString.regionMatches(n, true, 0, "x-nest-", 0, 7)
                || AsciiString.contentEqualsIgnoreCase(n, HttpHeaderNames.CONNECTION)
                || AsciiString.contentEqualsIgnoreCase(n, HttpHeaderNames.TRANSFER_ENCODING)
                || AsciiString.contentEqualsIgnoreCase(n, HttpHeaderNames.CONTENT_LENGTH)
                || AsciiString.contentEqualsIgnoreCase(n, HttpHeaderNames.KEEP_ALIVE);
    }

    /**
     * {@code h} (an upstream answer's headers, owned by the caller and not used again) without the {@link #dropped}
     * ones: changed in place rather than copied, so that an answer costs no second header table.
     */
    static HttpHeaders strip(HttpHeaders h) {
        h.remove(HttpHeaderNames.CONNECTION);
        h.remove(HttpHeaderNames.TRANSFER_ENCODING);
        h.remove(HttpHeaderNames.CONTENT_LENGTH);
        h.remove(HttpHeaderNames.KEEP_ALIVE);
        List<CharSequence> nest = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> i = h.iteratorCharSequence(); i.hasNext(); ) {
            CharSequence n = i.next().getKey();
            if (dropped(n)) {
                if (nest == null) {
                    nest = new ArrayList<>(2);
                }
                nest.add(n);
            }
        }
        if (nest != null) {
            for (CharSequence n : nest) {
                h.remove(n);
            }
        }
        return h;
    }
}
