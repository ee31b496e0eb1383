package dev.nest.trigger;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.async.EventState;
import dev.nest.trigger.StopResult.Outcome;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LocalStopsTest {
    private final InMemoryAsyncLedger ledger = new InMemoryAsyncLedger();
    private final Set<String> served = ConcurrentHashMap.newKeySet();
    private final LocalStops stops = new LocalStops(ledger, (id, reason) ->
            CompletableFuture.completedFuture(served.remove(id)));

    @ParameterizedTest(name = "cancelled {0}, then {1}: {2}")
    @CsvSource({
            "true,  CANCELLED, STOPPED",
            "false, SUCCEEDED, FINISHED",   // it ended by itself meanwhile
            "false, DEAD,      FINISHED",
            "false, CANCELLED, FINISHED",
            "false, RUNNING,   NOT_STOPPED",
            "false, QUEUED,    NOT_STOPPED",
            "false,          , UNKNOWN"})
    void whatACancelCameTo(boolean cancelled, EventState after, Outcome outcome) {
        assertEquals(outcome, LocalStops.afterCancel("a", cancelled, Optional.ofNullable(after)).outcome());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({"QUEUED, STOPPED", "RETRYING, STOPPED", "RUNNING, STOPPED", "SUCCEEDED, FINISHED", "FAILED, FINISHED",
            "DEAD, FINISHED", "CANCELLED, FINISHED"})
    void anAsyncInvocationOfThisNodeIsStoppedThroughItsLedger(EventState state, Outcome outcome) {
        ledger.states.put("a", state);
        assertEquals(outcome, stops.stop("a", "test").join().outcome());
    }

    @Test
    void aRunThatCannotBeCancelledIsNotStopped() {
        ledger.states.put("a", EventState.RUNNING);
        ledger.cancels = false;
        assertEquals(Outcome.NOT_STOPPED, stops.stop("a", "test").join().outcome());
    }

    @Test
    void anyOtherInvocationGoesToTheGatewayAndAStopIsIdempotent() {
        served.add("sync-1");
        assertEquals(Outcome.STOPPED, stops.stop("sync-1", "test").join().outcome());
        assertEquals(Outcome.UNKNOWN, stops.stop("sync-1", "replayed").join().outcome(), "a replay changes nothing");
        assertEquals(Outcome.UNKNOWN, stops.stop("never", "test").join().outcome());
        ledger.states.put("a", EventState.QUEUED);
        assertEquals(Outcome.STOPPED, stops.stop("a", "test").join().outcome());
        assertEquals(Outcome.FINISHED, stops.stop("a", "replayed").join().outcome());
    }
}
