package dev.nest.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** What the pool makes of a host's answer to its warm-up, and when it stops asking. */
class WarmUpTest {
    @ParameterizedTest
    @CsvSource({
            // status (-1: no answer), outcome, keep the pod
            "200, WARMED, true",
            "404, NOT_DONE, true",   // a host without a warm-up
            "405, NOT_DONE, true",
            "501, NOT_DONE, true",
            "503, NOT_DONE, true",   // could not start it, loaded nothing
            "409, FAILED, false",    // the host has loaded something already: not a fresh pod
            "401, FAILED, false",    // not our secret
            "500, FAILED, false",    // failed half-way: may hold state of the warm-up
            "502, FAILED, false",
            "204, FAILED, false",
            "302, FAILED, false",
            "-1, FAILED, false",     // timeout or connection error
    })
    void anAnswerDecidesWhetherThePodIsHandedOut(int status, WarmUp.Outcome outcome, boolean keep) {
        WarmUp.Outcome got = WarmUp.outcome(status < 0 ? OptionalInt.empty() : OptionalInt.of(status));
        assertEquals(outcome, got);
        assertEquals(keep, WarmUp.keep(got));
    }

    @ParameterizedTest
    @CsvSource({"0, true", "1, true", "2, true", "3, false", "7, false"})
    void aRuntimeIsWarmedUntilItsWarmUpsFailThreeTimesInARow(int failures, boolean tried) {
        assertEquals(tried, WarmUp.shouldTry(failures));
    }

    @Test
    void aSuccessResetsTheCountAndNotDoneLeavesIt() {
        WarmUp w = new WarmUp();
        w.record("java", WarmUp.Outcome.FAILED);
        w.record("java", WarmUp.Outcome.FAILED);
        w.record("java", WarmUp.Outcome.NOT_DONE);
        assertEquals(2, w.failuresInRow("java"));
        assertTrue(w.shouldTry("java"));
        w.record("java", WarmUp.Outcome.WARMED);
        assertEquals(0, w.failuresInRow("java"));
        for (int i = 0; i < WarmUp.MAX_FAILURES_IN_ROW; i++) w.record("java", WarmUp.Outcome.FAILED);
        assertFalse(w.shouldTry("java"));
        assertTrue(w.shouldTry("nodejs"), "counted per runtime");
    }
}
