package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Retry-After estimate of a refused request: from the queue's drain rate and the instances starting. */
class RetryAfterTest {
    private static final long S = 1_000_000_000L;

    @ParameterizedTest
    @CsvSource({
            // waiting, releases/s, starting, start left s, queue timeout s, expected
            "9,   10,  0, 0,  30, 1",   // 10 ahead at 10/s: 1 s
            "19,  2,   0, 0,  30, 10",  // 20 ahead at 2/s
            "99,  1,   0, 0,  30, 60",  // bounded to 60
            "0,   0,   1, 3,  30, 3",   // nothing drains yet: when the start ends
            "49,  1,   1, 4,  30, 4",   // the start frees room sooner than the drain
            "0,   0,   0, 0,  30, 30",  // neither: the queue timeout
            "0,   0,   0, 0,  0,  1",   // at least 1
            "0,   0,   1, 0,  30, 1",   // a start overdue: come back at once, at least 1
            "2,   0.5, 0, 0,  30, 6",   // rounded up
    })
    void estimatesFromTheDrainRateAndTheStarts(int waiting, double rate, int starting, long startLeftS, long queueTimeoutS,
                                               int expected) {
        assertEquals(expected, InstanceSet.retryAfterSeconds(waiting, rate, starting, startLeftS * S, queueTimeoutS * S));
    }

    private static InstanceSet set(int max, int queueSize) {
        FunctionSpec spec = new FunctionSpec(FunctionId.of("default", "fn"), "nodejs", "", 128, Duration.ofSeconds(30), 1,
                Map.of(), new ScalingSpec(0, max, Duration.ofMinutes(10)), new QueueSpec(queueSize, Duration.ofSeconds(20)));
        return new InstanceSet(new FunctionVersion(1, "sha256:" + "a".repeat(64), spec, Instant.EPOCH, "api"));
    }

    private static Instance ready(InstanceSet set, String id, long now) {
        Instance i = new Instance(id, set.version(), now);
        assertTrue(i.moveTo(InstanceState.LOADING));
        assertTrue(i.moveTo(InstanceState.READY));
        return i;
    }

    @Test
    void aSetWithNothingToGoOnAnswersItsQueueTimeout() {
        assertEquals(20, set(1, 1).retryAfterSeconds(0));
    }

    @Test
    void aStartingInstanceIsExpectedAfterTheDefaultStartTimeThenAfterTheLastStartsDuration() {
        InstanceSet set = set(2, 10);
        InstanceSet.Grant g = set.acquire(0);
        assertEquals(1, g.starts());
        assertEquals(2, set.retryAfterSeconds(0)); // the default start time before any start was seen
        set.ready(ready(set, "a", 5 * S), 5 * S); // that start took 5 s
        set.acquire(6 * S); // the one instance is busy: another starts
        assertEquals(5, set.retryAfterSeconds(6 * S));
        assertEquals(3, set.retryAfterSeconds(8 * S)); // 2 s of it already passed
    }

    @Test
    void theDrainRateComesFromRecentReleases() {
        InstanceSet set = set(1, 100);
        set.deficit(1);
        Instance a = ready(set, "a", 0);
        set.ready(a, 0);
        for (int k = 0; k < 20; k++) {
            set.acquire(k * S / 2); // the instance is free again after each release
            set.release(a, k * S / 2 + 1);
        }
        // 20 releases in 10 s: 2 per second; the next request is behind nobody
        assertEquals(1, set.retryAfterSeconds(10 * S));
        set.acquire(10 * S);
        for (int k = 0; k < 9; k++) {
            set.acquire(10 * S + k); // 9 waiting
        }
        assertEquals(5, set.retryAfterSeconds(10 * S)); // 10 ahead at 2/s
        assertEquals(20, set.retryAfterSeconds(40 * S)); // the releases are old: nothing drains, no start: queue timeout
    }
}
