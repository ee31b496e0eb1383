package dev.nest.sim;

import dev.nest.scaler.FixedKeepAlive;
import dev.nest.scaler.Scaler;
import dev.nest.scaler.ScalingConfig;

/** A policy the simulator compares: how instances are started and stopped. */
sealed interface Policy {
    String name();

    /** What the policy is, for the table's notes. */
    String description();

    /**
     * Nest: the real {@link dev.nest.scaler.Scaler} decides every second (and at once when a request finds no
     * free instance: it starts one, as the node agent does); its keep-alive policy governs an idle function's
     * last instance.
     */
    record Ours(String name, Scaler scaler, ScalingConfig config, String description) implements Policy {
    }

    /** Start an instance for each request that finds none free; stop each instance after a fixed idle time. */
    record FixedOnly(String name, FixedKeepAlive keepAlive, String description) implements Policy {
    }

    /** Knative's KPA with its published defaults ({@link KnativeKpa}). */
    record Kpa(String name, KnativeKpa.Settings settings, String description) implements Policy {
    }

    /**
     * {@code base}'s scaling and keep-alive with merged placement ({@link MergedModel}): the function's instances go
     * to merged pods while its traffic is under {@code merge-below} per minute (the product's
     * {@link dev.nest.scheduler.Placement#mergeable} and {@link dev.nest.scheduler.Placement#remerge}), where an idle
     * one is parked after {@code idle-unload-ms}.
     */
    record Merged(String name, Policy base, MergedModel model, String description) implements Policy {
        public Merged {
            if (base instanceof Merged) {
                throw new IllegalArgumentException("a merged policy wraps a policy that is not merged");
            }
        }
    }
}
