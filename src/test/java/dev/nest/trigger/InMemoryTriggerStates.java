package dev.nest.trigger;

import dev.nest.function.FunctionId;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Trigger state in memory with the same contract as the ZooKeeper store: compare-and-set on a version, and fencing:
 * each {@link #holder} has the epoch it was given; once a newer holder was made, an older one's writes throw.
 */
public final class InMemoryTriggerStates {
    private final Map<String, TriggerState.Stored> states = new ConcurrentHashMap<>();
    private final AtomicInteger epoch = new AtomicInteger();

    /** A new leader's view of the store: claims the next epoch, fencing every earlier holder off. */
    public TriggerStateStore holder() {
        int mine = epoch.incrementAndGet();
        return (function, trigger) -> new TriggerState() {
            private final String key = function + "/" + trigger;

            @Override
            public Optional<Stored> read() {
                return Optional.ofNullable(states.get(key));
            }

            @Override
            public boolean write(int expectedVersion, byte[] data) {
                synchronized (states) {
                    if (epoch.get() != mine) {
                        throw new TriggerException(503, "fenced off", "epoch moved past " + mine, null);
                    }
                    Stored now = states.get(key);
                    int version = now == null ? -1 : now.version();
                    if (version != expectedVersion) {
                        return false;
                    }
                    states.put(key, new Stored(data.clone(), version + 1));
                    return true;
                }
            }
        };
    }

    /** The stored state of a trigger. */
    public Optional<TriggerState.Stored> stored(FunctionId function, String trigger) {
        return Optional.ofNullable(states.get(function + "/" + trigger));
    }
}
