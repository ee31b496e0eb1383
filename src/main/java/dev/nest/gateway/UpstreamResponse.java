package dev.nest.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;

/**
 * One answer of an upstream server (a runtime host, the admin server, another node's gateway) as Netty decoded it:
 * status, headers, and the whole body. The receiver owns {@link #body}: it passes it on to the client
 * ({@link ClientConnection#respond(int, HttpHeaders, ByteBuf, String...)} takes it over) or calls {@link #release}.
 */
final class UpstreamResponse {
    final int status;
    final HttpHeaders headers;
    final ByteBuf body;

    UpstreamResponse(int status, HttpHeaders headers, ByteBuf body) {
        this.status = status;
        this.headers = headers;
        this.body = body;
    }

    /** The first value of header {@code name}. */
    Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name));
    }

    /** A copy of the body's bytes (the body stays owned by the caller). */
    byte[] bodyBytes() {
        return ByteBufUtil.getBytes(body);
    }

    void release() {
        body.release();
    }
}
