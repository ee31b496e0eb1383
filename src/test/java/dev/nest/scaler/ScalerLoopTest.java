package dev.nest.scaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.InMemoryCatalog;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.function.ScheduleRule;
import dev.nest.function.CronExpression;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The live scaler's rounds against a fake clock, a fake load source and a recording sink: no threads, no sleeps. */
class ScalerLoopTest {
    private static final FunctionId ID = FunctionId.of("default", "f");
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    private final FakeClock clock = new FakeClock(T0);
    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private final Map<FunctionId, InstanceLoad> load = new HashMap<>();
    private final List<String> applied = new ArrayList<>();
    private final TargetSink sink = new TargetSink() {
        @Override
        public void setTarget(FunctionId id, int instances) {
            applied.add(id.name() + "=" + instances);
        }

        @Override
        public void clearTarget(FunctionId id) {
            applied.add(id.name() + " cleared");
        }
    };
    private final ScalerLoop loop = new ScalerLoop(catalog, () -> Map.copyOf(load), sink, Scaler.windowed(), clock);

    private void deploy(ScalingSpec scaling) {
        FunctionSpec spec = new FunctionSpec(ID, "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(), scaling, QueueSpec.DEFAULT);
        catalog.put(FunctionRecord.empty(ID, "api", T0).withNewVersion("sha256:" + "0".repeat(64), spec, "api", T0, true));
    }

    private void load(int ready, int inFlight, int starting, int queued, long served) {
        load.put(ID, new InstanceLoad(ID, 1, ready, Math.min(ready, inFlight), inFlight, starting, queued, served));
    }

    /** Runs {@code seconds} rounds one second apart, the load unchanged. */
    private void run(int seconds) {
        for (int i = 0; i < seconds; i++) {
            clock.advance(Duration.ofSeconds(1));
            loop.tick();
        }
    }

    private ScalingStatus status() {
        return loop.status(ID).orElseThrow();
    }

    @Test
    void decidesNothingUntilActiveAndThenScalesUpAtOnce() {
        deploy(ScalingSpec.DEFAULT.withMinMax(0, 100));
        load(1, 1, 0, 6, 0);
        loop.tick();
        assertEquals(List.of(), applied);
        assertFalse(status().active());

        loop.setActive(true);
        loop.tick();
        // 7 in flight or waiting, 1 instance at target 1 (one request per instance): up at once
        assertEquals(List.of("f=7"), applied);
        ScalingEvent e = status().events().getLast();
        assertEquals(0, e.from());
        assertEquals(7, e.to());
        assertEquals(ScalingRule.METRIC, e.rule());
        assertTrue(e.reason().startsWith("up at once"), e.reason());
        assertEquals(7.0, e.metrics().get("concurrency.now"));
    }

    @Test
    void scalesDownOnlyAfterTheDelayAndByTheStep() {
        deploy(ScalingSpec.DEFAULT.withMinMax(0, 100).withScaleDown(Duration.ofSeconds(30), new dev.nest.function.ScaleDownStep(2, false)));
        loop.setActive(true);
        load(8, 8, 0, 0, 0);
        long served = 0;
        for (int i = 0; i < 70; i++) {
            served += 8;
            load(8, 8, 0, 0, served);
            run(1);
        }
        assertEquals(8, status().desired()); // 8 in flight, one request per instance
        applied.clear();
        // the load falls to 2 in flight; the 60 s window's peak holds 8 (at full target) until it leaves the window
        for (int i = 0; i < 60; i++) {
            served += 2;
            load(status().desired(), 2, 0, 0, served); // the agent follows the target
            run(1);
        }
        // while the peak of 8 is in the window, nothing goes
        assertEquals(List.of(), applied);
        for (int i = 0; i < 120; i++) {
            served += 2;
            load(status().desired(), 2, 0, 0, served);
            run(1);
        }
        List<ScalingEvent> downs = status().events().stream().filter(x -> x.to() < x.from()).toList();
        assertFalse(downs.isEmpty());
        for (ScalingEvent d : downs) {
            assertTrue(d.from() - d.to() <= 2, "step of at most 2: " + d);
        }
        assertTrue(downs.stream().anyMatch(d -> d.rule() == ScalingRule.STEP), downs.toString());
        assertEquals(2, status().desired()); // 2 in flight
        assertEquals(2.0, status().metrics().get("rps.avg60s"));
    }

    @Test
    void anIdleFunctionKeepsItsLastInstanceForTheKeepAliveThenGoesToZero() {
        deploy(new ScalingSpec(0, 10, Duration.ofMinutes(2)).withKeepAlive(Duration.ofMinutes(2),
                dev.nest.function.KeepAliveMode.FIXED, Duration.ofHours(4)));
        loop.setActive(true);
        load(1, 1, 0, 0, 0);
        run(1);
        load(1, 0, 0, 0, 1);
        run(100);
        // one request in flight asked for 1; it is kept for the keep-alive from the end of the request
        assertEquals(1, status().desired());
        assertEquals(ScalingRule.KEEP_ALIVE, status().rule());
        run(30);
        assertEquals(0, status().desired());
        assertEquals(ScalingRule.SCALE_TO_ZERO, status().rule());
        assertEquals("f=0", applied.getLast());
    }

    @Test
    void aNeverCalledFunctionGetsNoInstanceButItsMinAndScheduleAreKept() {
        deploy(ScalingSpec.DEFAULT);
        loop.setActive(true);
        run(5);
        assertEquals(0, status().desired());
        assertEquals(List.of("f=0"), applied);

        deploy(ScalingSpec.DEFAULT.withMinMax(2, 10));
        run(1);
        assertEquals(2, status().desired());
        assertEquals(ScalingRule.MIN, status().rule());

        // 10:00 UTC on a Monday: a rule from 10:00 for an hour raises the minimum to 5
        ScheduleRule rule = new ScheduleRule(CronExpression.parse("0 10 * * MON"), Duration.ofHours(1), 5, ZoneId.of("UTC"));
        deploy(ScalingSpec.DEFAULT.withMinMax(2, 10).withSchedule(List.of(rule)));
        run(1);
        assertEquals(5, status().desired());
        assertEquals(ScalingRule.SCHEDULE, status().rule());
    }

    @Test
    void losingLeadershipClearsTheTargetsAndADeletedFunctionIsForgotten() {
        deploy(ScalingSpec.DEFAULT.withMinMax(1, 10));
        loop.setActive(true);
        run(1);
        assertEquals(List.of("f=1"), applied);
        loop.setActive(false);
        assertEquals(List.of("f=1", "f cleared"), applied);
        loop.setActive(true);
        run(1);
        catalog.remove(ID);
        run(1);
        assertEquals(List.of("f=1", "f cleared", "f=1", "f cleared"), applied);
        assertTrue(loop.status(ID).isEmpty());
    }

    @Test
    void theLogIsBounded() {
        deploy(ScalingSpec.DEFAULT.withScaleDown(Duration.ZERO, new dev.nest.function.ScaleDownStep(100, true)));
        loop.setActive(true);
        for (int i = 0; i < ScalerLoop.EVENTS_KEPT * 2; i++) {
            load(1, i % 2 == 0 ? 5 : 0, 0, 0, 0);
            clock.advance(Duration.ofMinutes(2)); // each sample alone in its window
            loop.tick();
        }
        assertEquals(ScalerLoop.EVENTS_KEPT, status().events().size());
    }

    /** A minute of 5 requests/s of 100 ms on 4 warm instances (one in flight every other second). */
    private long quietMinute() {
        long served = 0;
        for (int i = 0; i < 60; i++) {
            served += 5;
            load(4, i % 2, 0, 0, served);
            run(1);
        }
        return served;
    }

    @Test
    void aStepOfTheArrivalsIsSizedForItsOfferedLoadAtTheFirstDecision() {
        deploy(ScalingSpec.DEFAULT.withMinMax(0, 100));
        loop.setActive(true);
        long served = quietMinute();
        assertEquals(4, status().desired());
        // 10x the arrivals: in the step's first second 50 arrive, the 4 instances and one the node started for a
        // waiting request (adopted) serve 45 and hold 5; the requests in flight (5) alone would just adopt it
        served += 45;
        load(5, 5, 0, 0, served);
        run(1);
        ScalingEvent e = status().events().getLast();
        // offered 49/s x 0.095 s = 4.7, 5 in flight; with the arrival headroom 5 + 2 x sqrt(5) = 9.5: 10 at once
        assertEquals(10, e.to(), e.reason());
        assertTrue(e.reason().contains("offered load 4.68 (49.0 arrivals/s"), e.reason());
        assertTrue(e.reason().contains("arrival headroom"), e.reason());
        // the same load for the next seconds asks for nothing more
        for (int i = 0; i < 9; i++) {
            served += 50;
            load(status().desired(), 5, 0, 0, served);
            run(1);
        }
        assertEquals(10, status().desired());
    }

    @Test
    void oneSequentialCallerAfterAQuietSpellGetsNoInstancesForItsNoise() {
        deploy(ScalingSpec.DEFAULT.withMinMax(0, 100));
        loop.setActive(true);
        long served = 0;
        for (int i = 0; i < 60; i++) {
            served += i % 10 == 0 ? 1 : 0; // a request every 10 s on the one instance
            load(1, i % 10 == 0 ? 1 : 0, 0, 0, served);
            run(1);
        }
        assertEquals(1, status().desired());
        // then a client in a loop: its next request as soon as the last answered, 2,000 a second of 0.4 ms, one in
        // flight at a time: a step of 10x the minute's average, but one instance carries it all
        for (int i = 0; i < 30; i++) {
            served += 2_000;
            load(1, 1, 0, 0, served);
            run(1);
        }
        assertEquals(1, status().desired(), status().events().toString());
    }

    @Test
    void aSteadyNoisyLoadNeverReadsAStepOfTheOfferedLoad() {
        deploy(ScalingSpec.DEFAULT.withMinMax(0, 100));
        loop.setActive(true);
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        long served = 0;
        for (int i = 0; i < 600; i++) {
            // 50 requests/s of 100 ms, +/-30% a second, and the requests in flight sampled around their mean
            int rate = (int) Math.round(50 * (0.7 + 0.6 * random.nextDouble()));
            int inFlight = Math.max(0, (int) Math.round(rate * 0.1 + 2 * (random.nextDouble() - 0.5) * Math.sqrt(rate * 0.1)));
            served += rate;
            load(i == 0 ? 5 : status().desired(), inFlight, 0, 0, served);
            run(1);
        }
        assertTrue(status().events().stream().noneMatch(x -> x.reason().contains("offered load")),
                status().events().toString());
    }

    @Test
    void aFloodOfFailingRequestsDoesNotScaleOnItsRate() {
        deploy(ScalingSpec.DEFAULT.withMinMax(0, 100));
        loop.setActive(true);
        long served = quietMinute();
        // 2,000 requests/s that fail in a millisecond: the instances hold about 2 at once
        for (int i = 0; i < 30; i++) {
            served += 2_000;
            load(status().desired(), 2, 0, 0, served);
            run(1);
        }
        assertTrue(status().events().stream().noneMatch(x -> x.reason().contains("offered load")),
                status().events().toString());
        assertEquals(4, status().desired());
    }

    @Test
    void requestsThatHangAreOfferedAtMostTheHorizonAndCappedAtMax() {
        deploy(ScalingSpec.DEFAULT.withMinMax(0, 40));
        loop.setActive(true);
        long served = quietMinute();
        // 100/s that hang until a timeout: none is served in the first seconds, all wait on the instances
        int present = 0;
        for (int i = 0; i < 3; i++) {
            present += 100;
            load(status().desired(), Math.min(present, status().desired()), 0, present - Math.min(present, status().desired()), served);
            run(1);
        }
        assertTrue(status().desired() <= 40, status().events().toString());
        assertEquals(ScalingRule.MAX, status().events().getLast().rule());
    }

    static final class FakeClock extends Clock {
        private Instant now;

        FakeClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private void usage(int ready, int inFlight, long served, double cpu, double memoryMb, int measured) {
        load.put(ID, new InstanceLoad(ID, 1, ready, Math.min(ready, inFlight), inFlight, 0, 0, served, cpu, memoryMb, measured));
    }

    @Test
    void aFunctionWithACpuTargetScalesOnTheCoresItsInstancesUse() {
        deploy(ScalingSpec.DEFAULT.withMinMax(0, 20).withMetrics(List.of(new dev.nest.function.MetricTarget(
                dev.nest.function.MetricType.CPU, 0.5)), 0.7));
        loop.setActive(true);
        long served = 0;
        for (int i = 0; i < 10; i++) {
            served += 5;
            usage(2, 1, served, 1.8, 120, 2); // 1.8 cores over 2 instances
            run(1);
        }
        // ceil(1.8 / (0.5 x 0.7)) = 6
        assertEquals(6, status().desired(), status().reason());
        assertTrue(status().events().getFirst().reason().contains("cpu"), status().events().getFirst().reason());
        assertEquals(1.8, status().metrics().get("cpu.avg6s"));
        assertEquals(120.0, status().metrics().get("memory.avg60s"));
    }

    @Test
    void anInstanceNotMeasuredYetCountsAtTheAverageOfTheMeasuredOnes() {
        deploy(ScalingSpec.DEFAULT.withMinMax(0, 20).withMetrics(List.of(new dev.nest.function.MetricTarget(
                dev.nest.function.MetricType.MEMORY, 100)), 1.0));
        loop.setActive(true);
        usage(3, 3, 0, 0.3, 200, 2); // 200 MiB over 2 of 3 instances: 300 MiB for the function
        run(1);
        assertEquals(300.0, status().metrics().get("memory.avg6s"));
        assertEquals(3, status().desired(), status().reason());
    }

    @Test
    void aCpuTargetWithoutReadingsNeitherScalesToMaxNorToZero() {
        deploy(ScalingSpec.DEFAULT.withMinMax(0, 20).withMetrics(List.of(new dev.nest.function.MetricTarget(
                dev.nest.function.MetricType.CPU, 0.5)), 0.7).withScaleDown(Duration.ofSeconds(10),
                new dev.nest.function.ScaleDownStep(50, true)));
        loop.setActive(true);
        long served = 0;
        for (int i = 0; i < 120; i++) {
            served += 3;
            usage(3, 3, served, 0, 0, 0); // busy, but the driver reports no usage
            run(1);
        }
        assertEquals(3, status().desired(), status().reason());
        assertTrue(status().reason().startsWith("hold 3: no sample of cpu"), status().reason());
        assertFalse(status().metrics().containsKey("cpu.avg60s"));
        assertTrue(applied.stream().noneMatch(a -> a.equals("f=20") || a.equals("f=0")), applied.toString());
    }

    @Test
    void withBurstReleaseTheLoopKeepsTheSteadyWindowAndReleasesABurstEarly() {
        ScalerLoop burst = new ScalerLoop(catalog, () -> Map.copyOf(load), sink,
                Scaler.windowed(BurstRelease.after(Duration.ofSeconds(30))), clock);
        deploy(ScalingSpec.DEFAULT.withMinMax(0, 100));
        burst.setActive(true);
        long served = 0;
        for (int i = 0; i < 300; i++) { // five minutes at 2 in flight
            load(2, 2, 0, 0, served += 2);
            clock.advance(Duration.ofSeconds(1));
            burst.tick();
        }
        for (int i = 0; i < 10; i++) { // a burst of 20 for 10 s
            load(20, 20, 0, 0, served += 20);
            clock.advance(Duration.ofSeconds(1));
            burst.tick();
        }
        // a step of the arrivals (38 in the burst's first second: 20 served, 18 more in flight) at 1 s each
        assertEquals("f=50", applied.getLast());
        for (int i = 0; i < 100; i++) { // back to 2: the window's peak for 60 s, then 30 s low
            int ready = Integer.parseInt(applied.getLast().substring(2));
            load(ready, 2, 0, 0, served += 2);
            clock.advance(Duration.ofSeconds(1));
            burst.tick();
        }
        assertEquals("f=2", applied.getLast(), "released long before the 20-minute scale-down-delay: " + applied);
        assertEquals(ScalingRule.BURST_RELEASE, burst.status(ID).orElseThrow().events().getLast().rule());
        burst.close();
    }

    @Test
    void aDedicatedFunctionKeepsTheScaleDownDelayUnderBurstRelease() {
        ScalerLoop burst = new ScalerLoop(catalog, () -> Map.copyOf(load), sink,
                Scaler.windowed(BurstRelease.after(Duration.ofSeconds(30))), clock);
        FunctionSpec spec = new FunctionSpec(ID, "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(),
                ScalingSpec.DEFAULT.withMinMax(0, 100), QueueSpec.DEFAULT).withDeploy(dev.nest.function.DeployMode.DEDICATED);
        catalog.put(FunctionRecord.empty(ID, "api", T0).withNewVersion("sha256:" + "0".repeat(64), spec, "api", T0, true));
        burst.setActive(true);
        long served = 0;
        for (int i = 0; i < 300; i++) {
            load(2, 2, 0, 0, served += 2);
            clock.advance(Duration.ofSeconds(1));
            burst.tick();
        }
        for (int i = 0; i < 10; i++) {
            load(20, 20, 0, 0, served += 20);
            clock.advance(Duration.ofSeconds(1));
            burst.tick();
        }
        for (int i = 0; i < 100; i++) {
            load(50, 2, 0, 0, served += 2);
            clock.advance(Duration.ofSeconds(1));
            burst.tick();
        }
        // the burst's step asked for 50 (38 arrivals in its first second at 1 s each, with the arrival headroom)
        assertEquals("f=50", applied.getLast(), "its burst instances are pods: held for scale-down-delay " + applied);
        burst.close();
    }
}
