package dev.nest.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pool's decisions with a fake pod factory, a manual clock and starts that run at once. */
class WarmPoolTest {
    private final FakePodFactory factory = new FakePodFactory();
    private long now = 1_000_000_000L;
    private final WarmPool<FakePod> pool = new WarmPool<>(factory,
            List.of(new WarmPool.Runtime("nodejs", 2, 128), new WarmPool.Runtime("java", 0, 256)), 8,
            Duration.ofMinutes(10), () -> now, Runnable::run);

    @AfterEach
    void tearDown() {
        pool.close();
    }

    private PoolStatus status(String runtime) {
        return pool.status().stream().filter(p -> p.runtime().equals(runtime)).findFirst().orElseThrow();
    }

    @Test
    void fillsEachPoolToItsSize() {
        pool.maintain();
        assertEquals(2, factory.started.size());
        assertEquals(new PoolStatus("nodejs", 2, 2, 0, 128, 0, 0, "", 0), status("nodejs"));
        assertEquals(new PoolStatus("java", 0, 0, 0, 256, 0, 0, "", 0), status("java"));
        pool.maintain();
        assertEquals(2, factory.started.size(), "a full pool starts nothing");
    }

    @Test
    void aTakenPodLeavesThePoolAndIsReplaced() {
        pool.maintain();
        Optional<FakePod> pod = pool.take("nodejs", 128);
        assertTrue(pod.isPresent());
        assertEquals(factory.started.get(0), pod.get(), "the oldest pod goes first");
        assertEquals(1, status("nodejs").ready());
        assertEquals(1, status("nodejs").hits());
        pool.maintain();
        assertEquals(3, factory.started.size());
        assertEquals(2, status("nodejs").ready());
        assertFalse(pod.get().stopped, "a handed-out pod belongs to the caller");
    }

    @Test
    void aFunctionNeedingMoreMemoryThanThePoolGetsNothing() {
        pool.maintain();
        assertTrue(pool.take("nodejs", 129).isEmpty());
        assertEquals(2, status("nodejs").ready());
        assertEquals(0, status("nodejs").misses(), "not eligible is not a miss");
        assertTrue(pool.take("python", 64).isEmpty(), "no pool of an unknown runtime");
    }

    @Test
    void anEmptyPoolIsAMiss() {
        assertTrue(pool.take("nodejs", 128).isEmpty());
        assertEquals(1, status("nodejs").misses());
        assertTrue(pool.take("java", 128).isEmpty(), "a pool of size 0 is off");
        assertEquals(0, status("java").misses());
    }

    @Test
    void deadPodsAreReplacedAndNeverHandedOut() {
        pool.maintain();
        factory.started.get(0).alive = false;
        Optional<FakePod> pod = pool.take("nodejs", 128);
        assertEquals(factory.started.get(1), pod.orElseThrow());
        assertTrue(factory.started.get(0).stopped);

        factory.started.get(1).alive = false; // taken: no longer the pool's concern
        pool.maintain();
        assertEquals(2, status("nodejs").ready());
        assertFalse(factory.started.get(1).stopped);
    }

    @Test
    void anExitedPodLeavesThePoolAtOnce() {
        pool.maintain();
        FakePod first = factory.started.get(0);
        first.alive = false;
        first.onExit.run();
        assertEquals(1, status("nodejs").ready());
        assertTrue(first.stopped);
        pool.maintain();
        assertEquals(2, status("nodejs").ready());
    }

    @Test
    void idlePodsAreRecycled() {
        pool.maintain();
        now += TimeUnit.MINUTES.toNanos(10);
        pool.maintain();
        assertTrue(factory.started.get(0).stopped);
        assertTrue(factory.started.get(1).stopped);
        assertEquals(4, factory.started.size());
        assertEquals(2, status("nodejs").ready());
    }

    @Test
    void failedStartsBackOffAndReportTheError() {
        factory.failure = "image nest/runtime-nodejs:latest not found";
        pool.maintain();
        assertEquals(2, factory.attempts);
        PoolStatus s = status("nodejs");
        assertEquals("image nest/runtime-nodejs:latest not found", s.lastError());
        assertEquals(1000, s.retryInMs());
        pool.maintain();
        pool.maintain();
        assertEquals(2, factory.attempts, "no tight loop");

        now += TimeUnit.SECONDS.toNanos(1);
        pool.maintain();
        assertEquals(3, factory.attempts, "after a failure one start probes the engine");
        assertEquals(2000, status("nodejs").retryInMs(), "the wait doubles");

        factory.failure = null;
        now += TimeUnit.SECONDS.toNanos(2);
        pool.maintain();
        assertEquals("", status("nodejs").lastError());
        assertEquals(1, status("nodejs").ready(), "the probe succeeded");
        pool.maintain();
        assertEquals(2, status("nodejs").ready());
    }

    @Test
    void theBackoffIsBounded() {
        factory.failure = "engine down";
        for (int i = 0; i < 20; i++) {
            pool.maintain();
            now += WarmPool.BACKOFF_MAX_NANOS;
        }
        pool.maintain();
        assertEquals(TimeUnit.NANOSECONDS.toMillis(WarmPool.BACKOFF_MAX_NANOS), status("nodejs").retryInMs());
    }

    @Test
    void aResizeStopsPodsAboveTheSizeAndRetriesAtOnce() {
        pool.maintain();
        pool.resize("nodejs", 1);
        pool.maintain();
        assertEquals(1, status("nodejs").ready());
        assertEquals(1, factory.started.stream().filter(p -> p.stopped).count());

        factory.failure = "engine down";
        int before = factory.attempts;
        pool.resize("java", 1);
        pool.maintain();
        assertEquals(before + 1, factory.attempts);
        factory.failure = null;
        pool.resize("java", 1);
        pool.maintain();
        assertEquals(1, status("java").ready(), "a resize does not wait for the backoff");
    }

    @Test
    void aBadResizeSaysWhatToChange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.resize("nodejs", 9));
        assertTrue(e.getMessage().contains("between 0 and 8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> pool.resize("python", 1));
        assertTrue(e.getMessage().contains("nodejs, java"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pool.resize("nodejs", -1));
    }

    @Test
    void closeStopsTheReadyPods() {
        pool.maintain();
        FakePod taken = pool.take("nodejs", 128).orElseThrow();
        pool.close();
        assertFalse(taken.stopped);
        assertTrue(factory.started.get(1).stopped);
        assertTrue(pool.take("nodejs", 128).isEmpty());
    }

    @Test
    void anExitAfterTheTakeIsLeftToThePodsOwner() {
        pool.maintain();
        FakePod taken = pool.take("nodejs", 128).orElseThrow();
        taken.alive = false;
        taken.onExit.run();
        assertFalse(taken.stopped, "the caller stops what it took");
        assertEquals(1, status("nodejs").ready());
    }

    @Test
    void aPodIsStoppedOnceEvenWhenItsExitIsHeardTwice() {
        pool.maintain();
        FakePod first = factory.started.get(0);
        first.alive = false;
        first.onExit.run();
        first.onExit.run();
        assertEquals(1, factory.stops, "one stop for one pod");
    }

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @CsvSource({
            "READY,   TAKEN,   true",
            "READY,   STOPPED, true",
            "READY,   READY,   false",
            "TAKEN,   STOPPED, false",
            "TAKEN,   READY,   false",
            "STOPPED, TAKEN,   false",
            "STOPPED, READY,   false",
            "STOPPED, STOPPED, false",
    })
    void podStatesMoveOnlyForward(PoolPodState from, PoolPodState to, boolean legal) {
        assertEquals(legal, from.canMoveTo(to));
    }

    static final class FakePod {
        final String runtime;
        final Runnable onExit;
        volatile boolean alive = true;
        volatile boolean stopped;

        FakePod(String runtime, Runnable onExit) {
            this.runtime = runtime;
            this.onExit = onExit;
        }
    }

    static final class FakePodFactory implements PodFactory<FakePod> {
        final List<FakePod> started = new ArrayList<>();
        int attempts;
        int stops;
        String failure;

        @Override
        public synchronized FakePod start(String runtime, Runnable onExit) {
            attempts++;
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
            FakePod p = new FakePod(runtime, onExit);
            started.add(p);
            return p;
        }

        @Override
        public boolean alive(FakePod pod) {
            return pod.alive;
        }

        @Override
        public synchronized void stop(FakePod pod) {
            stops++;
            pod.stopped = true;
            pod.alive = false;
        }
    }
}
