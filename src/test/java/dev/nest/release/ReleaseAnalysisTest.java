package dev.nest.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.Alias;
import dev.nest.function.Release;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReleaseAnalysisTest {
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final Release.Settings SETTINGS = new Release.Settings(Duration.ofMinutes(1), 0.01,
            Duration.ofMillis(500), 1.25, 100);

    private static Release at(int step) {
        return new Release(1, 2, List.of(10, 50, 100), SETTINGS, Release.State.RUNNING, step, T0, T0, T0, "", List.of());
    }

    private static Optional<Alias> split(int stable, int canary) {
        TreeMap<Integer, Integer> w = new TreeMap<>();
        if (stable > 0) {
            w.put(1, stable);
        }
        if (canary > 0) {
            w.put(2, canary);
        }
        return Optional.of(new Alias(w, Optional.empty()));
    }

    private static Window w(long n, long errors, double ms) {
        return Window.uniform(n, errors, ms);
    }

    static Stream<Arguments> steps() {
        return Stream.of(
                // name, step, live alias, stable, canary, seconds open, verdict, reason contains
                Arguments.of("too few samples wait, however long", 0, split(90, 10), w(900, 0, 10), w(99, 50, 10), 3600,
                        "Wait", "99 of 100"),
                Arguments.of("no samples at all wait", 0, split(90, 10), w(0, 0, 0), w(0, 0, 0), 600, "Wait", "0 of 100"),
                Arguments.of("healthy but the window is open", 0, split(90, 10), w(900, 0, 10), w(100, 0, 10), 30,
                        "Wait", "healthy"),
                Arguments.of("healthy and the interval is over", 0, split(90, 10), w(900, 0, 10), w(100, 0, 10), 60,
                        "Pass", "step 1 of 3 (10%) passed"),
                Arguments.of("errors fail at once, before the interval", 0, split(90, 10), w(900, 0, 10), w(100, 20, 10), 5,
                        "Fail", "error rate 20.00%"),
                Arguments.of("errors within the stable rate plus the margin pass", 1, split(50, 50), w(1000, 50, 10),
                        w(1000, 59, 10), 60, "Pass", "passed"),
                Arguments.of("errors beyond the stable rate plus the margin fail", 1, split(50, 50), w(1000, 50, 10),
                        w(1000, 61, 10), 60, "Fail", "above the limit 6.00%"),
                Arguments.of("a stable version with too few requests does not count", 0, split(90, 10), w(99, 99, 10),
                        w(100, 2, 10), 60, "Fail", "stable not counted"),
                Arguments.of("a slow canary fails", 0, split(90, 10), w(900, 0, 10), w(100, 0, 700), 60, "Fail", "p99 800 ms"),
                Arguments.of("as slow as a slow stable version passes", 0, split(90, 10), w(900, 0, 1000),
                        w(100, 0, 1000), 60, "Pass", "passed"),
                Arguments.of("much slower than a slow stable version fails", 0, split(90, 10), w(900, 0, 1000),
                        w(100, 0, 2000), 60, "Fail", "p99 2000 ms"),
                Arguments.of("a step of 100: no stable requests, judged alone", 2, split(0, 100), w(0, 0, 0),
                        w(200, 1, 10), 60, "Pass", "step 3 of 3 (100%) passed"),
                Arguments.of("a step of 100 with failures", 2, split(0, 100), w(0, 0, 0), w(200, 10, 10), 60, "Fail",
                        "error rate 5.00%"),
                Arguments.of("the alias removed mid-release", 0, Optional.<Alias>empty(), w(900, 0, 10), w(100, 0, 10), 60,
                        "Abort", "is gone"),
                Arguments.of("the alias changed mid-release", 1, split(90, 10), w(900, 0, 10), w(100, 0, 10), 60, "Abort",
                        "changed outside the release"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void judgesAStep(String name, int step, Optional<Alias> live, Window stable, Window canary, int secondsOpen,
                     String verdict, String reason) {
        ReleaseAnalysis.Verdict v = ReleaseAnalysis.judge(at(step), live, stable, canary, T0, T0.plusSeconds(secondsOpen));
        assertEquals(verdict, v.getClass().getSimpleName(), v.reason());
        assertTrue(v.reason().contains(reason), v.reason());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void recordsEachChecksFiguresOnceThereAreEnoughRequests(String name, int step, Optional<Alias> live, Window stable,
                                                           Window canary, int secondsOpen, String verdict, String reason) {
        ReleaseAnalysis.Verdict v = ReleaseAnalysis.judge(at(step), live, stable, canary, T0, T0.plusSeconds(secondsOpen));
        if (v instanceof ReleaseAnalysis.Verdict.Abort) {
            return;
        }
        Map<String, Release.Check> checks = new TreeMap<>();
        v.checks().forEach(c -> checks.put(c.name(), c));
        assertEquals(canary.requests(), (long) checks.get("requests").canary());
        if (canary.requests() >= SETTINGS.minRequests()) {
            assertEquals(canary.errorRate(), checks.get("error-rate").canary(), 1e-9);
            assertEquals(canary.p99Ms(), checks.get("p99").canary(), 1e-9);
            assertEquals(v instanceof ReleaseAnalysis.Verdict.Fail,
                    v.checks().stream().anyMatch(c -> !c.passed()), v.reason());
        } else {
            assertEquals(1, v.checks().size());
        }
    }
}
