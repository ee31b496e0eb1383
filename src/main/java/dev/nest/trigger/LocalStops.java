package dev.nest.trigger;

import dev.nest.async.AsyncLedger;
import dev.nest.async.EventState;
import dev.nest.async.EventStatus;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/**
 * Stops an invocation by id on this node only: an async invocation of this node's queue through its ledger (withdrawn
 * while it waits, stopped where it runs, here or at the peer it was forwarded to), any other invocation this node's
 * gateway serves through the gateway's stop (withdrawn while it waits for an instance, its instance drained and
 * stopped while it runs). The peer stop route ({@code POST /api/v1/invocations/{id}/stop}) answers with it, so a
 * stop never travels further than the node asked (and the node it forwarded the invocation to).
 *
 * <p>Idempotent: a second stop of the same id finds it finished (or unknown) and changes nothing. Failure: an error
 * of the ledger or the gateway completes the future exceptionally. Thread-safe.
 */
public final class LocalStops {
    private final AsyncLedger ledger;
    private final BiFunction<String, String, CompletableFuture<Boolean>> gateway;

    /**
     * @param ledger  this node's async ledger (its {@link AsyncLedger#cancel} stops deliveries under way)
     * @param gateway this node's gateway stop ({@code Gateway#stop}): whether it stopped an invocation it serves
     */
    public LocalStops(AsyncLedger ledger, BiFunction<String, String, CompletableFuture<Boolean>> gateway) {
        this.ledger = ledger;
        this.gateway = gateway;
    }

    /** Stops {@code id} if this node holds it; {@link StopResult.Outcome#UNKNOWN} when it does not. */
    public CompletableFuture<StopResult> stop(String id, String reason) {
        Optional<EventStatus> before = ledger.status(id);
        if (before.isEmpty()) {
            return gateway.apply(id, reason).thenApply(stopped -> stopped
                    ? StopResult.of(StopResult.Outcome.STOPPED, "invocation " + id + " was stopped by its gateway")
                    : StopResult.of(StopResult.Outcome.UNKNOWN, "no invocation " + id + " waits or runs on this node"));
        }
        if (ended(before.get().state())) {
            return CompletableFuture.completedFuture(finished(id, before.get().state()));
        }
        return ledger.cancel(id, reason).thenApply(cancelled -> afterCancel(id, cancelled,
                ledger.status(id).map(EventStatus::state)));
    }

    /** What a cancel of a waiting or running async invocation came to, given its state after it (table-tested). */
    static StopResult afterCancel(String id, boolean cancelled, Optional<EventState> after) {
        if (cancelled) {
            return StopResult.of(StopResult.Outcome.STOPPED, "async invocation " + id + " was cancelled");
        }
        if (after.isEmpty()) {
            return StopResult.of(StopResult.Outcome.UNKNOWN, "async invocation " + id + " left the ledger");
        }
        if (ended(after.get())) { // it ended by itself meanwhile
            return finished(id, after.get());
        }
        return StopResult.of(StopResult.Outcome.NOT_STOPPED, "async invocation " + id + " is "
                + after.get().name().toLowerCase() + " and could not be stopped (its queue back end cannot cancel "
                + "it now, or the node serving it did not stop it)");
    }

    static boolean ended(EventState s) {
        return switch (s) {
            case QUEUED, RETRYING, RUNNING -> false;
            case SUCCEEDED, FAILED, DEAD, CANCELLED -> true;
        };
    }

    private static StopResult finished(String id, EventState s) {
        return StopResult.of(StopResult.Outcome.FINISHED, "async invocation " + id + " had ended already ("
                + s.name().toLowerCase() + ")");
    }
}
