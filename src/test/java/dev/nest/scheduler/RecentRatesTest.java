package dev.nest.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nest.function.DeployMode;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The leader's requests per function over the last minute, and the band {@code deploy: auto} is decided with. */
class RecentRatesTest {
    private static final long S = 1_000_000_000L;
    private static final FunctionId F = FunctionId.of("default", "f");

    /** "t:served t:served ..." in seconds. */
    private static List<RecentRates.Reading> readings(String text) {
        List<RecentRates.Reading> out = new ArrayList<>();
        for (String r : text.strip().split("\\s+")) {
            String[] p = r.split(":");
            out.add(new RecentRates.Reading(Long.parseLong(p[0]) * S, Long.parseLong(p[1])));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            one reading counts nothing                       | 0:5                      | 10  | 0
            growth between readings                          | 0:5 1:7 2:10             | 2   | 5
            growth of readings inside the minute             | 0:0 30:10 70:25          | 70  | 25
            a reading exactly a minute ago is the base       | 0:0 10:4 60:6            | 70  | 2
            a counter that went back counts from zero        | 0:100 1:104 2:3 3:5      | 3   | 9
            readings after now are ignored                   | 0:0 1:2 5:50             | 1   | 2
            nothing for a minute counts nothing              | 0:0 1:10                 | 62  | 0
            """)
    void countsTheLastMinute(String why, String text, long nowSeconds, long expected) {
        assertEquals(expected, RecentRates.requests(readings(text), nowSeconds * S, RecentRates.WINDOW), why);
    }

    @Test
    void recordsReadingsAndForgetsOldOnes() {
        RecentRates rates = new RecentRates();
        rates.record(Map.of(F, 0L), 0);
        rates.record(Map.of(F, 10L), 30 * S);
        rates.record(Map.of(F, 12L), 50 * S);
        assertEquals(12, rates.perMinute(F, 50 * S));
        rates.record(Map.of(F, 13L), 100 * S);
        assertEquals(3, rates.perMinute(F, 100 * S), "the growth since the reading at 50 s (the one before 40 s is gone)");
        rates.record(Map.of(), 200 * S);
        assertEquals(0, rates.perMinute(F, 200 * S), "a function not read for a minute is forgotten");
        assertEquals(0, rates.perMinute(FunctionId.of("default", "never"), 0));
        assertThrows(IllegalArgumentException.class, () -> rates.record(Map.of(F, -1L), 201 * S));
    }

    private static FunctionVersion version(DeployMode deploy, String runtime) {
        FunctionSpec spec = new FunctionSpec(F, runtime, "", 128, Duration.ofSeconds(30), 1, Map.of(), ScalingSpec.DEFAULT,
                QueueSpec.DEFAULT).withDeploy(deploy);
        return new FunctionVersion(1, "sha256:" + "a".repeat(64), spec, Instant.EPOCH, "api");
    }

    /** Each step: the rate the scheduler reads, and whether the next instance counts as merged. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            quiet stays merged                          | AUTO      | nodejs | 0 1 5.9 0          | true true true true
            out at merge-below, back under half         | AUTO      | nodejs | 0 6 4 3 2.9 5      | true false false false true true
            a busy start is dedicated until under half  | AUTO      | nodejs | 10 5 3 2           | false false false true
            deploy dedicated is never merged            | DEDICATED | nodejs | 0 0                | false false
            deploy merged is always merged              | MERGED    | nodejs | 600 0              | true true
            a runtime without a merged host             | AUTO      | python | 0 0                | false false
            """)
    void decidesWithTheNodeAgentsBand(String why, DeployMode deploy, String runtime, String rates, String expected) {
        double[] rate = {0};
        Scheduler.Merging merging = Scheduler.Merging.byTrafficWithBand(6, id -> rate[0],
                r -> r.equals("nodejs") ? Optional.of(new MergedShape(16, 2048, false)) : Optional.empty());
        String[] in = rates.split(" ");
        StringBuilder got = new StringBuilder();
        for (String r : in) {
            rate[0] = Double.parseDouble(r);
            got.append(got.isEmpty() ? "" : " ").append(merging.merged(version(deploy, runtime)));
        }
        assertEquals(expected, got.toString(), why);
    }
}
