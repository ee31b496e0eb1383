package dev.nest.gateway;

import dev.nest.function.FunctionId;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Where the gateway may send an invocation that this node cannot serve warm: the other nodes of the region
 * that have ready instances of the function version. Implemented by the cluster module from its watches, so
 * that the gateway never talks to ZooKeeper; {@link #LOCAL_ONLY} is the single-node answer.
 *
 * <p>Threads: called on the gateway's event loops for every invocation; {@link #peersFor} must be a lookup in
 * memory that does not allocate when it answers with no peers.
 */
public interface PeerRoutes {
    /** Header a forwarding gateway adds; a request carrying it is served on the node that receives it. */
    String FORWARDED_BY = "x-nest-forwarded-by";

    /**
     * Header with which a forwarding gateway names the invocation's id; the receiving gateway serves it under that id
     * (only with the cluster credential, and only an id of {@code dev.nest.common.InvocationIds}' form), so that a
     * stop of the id ({@link RemoteStop}) finds it on the node that runs it.
     */
    String FORWARDED_ID = "x-nest-forwarded-invocation";

    /**
     * Stops an invocation that another node's gateway serves (the cluster's peer stop route, authenticated with the
     * peer credential): completes with whether that node stopped it; false when it did not run it (any more) or could
     * not be reached. Must not block the calling thread (an event loop).
     */
    @FunctionalInterface
    interface RemoteStop {
        /** Stops nothing. */
        RemoteStop NONE = (peer, id, reason) -> java.util.concurrent.CompletableFuture.completedFuture(false);

        java.util.concurrent.CompletableFuture<Boolean> stop(Peer peer, String invocationId, String reason);
    }

    /**
     * Another node's gateway.
     *
     * @param node    node id
     * @param host    advertised address ({@code node.address})
     * @param port    public port
     * @param address {@code host:port}, resolved when the routing table is built, never on an event loop
     */
    record Peer(String node, String host, int port, InetSocketAddress address) {
        /** A peer whose address is resolved now (this may look up a host name). */
        public Peer(String node, String host, int port) {
            this(node, host, port, new InetSocketAddress(host, port));
        }
    }

    /**
     * The peers to forward one invocation of {@code id} version {@code version} to, best first (least loaded,
     * rotated between equals); empty when this node has a ready instance of it or no other node has one.
     */
    List<Peer> peersFor(FunctionId id, int version);

    /** A connection to {@code peer} was refused or timed out: leave it out until its registration changes. */
    void unreachable(Peer peer);

    /** This node's id, for {@link #FORWARDED_BY}. */
    String self();

    /** No peers: every invocation is served on this node. */
    PeerRoutes LOCAL_ONLY = new PeerRoutes() {
        @Override
        public List<Peer> peersFor(FunctionId id, int version) {
            return List.of();
        }

        @Override
        public void unreachable(Peer peer) {
        }

        @Override
        public String self() {
            return "";
        }
    };
}
