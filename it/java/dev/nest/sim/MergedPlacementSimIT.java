package dev.nest.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.scaler.FixedKeepAlive;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Merged placement in the simulator on hand-made traces whose figures follow from the model
 * ({@link MergedModel}): which requests wait for a pod or a worker, and the memory held while busy, idle with a
 * worker and parked. Runs with the integration tests because the simulator lives beside them (no engine needed).
 */
class MergedPlacementSimIT {
    private static final long COLD_MS = 250;
    private static final Policy FIXED = new Policy.FixedOnly("fixed 10m", new FixedKeepAlive(Duration.ofMinutes(10)), "");
    private static final Policy MERGED = new Policy.Merged("fixed 10m + merged", FIXED, MergedModel.NODEJS, "");
    /** The rate gated by requests in flight (merge-below-in-flight 1). */
    private static final Policy IN_FLIGHT = new Policy.Merged("fixed 10m + merged, in flight 1", FIXED,
            MergedModel.NODEJS.withInFlightBelow(1), "");
    /** The rate rule alone (merge-below-in-flight 0, the default). */
    private static final Policy BY_RATE = new Policy.Merged("fixed 10m + merged by rate", FIXED,
            MergedModel.NODEJS.withInFlightBelow(0), "");

    private static Totals run(Policy policy, int[] perMinute) {
        long n = 0;
        for (int c : perMinute) {
            n += c;
        }
        Trace.Function fn = new Trace.Function(0, "f", perMinute, 100, 128, n);
        Totals t = new Totals();
        new FunctionSim(fn, perMinute.length, policy, 1, COLD_MS, 100, t).run();
        return t;
    }

    private static int[] minutes(int length, int... calls) {
        int[] out = new int[length];
        for (int i = 0; i < calls.length; i += 2) {
            out[calls[i]] = calls[i + 1];
        }
        return out;
    }

    @Test
    void aQuietFunctionWaitsForAWorkerNotAPodAndIsParkedAfterAMinute() {
        int[] trace = minutes(20, 0, 1);
        Totals dedicated = run(FIXED, trace);
        assertEquals(1, dedicated.coldStarts);
        assertEquals(128.0 * (COLD_MS + 100 + 600_000), dedicated.memMbMs, 1e-6);

        Totals merged = run(MERGED, trace);
        assertEquals(0, merged.coldStarts, "a merged start is a worker start");
        assertEquals(1, merged.workerStarts);
        assertEquals(0, merged.unparks);
        double worker = 128 - 16 + 6.6; // the function's memory beyond a pod's, plus a worker
        // a worker from the start through the request and 60 s idle, then parked until the keep-alive ends
        assertEquals(worker * (5 + 100 + 60_000) + 1.2 * (600_000 - 60_000), merged.memMbMs, 1e-6);
        assertEquals(6.6 * (5 + 100 + 60_000) + 1.2 * (600_000 - 60_000), merged.footMbMs, 1e-6);
        assertEquals(worker * 100, merged.busyMemMbMs, 1e-6);
    }

    @Test
    void aRequestThatFindsItsFunctionParkedWaitsForAWorker() {
        Totals merged = run(MERGED, minutes(20, 0, 1, 5, 1));
        assertEquals(0, merged.coldStarts);
        assertEquals(2, merged.workerStarts, "the first load and the unpark");
        assertEquals(1, merged.unparks);
        assertEquals(1, run(FIXED, minutes(20, 0, 1, 5, 1)).coldStarts, "the fixed keep-alive still holds its instance");
    }

    @Test
    void aBusyFunctionRunsInPodsOfItsOwnAndMovesWhenItQuietensDown() {
        // 10 a minute for 3 minutes: dedicated from the start; then quiet: under half of merge-below, it moves
        Totals merged = run(BY_RATE, minutes(20, 0, 10, 1, 10, 2, 10));
        assertEquals(0, merged.workerStarts);
        assertEquals(run(FIXED, minutes(20, 0, 10, 1, 10, 2, 10)).coldStarts, merged.coldStarts);
        assertEquals(true, merged.moves > 0, "moved into a merged pod once quiet");
        assertEquals(true, merged.memMbMs < run(FIXED, minutes(20, 0, 10, 1, 10, 2, 10)).memMbMs,
                "parked after the move instead of held at full memory");
    }

    @Test
    void aBusyFunctionThatOneWorkerCarriesStaysMergedWithTheInFlightGate() {
        // 10 a minute of 100 ms: 0.017 requests in flight on average, under merge-below-in-flight 1
        int[] trace = minutes(20, 0, 10, 1, 10, 2, 10);
        Totals merged = run(IN_FLIGHT, trace);
        assertEquals(0, merged.coldStarts, "never in a pod of its own");
        assertEquals(0, merged.moves);
        assertEquals(true, merged.workerStarts > 0);
        // 600 a minute of 1 s: 10 in flight on average, over it: out at the first minute's end
        Totals heavy = runLong(IN_FLIGHT, minutes(5, 0, 600, 1, 600, 2, 600), 1_000);
        assertEquals(true, heavy.moves > 0, "moved to pods of its own");
        assertEquals(true, heavy.coldStarts > 0);
    }

    private static Totals runLong(Policy policy, int[] perMinute, long durationMs) {
        long n = 0;
        for (int c : perMinute) {
            n += c;
        }
        Trace.Function fn = new Trace.Function(0, "f", perMinute, durationMs, 128, n);
        Totals t = new Totals();
        new FunctionSim(fn, perMinute.length, policy, 1, COLD_MS, 100, t).run();
        return t;
    }

    @Test
    void aBurstAboveTheSteadyNeedStartsWorkersAndTheSteadyInstancesStayPods() {
        // 600 requests a minute of 100 ms (about one in flight: dedicated), with one minute of 6,000 (a burst)
        int[] trace = new int[40];
        java.util.Arrays.fill(trace, 600);
        trace[20] = 6_000;
        dev.nest.scaler.ScalingConfig config = dev.nest.scaler.ScalingConfig.defaults(1).withMinMax(0, 100);
        Policy.Ours nest = new Policy.Ours("nest", dev.nest.scaler.Scaler.windowed(), config, "");
        Policy.Ours burst = new Policy.Ours("nest + burst release", dev.nest.scaler.Scaler.windowed(
                dev.nest.scaler.BurstRelease.after(Duration.ofSeconds(30))), config, "");
        Totals plain = run(new Policy.Merged("merged", nest, MergedModel.NODEJS.withBurstWorkers(0), ""), trace);
        Totals workers = run(new Policy.Merged("burst workers", burst, MergedModel.NODEJS.withBurstWorkers(75), ""), trace);
        assertEquals(plain.invocations, workers.invocations);
        assertTrue(plain.coldStarts > 0, "the burst starts pods: " + plain.coldStarts);
        assertTrue(workers.workerStarts > 0, "the burst starts workers");
        assertTrue(workers.coldStarts < plain.coldStarts, workers.coldStarts + " pod starts against " + plain.coldStarts);
        assertTrue(workers.idleWorkerMbMs + workers.idleParkedMbMs > 0, "idle burst instances are workers");
        assertTrue(workers.memMbMs < plain.memMbMs, "the burst's spare instances are parked, not held as pods");
    }
}
