package dev.nest.gateway;

import java.util.ArrayList;
import java.util.List;

/**
 * One client request as the gateway serves it: method, target, the headers (names and values alternating, as they
 * came, without {@code content-length}, {@code transfer-encoding} and {@code expect: 100-continue}, which framed
 * this hop only) and the whole body. Loop thread only; the gateway may remove headers before passing it on.
 */
final class ClientRequest {
    final String method;
    final String target;
    final boolean http10;
    final boolean keepAlive;
    final List<String> headers;
    byte[] body;
    /** Run once if this request is answered 429 or 5xx ({@link EventIngress#retryable}); null for none. */
    Runnable onRetryable;

    ClientRequest(String method, String target, boolean http10, boolean keepAlive, ArrayList<String> headers) {
        this.method = method;
        this.target = target;
        this.http10 = http10;
        this.keepAlive = keepAlive;
        this.headers = headers;
        this.body = EMPTY;
    }

    static final byte[] EMPTY = new byte[0];
}
