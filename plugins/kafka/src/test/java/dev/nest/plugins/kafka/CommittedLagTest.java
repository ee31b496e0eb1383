package dev.nest.plugins.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The published lag: end minus committed per owned partition, the local lag before a first commit, never negative. */
class CommittedLagTest {
    private static TopicPartition p(int n) {
        return new TopicPartition("orders", n);
    }

    @Test
    void endMinusCommittedPerOwnedPartition() {
        Map<Integer, Long> lag = KafkaTriggerSource.committedLag(Set.of(p(0), p(1), p(2), p(3)),
                Map.of(p(0), 100L, p(1), 50L, p(2), 10L, p(5), 999L),
                Map.of(p(0), new OffsetAndMetadata(40), p(1), new OffsetAndMetadata(60)),
                Map.of(p(2), 4L, p(3), 7L));
        // p0: 100 - 40; p1: committed past the end (a truncated topic) counts 0; p2: nothing committed, the local
        // lag; p3: no end offset known, left out; p5: not owned
        assertEquals(Map.of(0, 60L, 1, 0L, 2, 4L), lag);
    }

    @Test
    void nothingOwnedNothingPublished() {
        assertEquals(Map.of(), KafkaTriggerSource.committedLag(Set.of(), Map.of(p(0), 5L), Map.of(), Map.of()));
    }
}
