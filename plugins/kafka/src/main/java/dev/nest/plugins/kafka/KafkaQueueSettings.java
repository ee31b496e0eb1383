package dev.nest.plugins.kafka;

import dev.nest.common.Durations;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code async.kafka:} settings of {@code nest.yaml}; every error names the key, the value and what is allowed.
 *
 * @param bootstrapServers {@code bootstrap-servers}: {@code host:port,...} (required)
 * @param topic            {@code topic}: the events topic (default {@code nest-async}); the ledger is
 *                         {@code <topic>-ledger}, compacted
 * @param partitions       {@code partitions}: partitions of both topics when Nest creates them (default 12)
 * @param replication      {@code replication}: their replication factor (default 3); {@code min.insync.replicas} is
 *                         2 when it is 2 or more, so an acknowledged event is on two brokers
 * @param group            {@code group}: the share group every node's consumers join (default {@code nest-async})
 * @param consumers        {@code consumers}: share consumers (threads) per node (default 4)
 * @param maxPollRecords   {@code max-poll-records}: records one consumer holds at once (default 16)
 * @param lockTime         {@code lock-time}: the group's {@code share.record.lock.duration.ms}, how long a node holds
 *                         an event before Kafka gives it to another (empty: the broker's, 30 s by default; at most
 *                         the broker's {@code group.share.max.record.lock.duration.ms})
 * @param sendTimeout      {@code send-timeout}: how long an enqueue may wait for the brokers' acknowledgement (503
 *                         after; default 30s)
 */
public record KafkaQueueSettings(String bootstrapServers, String topic, int partitions, int replication, String group,
                                 int consumers, int maxPollRecords, Optional<Duration> lockTime, Duration sendTimeout) {
    static final Set<String> KEYS = Set.of("bootstrap-servers", "topic", "partitions", "replication", "group",
            "consumers", "max-poll-records", "lock-time", "send-timeout");

    /** The settings in {@code s} (the block's keys as written); throws {@link IllegalArgumentException} on a mistake. */
    public static KafkaQueueSettings parse(Map<String, String> s) {
        for (String k : s.keySet()) {
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("async.kafka." + k + " is not a setting of the kafka queue; the settings are "
                        + new TreeSet<>(KEYS));
            }
        }
        String servers = s.getOrDefault("bootstrap-servers", "").trim();
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("async.kafka.bootstrap-servers is required with async.queue: kafka "
                    + "(host:port of one or more brokers, comma-separated; distribution/kafka.sh start prints one)");
        }
        for (String hp : servers.split(",")) {
            if (!hp.trim().matches("[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}")) {
                throw new IllegalArgumentException("async.kafka.bootstrap-servers: '" + hp.trim() + "' is not host:port");
            }
        }
        String topic = name(s, "topic", "nest-async");
        Optional<Duration> lock = s.containsKey("lock-time")
                ? Optional.of(duration(s, "lock-time", Duration.ZERO, Duration.ofSeconds(15), Duration.ofHours(1)))
                : Optional.empty();
        return new KafkaQueueSettings(servers, topic, integer(s, "partitions", 12, 1, 10_000),
                integer(s, "replication", 3, 1, 32), name(s, "group", "nest-async"), integer(s, "consumers", 4, 1, 64),
                integer(s, "max-poll-records", 16, 1, 1000), lock,
                duration(s, "send-timeout", Duration.ofSeconds(30), Duration.ofSeconds(15), Duration.ofMinutes(10)));
    }

    /** The compacted topic that holds the ledger: one record per invocation, its latest state. */
    public String ledgerTopic() {
        return topic + "-ledger";
    }

    private static String name(Map<String, String> s, String key, String fallback) {
        String v = s.getOrDefault(key, fallback).trim();
        if (!v.matches("[A-Za-z0-9._\\-]{1,200}")) {
            throw new IllegalArgumentException("async.kafka." + key + ": '" + v + "' is not a valid name; use letters, "
                    + "digits, '.', '_' and '-' (1 to 200)");
        }
        return v;
    }

    private static int integer(Map<String, String> s, String key, int fallback, int min, int max) {
        String v = s.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("async.kafka." + key + ": '" + v + "' is not an integer from " + min + " to " + max);
    }

    private static Duration duration(Map<String, String> s, String key, Duration fallback, Duration min, Duration max) {
        String v = s.get(key);
        if (v == null) {
            return fallback;
        }
        Duration d;
        try {
            d = Durations.parse(v.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("async.kafka." + key + ": '" + v + "' is not a duration; " + Durations.ALLOWED);
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException("async.kafka." + key + ": '" + v + "' is not from " + Durations.format(min)
                    + " to " + Durations.format(max));
        }
        return d;
    }
}
