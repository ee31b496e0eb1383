package dev.nest.scaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.ScaleDownStep;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BurstReleaseTest {
    private static final Instant T0 = Instant.parse("2024-03-04T00:00:00Z");
    private static final BurstRelease THIRTY = BurstRelease.after(Duration.ofSeconds(30));

    static Stream<Arguments> keeps() {
        return Stream.of(
                // name, rule, current, highest, steady, per instance, demand, low for (s), kept
                Arguments.of("off: keeps everything", BurstRelease.OFF, 20, 2, 1.0, 1.0, 0, 3600, 20),
                Arguments.of("not low long enough yet", THIRTY, 20, 2, 1.0, 1.0, 0, 29, 20),
                Arguments.of("due: down to the steady need", THIRTY, 20, 2, 5.0, 1.0, 0, 30, 5),
                Arguments.of("due: the stable window's highest wins over a lower steady need", THIRTY, 20, 8, 5.0, 1.0, 0, 30, 8),
                Arguments.of("requests in flight are never released", THIRTY, 20, 2, 1.0, 1.0, 12, 30, 12),
                Arguments.of("steady need at 4 requests per instance rounds up", THIRTY, 20, 0, 9.0, 4.0, 0, 30, 3),
                Arguments.of("no steady need and no demand: all burst instances go", THIRTY, 20, 0, 0.0, 1.0, 0, 30, 0),
                Arguments.of("a steady need above the count keeps the count", THIRTY, 5, 2, 9.0, 1.0, 0, 30, 5),
                Arguments.of("an unknown steady need (infinite) keeps the count", THIRTY, 5, 0, Double.POSITIVE_INFINITY, 1.0, 0, 30, 5),
                Arguments.of("nothing to keep from nothing", THIRTY, 0, 0, 0.0, 1.0, 0, 30, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keeps")
    void keepsTheLargestOfTheNeeds(String name, BurstRelease rule, int current, int highest, double steady,
                                   double perInstance, int demand, long lowSeconds, int kept) {
        assertEquals(kept, rule.keep(current, highest, steady, perInstance, demand, Duration.ofSeconds(lowSeconds)));
    }

    @Test
    void refusesValuesOutsideItsRanges() {
        assertThrows(IllegalArgumentException.class, () -> BurstRelease.after(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> BurstRelease.after(Duration.ofMinutes(11)));
        assertThrows(IllegalArgumentException.class, () -> new BurstRelease(Duration.ofSeconds(5), Duration.ofSeconds(30), 95));
        assertThrows(IllegalArgumentException.class, () -> new BurstRelease(Duration.ofSeconds(5), Duration.ofMinutes(10), 40));
        assertThrows(IllegalArgumentException.class, () -> new BurstRelease(Duration.ofSeconds(5), Duration.ofMinutes(10), Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> THIRTY.keep(5, 0, 1, 0, 0, Duration.ofMinutes(1)));
    }

    @Test
    void theNearestRankPercentileOfSamples() {
        List<MetricSample> s = Stream.iterate(0, i -> i + 1).limit(100)
                .map(i -> new MetricSample(T0.plusSeconds(i), i + 1, 0, 0, 0)).toList();
        MetricSamples m = new MetricSamples(s, 1, 0, Optional.empty(), IdleHistogram.empty());
        assertEquals(95, m.quantile(dev.nest.function.MetricType.CONCURRENCY, T0, 95).getAsDouble());
        assertEquals(100, m.quantile(dev.nest.function.MetricType.CONCURRENCY, T0, 100).getAsDouble());
        assertEquals(50, m.quantile(dev.nest.function.MetricType.CONCURRENCY, T0, 50).getAsDouble());
        // only the samples at or after from: 91..100
        assertEquals(100, m.quantile(dev.nest.function.MetricType.CONCURRENCY, T0.plusSeconds(90), 95).getAsDouble());
        assertTrue(m.quantile(dev.nest.function.MetricType.CONCURRENCY, T0.plusSeconds(500), 95).isEmpty());
    }

    /** The count a burst of 20 in flight on 2 instances scales to at once: 20 + 2 x sqrt 20 (arrival headroom). */
    private static final int BURST = 29;

    private static ScalingConfig config() {
        return ScalingConfig.defaults(1).withMinMax(0, 1000);
    }

    @Test
    void aOneOffBurstIsReleasedAfterTheShortTimeNotTheDelay() {
        FakeFunction f = new FakeFunction(config(), T0, Scaler.windowed(THIRTY));
        f.run(Duration.ofMinutes(5), 2);
        f.run(Duration.ofSeconds(10), 20); // a burst of 10 s in 5 minutes: above the p95 of the last 10 minutes
        assertEquals(BURST, f.instances);
        f.run(Duration.ofSeconds(60 + 29), 2);
        // the arrival headroom above the peak went 30 s after it was asked for (above the stable window's need,
        // burst instances); the peak holds 60 s, then the lower count must hold 30 s
        assertEquals(20, f.instances, "the peak holds 60 s, then the lower count must hold 30 s");
        Decision d = f.run(Duration.ofSeconds(5), 2);
        assertEquals(2, f.instances, "down to the steady 2: " + d.reason());
        assertTrue(f.decisions.stream().anyMatch(x -> x.rule() == ScalingRule.BURST_RELEASE));

        FakeFunction standard = new FakeFunction(config(), T0);
        standard.run(Duration.ofMinutes(5), 2);
        standard.run(Duration.ofSeconds(10), 20);
        standard.run(Duration.ofSeconds(60 + 35), 2);
        assertEquals(BURST, standard.instances, "the standard scaler waits scale-down-delay (20 minutes)");
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource({"AUTO, true", "MERGED, true", "DEDICATED, false"})
    void appliesToFunctionsWhoseBurstInstancesAreMergedWorkers(dev.nest.function.DeployMode deploy, boolean applies) {
        assertEquals(applies, BurstRelease.appliesTo(deploy));
    }

    @Test
    void withoutBurstReleaseAScalerWaitsTheDelay() {
        Scaler s = Scaler.windowed(THIRTY).withoutBurstRelease();
        assertEquals(Duration.ZERO, s.history(), "no steady-need history without the release");
        FakeFunction f = new FakeFunction(config(), T0, s);
        f.run(Duration.ofMinutes(5), 2);
        f.run(Duration.ofSeconds(10), 20);
        f.run(Duration.ofSeconds(60 + 35), 2);
        assertEquals(BURST, f.instances, "scale-down-delay holds");
        assertTrue(Scaler.windowed() == Scaler.windowed().withoutBurstRelease(), "a scaler without one is itself");
    }

    @Test
    void theArrivalHeadroomAddsNoReversalsUnderNoisyPoissonLoad() {
        // 15 minutes of Poisson arrivals at 5 in flight +/-30% per second, 20 seeds: the scale-ups at once on the
        // noise's peaks are not steps (a third of the stable window's average), so they get no headroom that the
        // release would take back, with the burst release and without it
        for (Scaler without : List.of(new WindowedScaler(true, 0, true, THIRTY, 0), new WindowedScaler(true, 0, true, BurstRelease.OFF, 0))) {
            Scaler with = without.history().isZero() ? Scaler.windowed() : Scaler.windowed(THIRTY);
            int reversalsWith = 0;
            int reversalsWithout = 0;
            for (long seed = 1; seed <= 20; seed++) {
                reversalsWith += reversals(with, seed);
                reversalsWithout += reversals(without, seed);
            }
            assertTrue(reversalsWith <= reversalsWithout, reversalsWith + " reversals with the headroom, "
                    + reversalsWithout + " without (" + without.history() + " of steady-need history)");
        }
    }

    /** Direction reversals of the count after the first 5 minutes of noisy Poisson load. */
    private static int reversals(Scaler scaler, long seed) {
        FakeFunction f = new FakeFunction(config(), T0, scaler);
        java.util.Random r = new java.util.Random(seed);
        for (int s = 0; s < 900; s++) {
            double l = Math.exp(-5 * (0.7 + 0.6 * r.nextDouble()));
            double p = r.nextDouble();
            int k = 0;
            while (p > l) {
                p *= r.nextDouble();
                k++;
            }
            f.second(k);
        }
        int reversals = 0;
        int dir = 0;
        int prev = f.decisions.get(299).desired();
        for (Decision d : f.decisions.subList(300, f.decisions.size())) {
            int step = Integer.signum(d.desired() - prev);
            if (step != 0 && dir != 0 && step != dir) {
                reversals++;
            }
            dir = step != 0 ? step : dir;
            prev = d.desired();
        }
        return reversals;
    }

    @Test
    void aBurstThatRecursOftenIsSteadyAndStays() {
        // 20 in flight for 40 s of every 2 minutes: a third of the time, so the p95 is 20
        FakeFunction f = new FakeFunction(config(), T0, Scaler.windowed(THIRTY));
        for (int i = 0; i < 10; i++) {
            f.run(Duration.ofSeconds(40), 20);
            f.run(Duration.ofSeconds(80), 2);
        }
        Instant settled = T0.plus(Duration.ofMinutes(4));
        assertEquals(0, f.eventsAfter(settled), "no release and restart per burst: " + f.events);
        assertEquals(20, f.instances);
    }

    @Test
    void minInFlightAndTheLastInstanceAreHonoured() {
        FakeFunction f = new FakeFunction(config().withMinMax(4, 1000), T0, Scaler.windowed(THIRTY));
        f.run(Duration.ofMinutes(5), 1);
        f.run(Duration.ofSeconds(10), 20);
        f.run(Duration.ofSeconds(120), 1);
        assertEquals(4, f.instances, "min 4 holds");

        // idle after a burst: the burst goes; the keep-alive policy keeps the last instance warm
        FakeFunction idle = new FakeFunction(config(), T0, Scaler.windowed(THIRTY));
        idle.run(Duration.ofSeconds(10), 20);
        Decision d = idle.run(Duration.ofSeconds(120), 0);
        assertEquals(1, idle.instances, d.reason());
        assertEquals(ScalingRule.KEEP_ALIVE, d.rule());
    }

    @Test
    void theStepStillLimitsEachDecision() {
        ScalingConfig c = config().withScaleDown(ScalingConfig.DEFAULT_SCALE_DOWN_DELAY, new ScaleDownStep(4, false));
        FakeFunction f = new FakeFunction(c, T0, Scaler.windowed(THIRTY));
        f.run(Duration.ofMinutes(5), 2);
        f.run(Duration.ofSeconds(10), 20);
        f.run(Duration.ofSeconds(60 + 30), 2);
        int prev = 0;
        for (Decision d : f.decisions) {
            if (d.desired() < prev) {
                assertTrue(prev - d.desired() <= 4, d.reason());
            }
            prev = d.desired();
        }
        f.run(Duration.ofSeconds(10), 2);
        assertEquals(2, f.instances);
    }

    @Test
    void anInstanceBeyondTheSteadyNeedIsABurstInstance() {
        assertEquals(3, BurstRelease.steadyCount(2.5, 1));
        assertEquals(1, BurstRelease.steadyCount(2.5, 4));
        assertEquals(0, BurstRelease.steadyCount(0, 1));
        assertEquals(Integer.MAX_VALUE, BurstRelease.steadyCount(Double.NaN, 1));
        assertTrue(BurstRelease.beyondSteady(3, 2.5, 1));
        assertTrue(!BurstRelease.beyondSteady(2, 2.5, 1));
        assertTrue(BurstRelease.beyondSteady(0, 0, 1), "no steady need: even the first instance is a burst's");
        assertTrue(!BurstRelease.beyondSteady(1000, Double.POSITIVE_INFINITY, 1));
        assertThrows(IllegalArgumentException.class, () -> BurstRelease.steadyCount(1, 0));
    }
}
