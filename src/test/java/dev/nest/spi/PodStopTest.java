package dev.nest.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PodStopTest {
    private final List<String> steps = new ArrayList<>();
    private final CompletableFuture<Integer> ended = new CompletableFuture<>();

    @Test
    void aHostThatEndsWithinTheGraceIsStillForcedAway() {
        PodStop.run(ended, Duration.ofSeconds(10), Duration.ofSeconds(10), () -> {
            steps.add("terminate");
            ended.complete(0);
        }, () -> steps.add("force"));
        assertEquals(List.of("terminate", "force"), steps);
    }

    @Test
    void noGraceMeansNoTerminate() {
        PodStop.run(ended, Duration.ZERO, Duration.ZERO, () -> steps.add("terminate"), () -> {
            steps.add("force");
            ended.complete(-1);
            return true;
        });
        assertEquals(List.of("force"), steps);
    }

    @Test
    void anEndedPodIsNotTerminated() {
        ended.complete(3);
        PodStop.run(ended, Duration.ofSeconds(10), Duration.ofSeconds(10), () -> steps.add("terminate"),
                () -> steps.add("force"));
        assertEquals(List.of("force"), steps);
    }

    @Test
    void awaitTellsWhetherTheFutureCompleted() {
        assertFalse(PodStop.await(ended, Duration.ZERO));
        ended.completeExceptionally(new IllegalStateException("watch broke"));
        assertTrue(PodStop.await(ended, Duration.ZERO));
    }

    @Test
    void anInterruptedWaitKeepsTheInterruptStatus() {
        Thread.currentThread().interrupt();
        try {
            assertFalse(PodStop.await(ended, Duration.ofSeconds(10)));
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
    }
}
