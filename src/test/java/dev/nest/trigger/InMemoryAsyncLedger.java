package dev.nest.trigger;

import dev.nest.async.AsyncLedger;
import dev.nest.async.EventState;
import dev.nest.async.EventStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** An async ledger of states set by the test; a cancel of a waiting or running event (if {@link #cancels}) ends it. */
final class InMemoryAsyncLedger implements AsyncLedger {
    final Map<String, EventState> states = new ConcurrentHashMap<>();
    volatile boolean cancels = true;

    @Override
    public Optional<EventStatus> status(String id) {
        return Optional.ofNullable(states.get(id)).map(s -> new EventStatus(id, "default/job", s, 1, Instant.EPOCH,
                Optional.empty(), 0, 0, "", Optional.empty(), Optional.empty()));
    }

    @Override
    public List<EventStatus> deadLetters(String function, int limit) {
        return List.of();
    }

    @Override
    public int redrive(String function, Optional<String> id) {
        return 0;
    }

    @Override
    public CompletableFuture<Boolean> cancel(String id, String reason) {
        EventState s = states.get(id);
        if (cancels && s != null && !LocalStops.ended(s)) {
            states.put(id, EventState.CANCELLED);
            return CompletableFuture.completedFuture(true);
        }
        return CompletableFuture.completedFuture(false);
    }
}
