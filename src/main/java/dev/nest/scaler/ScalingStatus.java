package dev.nest.scaler;

import dev.nest.function.FunctionId;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The live scaler's view of one function, for the API.
 *
 * @param id        the function
 * @param version   the live version the load was read for (0 when no instance exists on the node)
 * @param config    the effective config
 * @param active    whether the scaler is running on this node (it runs on the leader only)
 * @param desired   the last decision's count
 * @param rule      the last decision's rule
 * @param reason    the last decision's reason
 * @param decidedAt when the last decision was made
 * @param load      the last load read
 * @param metrics   current metric values (window averages, keyed like {@code concurrency.avg60s})
 * @param idleSince since when nothing has been in flight, if idle
 * @param events    recent decisions that changed the count, oldest first
 */
public record ScalingStatus(FunctionId id, int version, ScalingConfig config, boolean active, int desired,
                            ScalingRule rule, String reason, Instant decidedAt, InstanceLoad load,
                            Map<String, Double> metrics, Optional<Instant> idleSince, List<ScalingEvent> events) {
    public ScalingStatus {
        metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
        events = List.copyOf(events);
    }
}
