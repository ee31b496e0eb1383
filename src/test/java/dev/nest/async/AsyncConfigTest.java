package dev.nest.async;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AsyncConfigTest {
    @Test
    void defaultsAreValid() {
        AsyncConfig d = AsyncConfig.DEFAULTS;
        assertTrue(d.maxPayload() == 1024 * 1024 && d.queue().equals("h2"));
    }

    @ParameterizedTest
    @CsvSource({"Kafka!,1048576,64,7200,1,async.queue", "h2,0,64,7200,1,async.max-payload",
            "h2,1048576,0,7200,1,async.concurrency", "h2,1048576,64,30,1,async.lease-time",
            "h2,1048576,64,7200,0,async.poll"})
    void aBadValueNamesItsKey(String queue, long maxPayload, int concurrency, long leaseSeconds, long pollSeconds,
                              String key) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AsyncConfig(queue,
                maxPayload, concurrency, Duration.ofSeconds(leaseSeconds), Duration.ofSeconds(pollSeconds),
                Duration.ofHours(24)));
        assertTrue(e.getMessage().startsWith(key + ":"), e.getMessage());
    }
}
