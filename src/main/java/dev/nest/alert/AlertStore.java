package dev.nest.alert;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the region's alert rules and their states live ({@code cluster.ZooKeeperAlertStore} in production). Reads
 * answer from memory; writes wait for the store and fail with a 503-class error when it cannot be reached.
 */
public interface AlertStore {
    /** Every rule, by name. */
    List<AlertRule> rules();

    Optional<AlertRule> rule(String name);

    /** Creates or replaces a rule. */
    void put(AlertRule rule);

    /** Deletes a rule and its state; a 404 when there is none. */
    void delete(String name);

    /** The stored state of every rule that has one. */
    Map<String, AlertStatus> states();

    /** Stores a rule's new state (the leader, on each change). */
    void state(AlertStatus status);
}
