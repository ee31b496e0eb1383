package dev.nest.plugins.kafka;

import java.util.List;
import java.util.Optional;

/**
 * One consumed record as the Kafka trigger hands it on, free of Kafka's types (so batching and the bisection are
 * tested without brokers). Byte arrays are not copied: treat them as read-only.
 *
 * @param topic     its topic
 * @param partition its partition
 * @param offset    its offset in the partition
 * @param timestamp its timestamp (ms since the epoch, as Kafka gives it)
 * @param key       its key; empty for a record without one
 * @param value     its value; empty for a tombstone
 * @param headers   its headers in order (a name may repeat)
 */
record TriggerRecord(String topic, int partition, long offset, long timestamp, Optional<byte[]> key,
                     Optional<byte[]> value, List<Header> headers) {
    TriggerRecord {
        headers = List.copyOf(headers);
    }

    /** One header; its value may be empty or absent in Kafka, here an empty array then. */
    record Header(String name, byte[] value) {
    }

    /** {@code topic-partition@offset}, for logs and dead-letter headers. */
    String origin() {
        return topic + "-" + partition + "@" + offset;
    }
}
