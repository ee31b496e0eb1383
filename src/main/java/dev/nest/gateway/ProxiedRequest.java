package dev.nest.gateway;

import dev.nest.async.AsyncIngress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The bytes of a client's request passed on as it came to another HTTP server (the admin server, another node's
 * gateway): same method, target, headers and body, with this hop's {@code host} (or, to a peer gateway, the
 * client's, with the forwarding headers), the body framed by
 * {@code content-length} and the hop-by-hop headers (and an async delivery's marker) dropped. The decoding has already taken out
 * {@code content-length}, {@code transfer-encoding} and {@code expect}.
 */
final class ProxiedRequest {
    private ProxiedRequest() {
    }

    /**
     * @param extraName  a header to add, or null for none
     * @param extraValue its value
     */
    static ByteBuffer[] encode(ClientRequest r, String host, int port, String extraName, String extraValue) {
        return encode(r, r.headers, host + ":" + port, extraName, extraValue);
    }

    /**
     * The request with {@code headers} in place of the client's (a peer hop passes the client's {@code Host} on, with
     * the forwarding headers of {@link ForwardedHeaders}).
     *
     * @param host       the {@code host} to send, or null to keep the one among {@code headers}
     * @param extraName  a header to add, or null for none
     * @param extraValue its value
     */
    static ByteBuffer[] encode(ClientRequest r, List<String> headers, String host, String extraName, String extraValue) {
        StringBuilder sb = new StringBuilder(256);
        sb.append(r.method).append(' ').append(r.target).append(" HTTP/1.1\r\n");
        if (host != null) {
            sb.append("host: ").append(host).append("\r\n");
        }
        for (int i = 0; i < headers.size(); i += 2) {
            String n = headers.get(i);
            if ((host == null || !n.equalsIgnoreCase("host")) && !n.equalsIgnoreCase("connection")
                    && !n.equalsIgnoreCase("keep-alive") && !n.equalsIgnoreCase(AsyncIngress.DELIVERY)) {
                sb.append(n).append(": ").append(headers.get(i + 1)).append("\r\n");
            }
        }
        if (extraName != null) {
            sb.append(extraName).append(": ").append(extraValue).append("\r\n");
        }
        sb.append("content-length: ").append(r.body.length).append("\r\n\r\n");
        ByteBuffer head = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
        return r.body.length == 0 ? new ByteBuffer[] {head} : new ByteBuffer[] {head, ByteBuffer.wrap(r.body)};
    }
}
