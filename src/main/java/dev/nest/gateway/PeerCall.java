package dev.nest.gateway;

import dev.nest.auth.PeerCredential;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * One invocation sent on to another node's gateway, which serves it locally (it carries
 * {@link PeerRoutes#FORWARDED_BY}, so it is never forwarded twice). A peer that refuses the connection got
 * nothing: it is reported {@link PeerRoutes#unreachable} and the next peer is tried, then this node (a cold
 * start here). Failures after the request was sent are answered with 502 (504 when the peer did not answer in
 * the function's timeout), as for a local instance, because the function may have run; they are never sent again. The peer records the
 * invocation; this node does not record it a second time. The request carries the cluster's {@link PeerCredential}
 * (the receiving gateway refuses a forwarded invocation without it). Loop thread only.
 */
final class PeerCall implements Upstream.Callback {
    /** The peer answers within the function's timeout; this much more covers the hop. */
    private static final long HOP_NANOS = 1_000_000_000L;

    private final Call call;
    private final List<PeerRoutes.Peer> peers;
    private final PeerRoutes routes;
    private final Optional<PeerCredential> credential;
    private int index = -1;
    private PeerRoutes.Peer peer;
    private InetSocketAddress address;

    PeerCall(Call call, List<PeerRoutes.Peer> peers, PeerRoutes routes, Optional<PeerCredential> credential) {
        this.credential = credential;
        this.call = call;
        this.peers = peers;
        this.routes = routes;
    }

    /** Sends the call to the next peer, or serves it here when none is left or its deadline passed. */
    void next() {
        index++;
        if (index >= peers.size() || System.nanoTime() >= call.waitDeadline) {
            call.forwardingTo(null);
            call.acquireAndForward();
            return;
        }
        peer = peers.get(index);
        address = peer.address();
        if (address.isUnresolved()) {
            routes.unreachable(peer);
            next();
            return;
        }
        ClientRequest r = call.c.request;
        // the function on the peer sees the client's Host and address (the peer believes them if it trusts this node)
        List<String> headers = ForwardedHeaders.apply(r.headers, call.c.origin(call.trusted));
        call.setTrace(headers); // the peer continues this trace
        if (credential.isPresent()) {
            headers.add(credential.get().headerName());
            headers.add(credential.get().headerValue());
            // the peer serves it under this id, so that a stop of this id reaches it there (see Gateway#stop)
            headers.add(PeerRoutes.FORWARDED_ID);
            headers.add(call.invocationId);
        }
        call.forwardingTo(peer);
        call.c.upstream.exchange(address, ProxiedRequest.encode(r, headers, null, PeerRoutes.FORWARDED_BY, routes.self()),
                r.method.equals("HEAD"), call.peerDeadline() + HOP_NANOS, this);
    }

    @Override
    public void done(UpstreamResponse resp) {
        call.finishedElsewhere();
        if (call.answerable()) {
            // the peer's gateway recorded the invocation: its id (and whether it was a cold start) reach the client
            String id = resp.headers.get("x-nest-invocation-id");
            String cold = resp.headers.get("x-nest-cold");
            if (id == null) {
                call.c.respond(resp.status, resp.headers, resp.body);
            } else if (cold == null) {
                call.c.respond(resp.status, resp.headers, resp.body, "x-nest-invocation-id", id);
            } else {
                call.c.respond(resp.status, resp.headers, resp.body, "x-nest-invocation-id", id, "x-nest-cold", cold);
            }
        } else {
            resp.release();
        }
    }

    @Override
    public void failed(IOException e, boolean timedOut) {
        call.c.upstream.forget(address);
        if (!timedOut && (e instanceof ConnectException || e instanceof Upstream.NothingSent)) {
            // nothing was sent: the peer is gone or not listening
            routes.unreachable(peer);
            next();
            return;
        }
        call.finishedElsewhere();
        if (timedOut) {
            call.respondError(504, "function timed out", "node " + peer.node() + " did not answer for function "
                    + call.version.spec().id() + " within its timeout of " + call.version.spec().timeout().toMillis() + " ms");
        } else {
            call.respondError(502, "peer failed", "node " + peer.node() + " failed while serving function "
                    + call.version.spec().id() + " (" + e.getMessage() + "); retry the request");
        }
    }
}
