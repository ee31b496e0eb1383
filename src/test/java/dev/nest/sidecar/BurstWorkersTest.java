package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Burst workers in the data path (taken last, stopped first) and the node's steady need they are measured by. */
class BurstWorkersTest {
    private static final long S = 1_000_000_000L;
    private static final FunctionId FN = FunctionId.of("default", "fn");

    private static InstanceSet set(int concurrency) {
        FunctionSpec spec = new FunctionSpec(FN, "nodejs", "", 128, Duration.ofSeconds(30), concurrency, Map.of(),
                new ScalingSpec(0, 10, Duration.ofMinutes(10)), new QueueSpec(100, Duration.ofSeconds(30)));
        return new InstanceSet(new FunctionVersion(1, "sha256:" + "a".repeat(64), spec, Instant.EPOCH, "api"));
    }

    /** Ready instances in this order; a name starting with "b" is a burst worker. */
    private static List<Instance> ready(InstanceSet set, String... ids) {
        List<Instance> out = new java.util.ArrayList<>();
        for (String id : ids) {
            Instance i = new Instance(id, set.version(), 0);
            i.burst = id.startsWith("b");
            assertTrue(i.moveTo(InstanceState.LOADING));
            assertTrue(i.moveTo(InstanceState.READY));
            set.deficit(set.readyCount() + 1);
            set.ready(i, 0);
            out.add(i);
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a burst worker listed first is taken after a pod        | b1 d1    | 1 | d1
            pods before burst workers, in order                     | d1 b1 d2 | 1 | d1
            only burst workers: the first                           | b1 b2    | 1 | b1
            concurrency 2: the least loaded pod first               | b1 d1    | 2 | d1
            """)
    void requestsTakeBurstWorkersLast(String why, String ids, int concurrency, String expected) {
        InstanceSet set = set(concurrency);
        ready(set, ids.split(" "));
        assertEquals(expected, set.acquire(S).instance().id(), why);
    }

    @Test
    void aLoadedPodGivesWayToAnIdleBurstWorker() {
        InstanceSet set = set(1);
        ready(set, "b1", "d1");
        assertEquals("d1", set.acquire(S).instance().id());
        assertEquals("b1", set.acquire(S).instance().id(), "the pod is busy: the burst worker serves");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a scale-down stops burst workers first             | d1 b1 d2 b2 | 2 | b1 b2
            then the longest idle pods                         | d1 b1 d2    | 1 | b1 d1
            no burst worker: the longest idle                  | d1 d2 d3    | 2 | d1
            """)
    void aScaleDownStopsBurstWorkersFirst(String why, String ids, int keep, String expected) {
        InstanceSet set = set(1);
        ready(set, ids.split(" "));
        List<Instance> out = set.expire(10 * S, new KeepAliveRule.Policy(keep, 0, Long.MIN_VALUE));
        assertEquals(List.of(expected.split(" ")), out.stream().map(Instance::id).toList(), why);
    }

    @Test
    void aReleasedPodAboveTheTargetStopsAnIdleBurstWorkerInstead() {
        InstanceSet set = set(1);
        List<Instance> all = ready(set, "d1", "b1");
        Instance d1 = all.get(0);
        assertSame(d1, set.acquire(S).instance());
        assertEquals(Optional.empty(), set.removeIdleAbove(d1, 1), "busy: nothing stops");
        set.release(d1, 2 * S);
        assertEquals("b1", set.removeIdleAbove(d1, 1).map(Instance::id).orElseThrow());
        assertEquals(List.of(d1), set.instances());
        assertEquals(Optional.empty(), set.removeIdleAbove(d1, 1), "at the target: nothing stops");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            one in flight most seconds, a burst of 9 in 10%: p75 is 1 | 75 | 1
            the same at p95: the burst is steady                     | 95 | 9
            """)
    void theSteadyNeedIsAPercentileOfTheNodesPerSecondReadings(String why, double percentile, int expected) {
        SteadyNeed need = new SteadyNeed();
        for (int s = 0; s < 100; s++) {
            need.sample(FN, s >= 90 ? 9 : 1, s * S);
            need.sample(FN, 0, s * S + S / 2); // a second's peak counts
        }
        assertEquals(expected, need.steadyCount(FN, percentile, 1, 99 * S), why);
    }

    @Test
    void theSteadyNeedCountsSilentSecondsAsNoneAndIsUnknownBeforeAnyReading() {
        SteadyNeed need = new SteadyNeed();
        assertEquals(Integer.MAX_VALUE, need.steadyCount(FN, 75, 1, 5 * S), "no reading: every instance is steady");
        need.sample(FN, 4, 0);
        assertEquals(4, need.steadyCount(FN, 75, 1, 0));
        assertEquals(0, need.steadyCount(FN, 75, 1, 9 * S), "nine silent seconds after it");
        assertEquals(2, need.steadyCount(FN, 100, 2, 9 * S), "4 in flight at 2 per instance, at p100");
        assertEquals(0, need.steadyCount(FN, 100, 1, 700 * S), "the reading left the 10-minute window");
        need.forget(FN);
        assertEquals(Integer.MAX_VALUE, need.steadyCount(FN, 75, 1, 700 * S));
    }
}
