package dev.nest.gateway;

import dev.nest.function.FunctionId;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** Names the same peers for every function; records the peers the gateway found unreachable. */
final class FakePeerRoutes implements PeerRoutes {
    final BlockingQueue<Peer> unreachable = new LinkedBlockingQueue<>();
    private final List<Peer> peers;

    FakePeerRoutes(List<Peer> peers) {
        this.peers = peers;
    }

    @Override
    public List<Peer> peersFor(FunctionId id, int version) {
        return peers;
    }

    @Override
    public void unreachable(Peer peer) {
        unreachable.add(peer);
    }

    @Override
    public String self() {
        return "node-a";
    }
}
