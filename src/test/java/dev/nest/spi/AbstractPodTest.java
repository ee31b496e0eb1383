package dev.nest.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AbstractPodTest {
    /** A pod whose steps are recorded; {@code endsOn} names the step after which its host has ended (or none). */
    private static final class FakePod extends AbstractPod {
        final List<String> steps = new ArrayList<>();
        private final String endsOn;
        private final int code;

        FakePod(String endsOn, int code) {
            super("pod-1", 64L << 20);
            this.endsOn = endsOn;
            this.code = code;
        }

        private void step(String name) {
            steps.add(name + (stopping() ? "" : " (not stopping?)"));
            if (name.equals(endsOn)) {
                exited().complete(code);
            }
        }

        @Override
        protected void terminate() {
            step("terminate");
        }

        @Override
        protected boolean force() {
            step("force");
            return true;
        }

        @Override
        protected void released() {
            steps.add("released, exited " + exited().getNow(null));
        }

        @Override
        public String describe() {
            return "fake";
        }
    }

    @Test
    void aHostThatEndsOnTerminateKeepsItsExitCode() {
        FakePod pod = new FakePod("terminate", 0);
        pod.stop(Duration.ofSeconds(30));
        assertEquals(List.of("terminate", "force", "released, exited 0"), pod.steps);
    }

    @Test
    void aForcedHostIsReportedAsEndedWithItsCode() {
        FakePod pod = new FakePod("force", 137);
        pod.stop(Duration.ZERO);
        assertEquals(List.of("force", "released, exited 137"), pod.steps);
    }

    @Test
    void aStopAfterTheExitOnlyForcesAndReleases() {
        FakePod pod = new FakePod("none", 0);
        pod.exited().complete(3);
        assertFalse(pod.stopping());
        pod.stop(Duration.ofSeconds(30));
        assertTrue(pod.stopping());
        assertEquals(List.of("force", "released, exited 3"), pod.steps);
        assertEquals("pod-1", pod.id());
    }

    @Test
    void theOutOfMemoryLineNamesTheContainerAndTheLimit() {
        assertEquals("nest: container c1 was killed: out of memory (limit 64 MiB, the function's memory)",
                new FakePod("none", 0).outOfMemoryLine("c1"));
    }
}
