package dev.nest.driver.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import containerd.services.containers.v1.Container;
import dev.nest.auth.FakeClock;
import dev.nest.driver.containerd.PreparedContainers.Shape;
import dev.nest.driver.containerd.PreparedContainers.Verdict;
import dev.nest.spi.SandboxException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The prepared-container lifecycle: prepared, used, expired, stale image, closed, and stale after a node restart. */
class PreparedContainersTest {
    private static final Shape NODE = new Shape("docker.io/nest/runtime-nodejs:latest", 128L << 20, 1.0, 256);
    private static final Shape JAVA = new Shape("docker.io/nest/runtime-java:latest", 256L << 20, 1.0, 256);
    private static final Duration MAX_AGE = Duration.ofMinutes(10);
    private static final Instant T0 = Instant.parse("2026-12-06T12:00:00Z");

    /** A prepared container of the fake: its id and the image content it was made from. */
    record Fake(String id, String content) {
    }

    /** Makes numbered containers of the current image content; records what was made and discarded. */
    static final class FakeMaker implements PreparedContainers.Maker<Fake> {
        String content = "chain-1";
        boolean failing;
        int n;
        final List<String> made = new ArrayList<>();
        final List<String> discarded = new ArrayList<>();

        @Override
        public Fake make(Shape shape) {
            if (failing) {
                throw new SandboxException("containerd is down");
            }
            Fake f = new Fake("prep-" + (++n), content);
            made.add(f.id());
            return f;
        }

        @Override
        public String id(Fake p) {
            return p.id();
        }

        @Override
        public String imageContent(Fake p) {
            return p.content();
        }

        @Override
        public void discard(Fake p) {
            discarded.add(p.id());
        }
    }

    /** Work handed to the preparing thread, run when the test says. */
    static final class FakeLater implements PreparedContainers.Later {
        final Deque<Runnable> queued = new ArrayDeque<>();
        final List<Duration> delays = new ArrayList<>();
        boolean shutDown;

        @Override
        public void run(Runnable work, Duration delay) {
            if (shutDown) {
                throw new java.util.concurrent.RejectedExecutionException("shut down");
            }
            queued.add(work);
            delays.add(delay);
        }

        void drain() {
            while (!queued.isEmpty()) {
                queued.poll().run();
            }
        }
    }

    private final FakeClock clock = new FakeClock(T0);
    private final FakeMaker maker = new FakeMaker();
    private final FakeLater later = new FakeLater();

    private PreparedContainers<Fake> set(int perShape) {
        return new PreparedContainers<>(perShape, MAX_AGE, Duration.ofMillis(100), clock, maker, later);
    }

    @Test
    void verdictTable() {
        record Row(Duration age, String made, String current, Verdict expected) {
        }
        for (Row r : List.of(
                new Row(Duration.ZERO, "c1", "c1", Verdict.USE),
                new Row(MAX_AGE.minusMillis(1), "c1", "c1", Verdict.USE),
                new Row(MAX_AGE, "c1", "c1", Verdict.EXPIRED),
                new Row(MAX_AGE.plusHours(1), "c1", "c1", Verdict.EXPIRED),
                new Row(Duration.ZERO, "c1", "c2", Verdict.STALE_IMAGE),
                new Row(MAX_AGE.plusHours(1), "c1", "c2", Verdict.STALE_IMAGE))) {
            assertEquals(r.expected(), PreparedContainers.verdict(T0, r.made(), r.current(), T0.plus(r.age()), MAX_AGE), r.toString());
        }
    }

    @Test
    void theFirstStartOfAShapeFindsNoneAndPreparesOneAfterTheRefillDelay() {
        PreparedContainers<Fake> s = set(1);
        assertEquals(Optional.empty(), s.take(NODE, "chain-1"));
        assertEquals(List.of(Duration.ofMillis(100)), later.delays);
        later.drain();
        assertEquals(List.of("prep-1"), maker.made);
        assertEquals(1, s.size());
        assertEquals(Set.of("prep-1"), s.ids());
    }

    @Test
    void aTakenContainerIsUsedOnceAndReplaced() {
        PreparedContainers<Fake> s = set(1);
        s.take(NODE, "chain-1");
        later.drain();
        assertEquals(Optional.of(new Fake("prep-1", "chain-1")), s.take(NODE, "chain-1"));
        assertEquals(Set.of(), s.ids(), "a used container is the pod's now, not the set's");
        later.drain();
        assertEquals(Set.of("prep-2"), s.ids());
        assertEquals(List.of(), maker.discarded);
    }

    @Test
    void shapesDoNotShareContainers() {
        PreparedContainers<Fake> s = set(1);
        s.take(NODE, "chain-1");
        later.drain();
        assertEquals(Optional.empty(), s.take(JAVA, "chain-1"), "a Node.js container cannot serve a Java pod");
        later.drain();
        assertEquals(2, s.size());
    }

    @Test
    void perShapeIsFilledOneMakeAtATime() {
        PreparedContainers<Fake> s = set(3);
        s.take(NODE, "chain-1");
        assertEquals(1, later.queued.size());
        later.drain();
        assertEquals(3, s.size());
        assertEquals(List.of("prep-1", "prep-2", "prep-3"), maker.made);
    }

    @Test
    void anExpiredContainerIsDiscardedAtTheTakeAndTheStartMakesItsOwn() {
        PreparedContainers<Fake> s = set(1);
        s.take(NODE, "chain-1");
        later.drain();
        clock.advance(MAX_AGE);
        assertEquals(Optional.empty(), s.take(NODE, "chain-1"));
        assertEquals(List.of("prep-1"), maker.discarded);
        later.drain();
        assertEquals(Set.of("prep-2"), s.ids());
    }

    @Test
    void theSweepDiscardsExpiredContainersAndRefills() {
        PreparedContainers<Fake> s = set(1);
        s.take(NODE, "chain-1");
        later.drain();
        clock.advance(MAX_AGE.minusSeconds(1));
        s.sweep();
        assertEquals(List.of(), maker.discarded, "not expired yet");
        clock.advance(Duration.ofSeconds(1));
        s.sweep();
        assertEquals(List.of("prep-1"), maker.discarded);
        later.drain();
        assertEquals(Set.of("prep-2"), s.ids());
    }

    @Test
    void aContainerOfContentTheImageNoLongerNamesIsDiscarded() {
        PreparedContainers<Fake> s = set(1);
        s.take(NODE, "chain-1");
        later.drain();
        maker.content = "chain-2";
        assertEquals(Optional.empty(), s.take(NODE, "chain-2"));
        assertEquals(List.of("prep-1"), maker.discarded);
        later.drain();
        assertEquals(Optional.of(new Fake("prep-2", "chain-2")), s.take(NODE, "chain-2"));
    }

    @Test
    void aFailedMakeIsNotRetriedInALoopButAtTheNextTake() {
        PreparedContainers<Fake> s = set(2);
        maker.failing = true;
        s.take(NODE, "chain-1");
        later.drain();
        assertEquals(0, s.size());
        assertTrue(later.queued.isEmpty(), "no retry loop while containerd is down");
        maker.failing = false;
        s.take(NODE, "chain-1");
        later.drain();
        assertEquals(2, s.size());
    }

    @Test
    void closeDiscardsTheReadyOnesAndOneFinishedAfterwards() {
        PreparedContainers<Fake> s = set(1);
        s.take(NODE, "chain-1");
        later.drain();
        s.take(JAVA, "chain-1");
        Runnable javaMake = later.queued.poll();
        s.close();
        assertEquals(List.of("prep-1"), maker.discarded);
        javaMake.run();
        assertEquals(List.of("prep-1", "prep-2"), maker.discarded, "made after close: discarded at once");
        assertEquals(Optional.empty(), s.take(NODE, "chain-1"));
        assertEquals(0, s.size());
        s.close();
        assertEquals(2, maker.discarded.size(), "close is idempotent");
    }

    @Test
    void aShutDownPreparingThreadLeavesNoMakeCounted() {
        PreparedContainers<Fake> s = set(1);
        later.shutDown = true;
        assertEquals(Optional.empty(), s.take(NODE, "chain-1"));
        later.shutDown = false;
        s.take(NODE, "chain-1");
        assertEquals(1, later.queued.size(), "the rejected make was not left counted as in progress");
    }

    @Test
    void perShapeMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> set(0));
    }

    /** After a node restart: its containers of the previous run (pods and prepared ones) are orphans; live ones are not. */
    @Test
    void staleAfterRestartTable() {
        record Row(String id, Map<String, String> labels, boolean live, boolean orphan) {
        }
        Map<String, String> n1 = Map.of("dev.nest.owner", "nest", "dev.nest.node", "n1");
        Map<String, String> n1Prepared = Map.of("dev.nest.owner", "nest", "dev.nest.node", "n1", Prepared.LABEL, "true");
        List<Row> rows = List.of(
                new Row("nest-prep-n1-old", n1Prepared, false, true),
                new Row("nest-pod-of-last-run", n1, false, true),
                new Row("nest-prep-n1-live", n1Prepared, true, false),
                new Row("nest-running-pod", n1, true, false),
                new Row("nest-prep-n2", Map.of("dev.nest.owner", "nest", "dev.nest.node", "n2", Prepared.LABEL, "true"), false, false),
                new Row("someone-else", Map.of(), false, false));
        List<Container> found = rows.stream().map(r -> Container.newBuilder().setId(r.id()).putAllLabels(r.labels()).build())
                .toList();
        Set<String> live = Set.copyOf(rows.stream().filter(Row::live).map(Row::id).toList());
        assertEquals(rows.stream().filter(Row::orphan).map(Row::id).toList(),
                ContainerdSandboxDriver.orphans(found, live, "n1"));
    }
}
