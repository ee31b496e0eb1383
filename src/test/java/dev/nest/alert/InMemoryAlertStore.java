package dev.nest.alert;

import dev.nest.common.NestException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** An {@link AlertStore} in memory, for tests. */
public final class InMemoryAlertStore implements AlertStore {
    private final Map<String, AlertRule> rules = new ConcurrentHashMap<>();
    private final Map<String, AlertStatus> states = new ConcurrentHashMap<>();
    /** How many state writes were made. */
    public int stateWrites;

    @Override
    public List<AlertRule> rules() {
        return List.copyOf(new TreeMap<>(rules).values());
    }

    @Override
    public Optional<AlertRule> rule(String name) {
        return Optional.ofNullable(rules.get(name));
    }

    @Override
    public void put(AlertRule rule) {
        rules.put(rule.name(), rule);
    }

    @Override
    public void delete(String name) {
        if (rules.remove(name) == null) {
            throw NestException.notFound("alert not found", "no alert '" + name + "'");
        }
        states.remove(name);
    }

    @Override
    public Map<String, AlertStatus> states() {
        return Map.copyOf(states);
    }

    @Override
    public synchronized void state(AlertStatus status) {
        stateWrites++;
        states.put(status.name(), status);
    }
}
