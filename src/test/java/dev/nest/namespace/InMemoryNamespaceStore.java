package dev.nest.namespace;

import dev.nest.common.NestException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** Namespace settings in memory, for tests: the behaviour of the ZooKeeper store on one node. */
public final class InMemoryNamespaceStore implements NamespaceStore {
    private final Map<String, NamespaceSettings> settings = new ConcurrentHashMap<>();
    private final Clock clock;

    public InMemoryNamespaceStore(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Optional<NamespaceSettings> get(String namespace) {
        return Optional.ofNullable(settings.get(namespace));
    }

    @Override
    public List<NamespaceSettings> list() {
        return List.copyOf(new TreeMap<>(settings).values());
    }

    @Override
    public NamespaceSettings put(NamespaceSettings s) {
        NamespaceSettings stored = new NamespaceSettings(s.namespace(), s.quota(), s.rate(), clock.instant());
        settings.put(stored.namespace(), stored);
        return stored;
    }

    @Override
    public void delete(String namespace) {
        if (settings.remove(namespace) == null) {
            throw NestException.notFound("namespace", "namespace '" + namespace + "' has no settings to clear");
        }
    }
}
