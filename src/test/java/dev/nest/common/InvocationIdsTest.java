package dev.nest.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InvocationIdsTest {
    @Test
    void idsCarryTheStartTimeAndAreUniqueAndOrderedWithinOneMillisecond() {
        long epochMillis = 1_767_322_245_000L;
        Set<String> seen = new HashSet<>();
        String previous = "";
        for (int i = 0; i < 1000; i++) {
            String id = InvocationIds.next(epochMillis);
            assertTrue(id.matches("[0-9a-f]{20}"), id);
            assertEquals(epochMillis, Long.parseUnsignedLong(id.substring(0, 16), 16) >>> 20);
            assertTrue(seen.add(id), "duplicate " + id);
            assertTrue(id.substring(0, 16).compareTo(previous) > 0 || previous.isEmpty(), id + " after " + previous);
            previous = id.substring(0, 16);
        }
    }

    @Test
    void aLaterStartSortsAfter() {
        String early = InvocationIds.next(1_000L);
        String late = InvocationIds.next(2_000L);
        assertTrue(late.compareTo(early) > 0);
    }
}
