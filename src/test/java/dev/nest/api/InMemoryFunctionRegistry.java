package dev.nest.api;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/** A function registry in a map; listeners are not called. */
final class InMemoryFunctionRegistry implements FunctionRegistry {
    private final Map<FunctionId, FunctionRecord> records = new ConcurrentHashMap<>();

    @Override
    public synchronized FunctionRecord update(FunctionId id, String origin, UnaryOperator<FunctionRecord> change) {
        FunctionRecord next = change.apply(records.getOrDefault(id, FunctionRecord.empty(id, origin, Instant.EPOCH)));
        records.put(id, next);
        return next;
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

    void put(FunctionRecord r) {
        records.put(r.id(), r);
    }
}
