package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** When a sampled value is written: on change only, at most once per interval, the latest value of a burst. */
class CoalescerTest {
    private static final long MS = 1_000_000;

    @Test
    void theFirstValueIsWrittenAtOnceAndAnUnchangedOneNever() {
        Coalescer<String> c = new Coalescer<>(Duration.ofMillis(200));
        assertTrue(c.due("a", 0));
        assertFalse(c.due("a", 1_000 * MS), "unchanged, however long after");
    }

    @Test
    void aBurstOfChangesIsOneWritePerIntervalCarryingTheLatestValue() {
        Coalescer<Integer> c = new Coalescer<>(Duration.ofMillis(200));
        assertTrue(c.due(1, 0));
        int writes = 0;
        Integer last = null;
        // a change every 10 ms for one second: 100 changes
        for (int t = 10; t <= 1_000; t += 10) {
            int value = 1 + t / 10;
            if (c.due(value, t * MS)) {
                writes++;
                last = value;
            }
        }
        assertTrue(writes <= 5, "at most one write per 200 ms, not " + writes);
        assertTrue(writes >= 4, "changes keep being written, not " + writes);
        assertFalse(c.due(last, 2_000 * MS), "the last write carried the value of its sample");
        assertTrue(c.due(1_000, 2_000 * MS), "a later change is written once the interval passed");
    }

    @Test
    void aChangeWithinTheIntervalWaitsForTheNextSampleAfterIt() {
        Coalescer<String> c = new Coalescer<>(Duration.ofMillis(200));
        assertTrue(c.due("a", 0));
        assertFalse(c.due("b", 100 * MS));
        assertFalse(c.due("c", 199 * MS));
        assertTrue(c.due("c", 200 * MS), "the latest value, as soon as the interval passed");
        assertFalse(c.due("c", 300 * MS));
    }

    @Test
    void aChangeBackToTheWrittenValueNeedsNoWrite() {
        Coalescer<Set<String>> c = new Coalescer<>(Duration.ofSeconds(1));
        assertTrue(c.due(Set.of("x"), 0));
        assertFalse(c.due(Set.of("x", "y"), 100 * MS));
        assertFalse(c.due(Set.of("x"), 1_500 * MS), "what was written is current again");
    }

    @Test
    void aFailedWriteIsRetriedButNotFasterThanTheInterval() {
        Coalescer<String> c = new Coalescer<>(Duration.ofMillis(200));
        assertTrue(c.due("a", 0));
        c.failed();
        assertFalse(c.due("a", 100 * MS));
        assertTrue(c.due("a", 200 * MS), "the same value again, since it never arrived");
        assertFalse(c.due("a", 400 * MS));
    }

    @Test
    void aNegativeIntervalIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Coalescer<String>(Duration.ofMillis(-1)));
    }
}
