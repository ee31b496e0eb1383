package dev.nest.gateway;

import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The functions a test puts in. */
final class InMemoryCatalog implements FunctionCatalog {
    final Map<FunctionId, FunctionRecord> records = new ConcurrentHashMap<>();

    void put(FunctionRecord r) {
        records.put(r.id(), r);
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
}
