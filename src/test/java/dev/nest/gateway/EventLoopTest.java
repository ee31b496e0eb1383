package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The loop's tasks and timers: order, thread, cancellation, and a failing task that does not stop the loop. */
class EventLoopTest {
    private EventLoop loop;

    @BeforeEach
    void setUp() throws IOException {
        loop = new EventLoop("test-loop");
        loop.start();
    }

    @AfterEach
    void tearDown() {
        loop.close();
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(FakeHost.BOUND_S, TimeUnit.SECONDS);
    }

    @Test
    void runsTasksFromOtherThreadsInOrderOnTheLoopThread() throws Exception {
        List<Integer> order = new CopyOnWriteArrayList<>();
        List<Boolean> inLoop = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        assertTrue(!loop.inLoop());
        for (int i = 0; i < 100; i++) {
            int n = i;
            loop.execute(() -> {
                order.add(n);
                inLoop.add(loop.inLoop());
            });
        }
        loop.execute(() -> done.complete(null));
        await(done);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            expected.add(i);
        }
        assertEquals(expected, order);
        assertTrue(inLoop.stream().allMatch(b -> b));
    }

    @Test
    void aTaskExecutedFromTheLoopRunsAfterTheCurrentOne() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        CompletableFuture<List<String>> done = new CompletableFuture<>();
        loop.execute(() -> {
            loop.execute(() -> {
                order.add("inner");
                done.complete(order);
            });
            order.add("outer");
        });
        assertEquals(List.of("outer", "inner"), await(done));
    }

    @Test
    void firesTimersInDeadlineOrderAndNotCancelledOnes() throws Exception {
        // the deadlines, not the order of scheduling, decide; a loop thread paused between two schedule calls
        // moves the later call's deadline, so the expectation is the order of the deadlines themselves
        List<EventLoop.Timer> fired = new CopyOnWriteArrayList<>();
        List<EventLoop.Timer> scheduled = new CopyOnWriteArrayList<>();
        CompletableFuture<List<EventLoop.Timer>> done = new CompletableFuture<>();
        loop.execute(() -> {
            long ms = TimeUnit.MILLISECONDS.toNanos(1);
            for (long delay : new long[] {4 * ms, 2 * ms, 3 * ms, 0, -ms}) {
                EventLoop.Timer[] self = new EventLoop.Timer[1];
                self[0] = loop.schedule(delay, () -> {
                    fired.add(self[0]);
                    if (fired.size() == 4) {
                        done.complete(fired);
                    }
                });
                scheduled.add(self[0]);
            }
            scheduled.remove(2).cancel();
        });
        List<EventLoop.Timer> actual = await(done);
        List<EventLoop.Timer> expected = new ArrayList<>(scheduled);
        expected.sort(null);
        assertEquals(expected, actual);
    }

    @Test
    void aTimerCancelledBeforeItsTimeNeverRuns() throws Exception {
        List<String> fired = new CopyOnWriteArrayList<>();
        CompletableFuture<List<String>> done = new CompletableFuture<>();
        loop.execute(() -> {
            EventLoop.Timer t = loop.schedule(TimeUnit.MILLISECONDS.toNanos(1), () -> fired.add("cancelled"));
            loop.schedule(TimeUnit.MILLISECONDS.toNanos(2), () -> done.complete(fired));
            loop.execute(t::cancel);
        });
        assertEquals(List.of(), await(done));
    }

    @Test
    void keepsRunningAfterATaskOrTimerThrows() throws Exception {
        CompletableFuture<String> done = new CompletableFuture<>();
        loop.execute(() -> {
            throw new IllegalStateException("a failing task");
        });
        loop.execute(() -> loop.schedule(0, () -> {
            throw new IllegalStateException("a failing timer");
        }));
        loop.execute(() -> loop.schedule(TimeUnit.MILLISECONDS.toNanos(1), () -> done.complete("still running")));
        assertEquals("still running", await(done));
    }
}
