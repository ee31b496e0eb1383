package dev.nest.function;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link FunctionCatalog} holding what the test puts in, in insertion order. Listeners are told of each
 * {@link #put} and {@link #remove} on the caller's thread, after the change. Thread-safe.
 */
public final class InMemoryCatalog implements FunctionCatalog {
    private final Map<FunctionId, FunctionRecord> records = new LinkedHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /** Adds or replaces the record of {@code r.id()}. */
    public void put(FunctionRecord r) {
        synchronized (this) {
            records.put(r.id(), r);
        }
        listeners.forEach(l -> l.changed(r.id(), Optional.of(r)));
    }

    /** Deletes the function. */
    public void remove(FunctionId id) {
        synchronized (this) {
            records.remove(id);
        }
        listeners.forEach(l -> l.changed(id, Optional.empty()));
    }

    @Override
    public synchronized Optional<FunctionRecord> get(FunctionId id) {
        return Optional.ofNullable(records.get(id));
    }

    @Override
    public synchronized Collection<FunctionRecord> all() {
        return List.copyOf(records.values());
    }

    @Override
    public void addListener(Listener listener) {
        listeners.add(listener);
    }
}
