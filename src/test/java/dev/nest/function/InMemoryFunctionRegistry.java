package dev.nest.function;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * A function registry in a map that writes as the ZooKeeper registry does: an optimistic read-modify-write that
 * applies the change again to the newer record when another writer got there first. Listeners are not called.
 */
public final class InMemoryFunctionRegistry implements FunctionRegistry {
    private final Map<FunctionId, FunctionRecord> records = new ConcurrentHashMap<>();

    @Override
    public FunctionRecord update(FunctionId id, String origin, UnaryOperator<FunctionRecord> change) {
        while (true) {
            FunctionRecord current = records.get(id);
            FunctionRecord base = current == null ? FunctionRecord.empty(id, origin, Instant.EPOCH) : current;
            FunctionRecord next = change.apply(base);
            if (next.equals(base)) {
                return base;
            }
            boolean stored = current == null ? records.putIfAbsent(id, next) == null : records.replace(id, current, next);
            if (stored) {
                return next;
            }
        }
    }

    @Override
    public boolean delete(FunctionId id) {
        return records.remove(id) != null;
    }

    @Override
    public Optional<FunctionRecord> get(FunctionId id) {
        return Optional.ofNullable(records.get(id));
    }

    @Override
    public Collection<FunctionRecord> all() {
        return List.copyOf(records.values());
    }

    @Override
    public void addListener(Listener listener) {
    }

    /** Stores {@code r} as it is, replacing any record of its function. */
    public void put(FunctionRecord r) {
        records.put(r.id(), r);
    }
}
