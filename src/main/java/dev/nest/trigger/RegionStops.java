package dev.nest.trigger;

import dev.nest.common.InvocationIds;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Stops an invocation by id wherever in the region it is: on this node first ({@link LocalStops}); then on the node
 * its id names (the last four hex digits are a hash of the node that made it, {@link InvocationIds#tag}), which holds
 * it in its queue or gateway and, if it forwarded it, stops it at the peer serving it; when no live node has that
 * tag (the node is gone, or the tag is not one of the region's), every live node is asked, because a run that node
 * forwarded goes on where it was forwarded to. This is how a new leader stops the run its predecessor fired. A run
 * this node knows but could not stop (a shared queue such as Kafka's lets any node deliver it) is asked of every
 * other live node, and stopped by the one delivering it.
 *
 * <p>Failure: a node that cannot be asked makes the result {@link StopResult.Outcome#UNREACHABLE} unless another
 * stopped it (see {@link StopResult#combine}); a caller then takes the run as still running. Limits: a 16-bit tag
 * can name two nodes (both are asked); a node that is down while its queue still holds the run redelivers it when it
 * comes back (the run was unknown to the region meanwhile). Thread-safe.
 */
public final class RegionStops {
    /** Another live node of the region. */
    public record Node(String id, URI url) {
    }

    private final String self;
    private final LocalStops local;
    private final Supplier<List<Node>> peers;
    private final PeerStops remote;

    /**
     * @param self  this node's id
     * @param peers the other live nodes, read for every stop
     */
    public RegionStops(String self, LocalStops local, Supplier<List<Node>> peers, PeerStops remote) {
        this.self = self;
        this.local = local;
        this.peers = peers;
        this.remote = remote;
    }

    /** Stops {@code id} here, or on the node that holds it; never completes exceptionally. */
    public CompletableFuture<StopResult> stop(String id, String reason) {
        CompletableFuture<StopResult> here;
        try {
            here = local.stop(id, reason);
        } catch (RuntimeException e) {
            here = CompletableFuture.failedFuture(e);
        }
        return here.exceptionally(e -> StopResult.of(StopResult.Outcome.NOT_STOPPED,
                        "stopping " + id + " on this node failed: " + e.getMessage()))
                .thenCompose(r -> switch (r.outcome()) {
                    case UNKNOWN -> ask(whomToAsk(InvocationIds.tagOf(id), InvocationIds.tag(self), peers.get()), id,
                            reason, Optional.empty());
                    // known here and running, but not delivered here: a shared queue (Kafka) lets any node deliver
                    // it, so the node that does is found by asking them all
                    case NOT_STOPPED -> ask(peers.get(), id, reason, Optional.of(r));
                    default -> CompletableFuture.completedFuture(r);
                });
    }

    private CompletableFuture<StopResult> ask(List<Node> ask, String id, String reason, Optional<StopResult> here) {
        if (ask.isEmpty()) {
            return CompletableFuture.completedFuture(here.orElse(StopResult.of(StopResult.Outcome.UNKNOWN,
                    "no node of the region holds invocation " + id)));
        }
        List<CompletableFuture<StopResult>> asked = new ArrayList<>();
        here.ifPresent(r -> asked.add(CompletableFuture.completedFuture(r)));
        for (Node n : ask) {
            asked.add(remote.stop(n.url(), id, reason).exceptionally(e -> StopResult.of(
                    StopResult.Outcome.UNREACHABLE, "node " + n.id() + " did not answer: " + e.getMessage()))
                    .thenApply(r -> r.outcome() == StopResult.Outcome.UNREACHABLE
                            ? StopResult.of(r.outcome(), "node " + n.id() + " (" + n.url() + ") could not be asked "
                            + "about " + id + ": " + r.detail()) : r));
        }
        return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new))
                .thenApply(v -> StopResult.combine(asked.stream().map(CompletableFuture::join).toList()));
    }

    /**
     * The other nodes to ask about an id this node does not know (table-tested): those whose tag is the id's; none when
     * the id is this node's own (it would know it) or not an invocation id; every other live node when no live node
     * has the tag (its node is gone: what it forwarded runs elsewhere).
     */
    static List<Node> whomToAsk(Optional<String> tag, String selfTag, List<Node> peers) {
        if (tag.isEmpty() || tag.get().equals(selfTag)) {
            return List.of();
        }
        List<Node> holders = peers.stream().filter(n -> InvocationIds.tag(n.id()).equals(tag.get())).toList();
        return holders.isEmpty() ? peers : holders;
    }
}
