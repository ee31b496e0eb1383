package dev.nest.plugins.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class KafkaQueueSettingsTest {
    @Test
    void defaultsNeedOnlyTheBrokers() {
        KafkaQueueSettings s = KafkaQueueSettings.parse(Map.of("bootstrap-servers", "127.0.0.1:9092, b2:9093"));
        assertEquals(new KafkaQueueSettings("127.0.0.1:9092, b2:9093", "nest-async", 12, 3, "nest-async", 4, 16,
                Optional.empty(), Duration.ofSeconds(30)), s);
        assertEquals("nest-async-ledger", s.ledgerTopic());
    }

    @Test
    void everySettingIsRead() {
        KafkaQueueSettings s = KafkaQueueSettings.parse(Map.of("bootstrap-servers", "k:1", "topic", "t", "partitions", "3",
                "replication", "1", "group", "g", "consumers", "2", "max-poll-records", "5", "lock-time", "2m",
                "send-timeout", "20s"));
        assertEquals(new KafkaQueueSettings("k:1", "t", 3, 1, "g", 2, 5, Optional.of(Duration.ofMinutes(2)),
                Duration.ofSeconds(20)), s);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "topc|x|async.kafka.topc is not a setting",
            "bootstrap-servers||async.kafka.bootstrap-servers is required",
            "bootstrap-servers|localhost|'localhost' is not host:port",
            "partitions|0|async.kafka.partitions: '0' is not an integer from 1 to 10000",
            "replication|three|async.kafka.replication: 'three' is not an integer from 1 to 32",
            "topic|a topic|async.kafka.topic: 'a topic' is not a valid name",
            "lock-time|5s|async.kafka.lock-time: '5s' is not from 15s to 1h",
            "send-timeout|soon|async.kafka.send-timeout: 'soon' is not a duration",
            "consumers|65|async.kafka.consumers: '65' is not an integer from 1 to 64"})
    void aMistakeNamesTheKeyTheValueAndWhatIsAllowed(String key, String value, String message) {
        java.util.Map<String, String> m = new java.util.HashMap<>(Map.of("bootstrap-servers", "k:1"));
        m.put(key, value == null ? "" : value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KafkaQueueSettings.parse(m));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
