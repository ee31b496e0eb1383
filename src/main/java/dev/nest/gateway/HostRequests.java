package dev.nest.gateway;

import dev.nest.sidecar.HostClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;

/**
 * Encodes invocation requests to runtime hosts straight into pooled direct buffers, the form the socket writes from:
 * the head through one reused {@link HostClient.Head} (no per-request array), then one bulk copy of the head and the
 * body into a buffer from the channels' allocator, so the transport neither copies a heap buffer nor wraps an array
 * per request. The request's form (secret, invocation id, deadline, dropped headers) stays {@link HostClient}'s.
 *
 * <p>One per event loop; loop thread only (the head buffer is reused by the next request). Limits: none beyond
 * memory (a body is copied whole, as the transport copied it before).
 */
final class HostRequests {
    private final HostClient.Head head = new HostClient.Head();
    private final ByteBufAllocator alloc;

    HostRequests(ByteBufAllocator alloc) {
        this.alloc = alloc;
    }

    /**
     * The request for one invocation on {@code host}, to {@code /invoke/<instanceId><rest>}; one reference owned by
     * the caller.
     */
    ByteBuf encode(HostClient host, String method, String instanceId, String rest, List<String> headers,
                   String invocationId, long deadlineEpochMillis, byte[] body) {
        int bodyLength = body == null ? 0 : body.length;
        host.encodeInvocation(head, method, instanceId, rest, headers, invocationId, deadlineEpochMillis, bodyLength);
        int n = head.length();
        ByteBuf out = alloc.directBuffer(n + bodyLength);
        out.writeBytes(head.bytes(), 0, n);
        if (bodyLength > 0) {
            out.writeBytes(body);
        }
        return out;
    }
}
