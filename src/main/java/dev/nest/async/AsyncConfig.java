package dev.nest.async;

import java.time.Duration;
import java.util.Map;

/**
 * The {@code async:} settings of {@code nest.yaml}.
 *
 * @param queue       the back end, {@code async.queue}: {@code h2} (built in) or a plugin's ({@code kafka}); see
 *                    {@link EventQueueProvider}
 * @param maxPayload  the largest request body accepted for async invocation, {@code async.max-payload} (413 above)
 * @param concurrency deliveries in flight at once on this node, all functions together, {@code async.concurrency}
 * @param leaseTime   how long a delivery holds its event before another may take it, {@code async.lease-time};
 *                    must outlast the longest function timeout plus queue wait
 * @param poll        how often the dispatcher looks for due events when nothing wakes it, {@code async.poll}
 * @param retention   how long finished events (and successful results) stay in the ledger, {@code async.retention}
 * @param settings    the back end's own settings, the {@code async.<queue>:} block (validated by its provider)
 * @param destinations the hosts HTTP destinations may name, {@code async.destinations.allow} (empty: none)
 */
public record AsyncConfig(String queue, long maxPayload, int concurrency, Duration leaseTime, Duration poll,
                          Duration retention, Map<String, String> settings, Destinations destinations) {
    public static final AsyncConfig DEFAULTS = new AsyncConfig("h2", 1024 * 1024, 64, Duration.ofHours(2),
            Duration.ofSeconds(1), Duration.ofHours(24));

    /** Settings with no back-end block. */
    public AsyncConfig(String queue, long maxPayload, int concurrency, Duration leaseTime, Duration poll,
                       Duration retention) {
        this(queue, maxPayload, concurrency, leaseTime, poll, retention, Map.of());
    }

    /** Settings with no HTTP destination allowed. */
    public AsyncConfig(String queue, long maxPayload, int concurrency, Duration leaseTime, Duration poll,
                       Duration retention, Map<String, String> settings) {
        this(queue, maxPayload, concurrency, leaseTime, poll, retention, settings, new Destinations(java.util.List.of()));
    }

    public AsyncConfig {
        settings = Map.copyOf(settings);
        if (!queue.matches("[a-z][a-z0-9-]{0,39}")) {
            throw new IllegalArgumentException("async.queue: '" + queue + "' is not a queue back end's name; use h2 or "
                    + "a plugin's queue such as kafka (lowercase letters, digits, dashes)");
        }
        if (maxPayload < 1 || maxPayload > 64L * 1024 * 1024) {
            throw new IllegalArgumentException("async.max-payload: " + maxPayload + " is not from 1 B to 64 MiB");
        }
        if (concurrency < 1 || concurrency > 10_000) {
            throw new IllegalArgumentException("async.concurrency: " + concurrency + " is not from 1 to 10000");
        }
        if (leaseTime.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new IllegalArgumentException("async.lease-time: " + leaseTime + " is shorter than 1 minute");
        }
        if (poll.isNegative() || poll.isZero() || poll.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("async.poll: " + poll + " is not from 1 ms to 1 minute");
        }
        if (retention.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new IllegalArgumentException("async.retention: " + retention + " is shorter than 1 minute");
        }
    }
}
