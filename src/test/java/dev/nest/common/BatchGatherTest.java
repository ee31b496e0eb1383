package dev.nest.common;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchGatherTest {
    // a pause that did not end early would take an hour: the preemptive timeout proves it ended early
    private final BatchGather gather = new BatchGather(3_600_000, 1_000, 3);

    @Test
    void aFullBatchEndsThePauseAtOnce() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> gather.pause(List.of(1, 2, 3)));
    }

    @Test
    void aWaitingCallerEndsThePauseUntilTheWriterTakesTheQueue() {
        gather.hurry();
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> gather.pause(List.of()));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> gather.pause(List.of()), "still hurried before reset");
    }

    @Test
    void aHurryFromAnotherThreadEndsAPauseInProgressAfterAReset() {
        gather.hurry();
        gather.reset();
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    gather.pause(List.of());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            gather.hurry();
            t.join();
        });
    }

    @Test
    void refusesASliceLongerThanThePauseOrAnEmptyBatch() {
        assertThrows(IllegalArgumentException.class, () -> new BatchGather(10, 20, 1));
        assertThrows(IllegalArgumentException.class, () -> new BatchGather(10, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new BatchGather(10, 5, 0));
    }
}
