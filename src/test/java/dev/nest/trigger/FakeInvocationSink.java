package dev.nest.trigger;

import dev.nest.function.FunctionId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Records what is enqueued (completing at once with ids e1, e2, ...); run states are set by the test. */
public final class FakeInvocationSink implements InvocationSink {
    public final List<TriggerEvent> enqueued = new CopyOnWriteArrayList<>();
    public final Map<String, RunState> states = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    public volatile boolean refuse;
    /** The runs asked to be cancelled, in order. */
    public final List<String> cancelled = new CopyOnWriteArrayList<>();
    /** Whether a cancel ends an unfinished run (it becomes FINISHED); false: it cannot be stopped. */
    public volatile boolean cancelStops = true;

    @Override
    public CompletableFuture<String> enqueue(FunctionId function, TriggerEvent event) {
        if (refuse) {
            return CompletableFuture.failedFuture(new TriggerException(503, "queue unavailable", "test", null));
        }
        enqueued.add(event);
        String id = "e" + ids.incrementAndGet();
        states.put(id, RunState.WAITING);
        return CompletableFuture.completedFuture(id);
    }

    @Override
    public CompletableFuture<Response> invoke(FunctionId function, TriggerEvent event) {
        enqueued.add(event);
        return CompletableFuture.completedFuture(new Response(200, new byte[0]));
    }

    /** What a stop that cannot stop a run answers (NOT_STOPPED or UNREACHABLE). */
    public volatile StopResult.Outcome failure = StopResult.Outcome.NOT_STOPPED;
    /** What the region answers about a run this node does not know (after a failover). */
    public volatile StopResult.Outcome elsewhere = StopResult.Outcome.UNKNOWN;

    @Override
    public CompletableFuture<StopResult> stop(String invocationId, String reason) {
        cancelled.add(invocationId);
        RunState s = state(invocationId);
        if (s == RunState.UNKNOWN) {
            return CompletableFuture.completedFuture(StopResult.of(elsewhere, "fake region"));
        }
        if (s == RunState.FINISHED) {
            return CompletableFuture.completedFuture(StopResult.of(StopResult.Outcome.FINISHED, "fake"));
        }
        if (cancelStops) {
            states.put(invocationId, RunState.FINISHED);
            return CompletableFuture.completedFuture(StopResult.of(StopResult.Outcome.STOPPED, "fake"));
        }
        return CompletableFuture.completedFuture(StopResult.of(failure, "fake: cannot stop"));
    }

    @Override
    public RunState state(String invocationId) {
        return states.getOrDefault(invocationId, RunState.UNKNOWN);
    }
}
