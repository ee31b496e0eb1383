package dev.nest.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FunctionThreadsTest {

    /** Counters the test sets per thread id: {cpu ns, allocated bytes}. */
    static final class FakeThreadMeter implements ThreadMeter {
        final Map<Long, long[]> byThread = new ConcurrentHashMap<>();

        void set(long threadId, long cpu, long allocated) {
            byThread.put(threadId, new long[] {cpu, allocated});
        }

        @Override
        public long currentCpuNanos() {
            return cpuNanos(Thread.currentThread().threadId());
        }

        @Override
        public long currentAllocatedBytes() {
            return allocatedBytes(Thread.currentThread().threadId());
        }

        @Override
        public long cpuNanos(long id) {
            long[] v = byThread.get(id);
            return v == null ? 0 : v[0];
        }

        @Override
        public long allocatedBytes(long id) {
            long[] v = byThread.get(id);
            return v == null ? 0 : v[1];
        }
    }

    @Test
    void finishedAndRunningInvocationsAreCountedFromTheirStartReadings() throws Exception {
        FakeThreadMeter meter = new FakeThreadMeter();
        try (FunctionThreads threads = new FunctionThreads("a", 2, meter)) {
            java.util.concurrent.Callable<Void> first = () -> {
                long id = Thread.currentThread().threadId();
                meter.set(id, 1_000_000, 100);
                return null;
            };
            threads.submit(first).get(5, TimeUnit.SECONDS);
            assertEquals(new FunctionThreads.Usage(1_000_000, 100), threads.usage());

            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            long[] runner = new long[1];
            Future<Void> second = threads.submit(() -> {
                runner[0] = Thread.currentThread().threadId();
                meter.set(runner[0], meter.currentCpuNanos() + 5_000_000, meter.currentAllocatedBytes() + 4096);
                inside.countDown();
                release.await();
                meter.set(runner[0], meter.currentCpuNanos() + 2_000_000, meter.currentAllocatedBytes() + 1024);
                return null;
            });
            assertTrue(inside.await(5, TimeUnit.SECONDS));
            FunctionThreads.Usage live = threads.usage();
            assertEquals(1, threads.busy());
            assertEquals(new FunctionThreads.Usage(6_000_000, 4196), live, "the running one counts up to now");
            release.countDown();
            second.get(5, TimeUnit.SECONDS);
            FunctionThreads.Usage done = threads.usage();
            assertEquals(new FunctionThreads.Usage(8_000_000, 5220), done);
            assertEquals(0, threads.busy());
        }
    }

    @Test
    void aReadingNeverGoesBackEvenWhenALiveThreadCannotBeRead() throws Exception {
        FakeThreadMeter meter = new FakeThreadMeter();
        try (FunctionThreads threads = new FunctionThreads("b", 1, meter)) {
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<Void> task = threads.submit(() -> {
                long id = Thread.currentThread().threadId();
                meter.set(id, meter.currentCpuNanos() + 3_000_000, meter.currentAllocatedBytes() + 10);
                inside.countDown();
                release.await();
                return null;
            });
            assertTrue(inside.await(5, TimeUnit.SECONDS));
            FunctionThreads.Usage before = threads.usage();
            meter.byThread.clear(); // the counters read 0 now: less than at the start
            assertEquals(before, threads.usage());
            release.countDown();
            task.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void oneInstancesBusyThreadsDoNotHoldUpAnother() throws Exception {
        try (FunctionThreads busy = new FunctionThreads("busy", 1, ThreadMeter.NONE);
             FunctionThreads other = new FunctionThreads("other", 1, ThreadMeter.NONE)) {
            CountDownLatch release = new CountDownLatch(1);
            busy.submit(() -> {
                release.await();
                return null;
            });
            Future<String> queued = busy.submit(() -> "late");
            assertTrue(other.submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS).startsWith("nest-fn-other-"));
            assertFalse(queued.isDone(), "the busy instance's own queue waits for its own thread");
            release.countDown();
            assertEquals("late", queued.get(5, TimeUnit.SECONDS));
            assertFalse(busy.measured());
            assertEquals(new FunctionThreads.Usage(0, 0), busy.usage());
        }
    }

    @Test
    void aDeadlineEndsWorkThatWaitsOrRunsAndNamesAStuckOne() throws Exception {
        try (FunctionThreads threads = new FunctionThreads("d", 1, ThreadMeter.NONE)) {
            long now = System.currentTimeMillis();
            DeadlineRun<String> ok = DeadlineRun.runOn(threads, () -> "ok", Long.MAX_VALUE, now, 100);
            assertEquals(DeadlineRun.Outcome.DONE, ok.outcome());
            assertEquals("ok", ok.value());
            DeadlineRun<String> thrown = DeadlineRun.runOn(threads, () -> {
                throw new IllegalStateException("boom");
            }, Long.MAX_VALUE, now, 100);
            assertEquals("boom", thrown.failure().getMessage());
            assertEquals(DeadlineRun.Outcome.TIMED_OUT,
                    DeadlineRun.runOn(threads, () -> "never", now - 1, now, 100).outcome());

            DeadlineRun<String> interrupted = DeadlineRun.runOn(threads, () -> {
                Thread.sleep(60_000);
                return "slept";
            }, System.currentTimeMillis() + 50, System.currentTimeMillis(), 5_000);
            assertEquals(DeadlineRun.Outcome.TIMED_OUT, interrupted.outcome());

            CountDownLatch stop = new CountDownLatch(1);
            DeadlineRun<String> stuck = DeadlineRun.runOn(threads, () -> {
                while (stop.getCount() > 0) {
                    Thread.interrupted(); // ignores its interruption
                    Thread.onSpinWait();
                }
                return "stuck";
            }, System.currentTimeMillis() + 50, System.currentTimeMillis(), 50);
            assertEquals(DeadlineRun.Outcome.STUCK, stuck.outcome());
            // the stuck work keeps the only thread: the next one waits and ends at its deadline without running
            boolean[] ran = new boolean[1];
            DeadlineRun<String> waiting = DeadlineRun.runOn(threads, () -> {
                ran[0] = true;
                return "ran";
            }, System.currentTimeMillis() + 50, System.currentTimeMillis(), 50);
            assertEquals(DeadlineRun.Outcome.TIMED_OUT, waiting.outcome());
            stop.countDown();
            assertEquals(DeadlineRun.Outcome.DONE,
                    DeadlineRun.runOn(threads, () -> "after", Long.MAX_VALUE, 0, 100).outcome());
            assertFalse(ran[0], "a work cancelled while it waited never runs");
        }
    }

    @Test
    void aClosedInstanceTakesNoWork() {
        FunctionThreads threads = new FunctionThreads("c", 1, ThreadMeter.NONE);
        threads.close();
        assertThrows(RejectedExecutionException.class, () -> threads.submit(() -> "x"));
        assertEquals(DeadlineRun.Outcome.INTERRUPTED,
                DeadlineRun.runOn(threads, () -> "x", Long.MAX_VALUE, 0, 100).outcome());
    }
}
