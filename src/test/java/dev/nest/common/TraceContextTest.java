package dev.nest.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TraceContextTest {
    private static final String VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    @Test
    void validValuesAreRead() {
        assertEquals(Optional.of(new TraceContext("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "01")),
                TraceContext.parse(VALID));
        assertEquals("00", TraceContext.parse(VALID.replace("-01", "-00")).orElseThrow().flags());
        assertTrue(TraceContext.parse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future").isPresent(),
                "a later version's extra fields are dropped");
        assertTrue(TraceContext.parse(" " + VALID + " ").isPresent(), "surrounding whitespace (OWS) is allowed");
    }

    @Test
    void hostileValuesAreRefused() {
        for (String bad : List.of("", "00", VALID.toUpperCase(), VALID + "-", VALID + "x", VALID.substring(1),
                "00-00000000000000000000000000000000-b7ad6b7169203331-01",
                "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
                "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",
                "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
                "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nx-injected: 1",
                "00-+af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "0" + "0".repeat(600))) {
            assertEquals(Optional.empty(), TraceContext.parse(bad), bad);
        }
    }

    @Test
    void aValidTraceIsContinuedWithANewSpanAndItsStateKept() {
        SplittableRandom random = new SplittableRandom(7);
        List<String> headers = List.of("TraceParent", VALID, "tracestate", "vendor=1", "x", "y");
        TraceContext t = TraceContext.continueOrStart(headers, random);
        assertEquals("0af7651916cd43dd8448eb211c80319c", t.traceId());
        assertNotEquals("b7ad6b7169203331", t.parentId());
        assertEquals(List.of("tracestate", "vendor=1", "x", "y", "traceparent", t.header()),
                TraceContext.withTrace(headers, t));
    }

    @Test
    void aMissingMalformedOrDoubledTraceStartsANewOneAndDropsTheState() {
        SplittableRandom random = new SplittableRandom(7);
        for (List<String> headers : List.of(List.of("x", "y"),
                List.of("traceparent", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "tracestate", "v=1"),
                List.of("traceparent", VALID, "traceparent", VALID.replace("0af7", "1af7"), "tracestate", "v=1"))) {
            TraceContext t = TraceContext.continueOrStart(headers, random);
            assertTrue(TraceContext.parse(t.header()).isPresent(), t.header());
            assertNotEquals("0af7651916cd43dd8448eb211c80319c", t.traceId());
            List<String> out = TraceContext.withTrace(headers, t);
            assertEquals(List.of("traceparent", t.header()), out.subList(out.size() - 2, out.size()));
            assertTrue(out.stream().noneMatch(h -> h.equals("tracestate")), out.toString());
            assertEquals(1, out.stream().filter(h -> h.equals("traceparent")).count());
        }
        List<String> kept = List.of("traceparent", VALID);
        assertEquals(kept, TraceContext.ensured(kept, random));
        assertTrue(TraceContext.incoming(TraceContext.ensured(List.of("a", "b"), random)).isPresent());
    }

    @Test
    void setTraceChangesTheListInPlaceAsWithTraceWould() {
        SplittableRandom random = new SplittableRandom(11);
        TraceContext t = TraceContext.start(random);
        List<String> headers = List.of("a", "1", "TraceParent", VALID, "tracestate", "v=1", "b", "2",
                "traceparent", VALID, "c");
        for (boolean keepState : new boolean[] {true, false}) {
            java.util.ArrayList<String> inPlace = new java.util.ArrayList<>(headers);
            TraceContext.setTrace(inPlace, t, keepState);
            List<String> expected = keepState
                    ? List.of("a", "1", "tracestate", "v=1", "b", "2", "traceparent", t.header())
                    : List.of("a", "1", "b", "2", "traceparent", t.header());
            assertEquals(expected, inPlace, "keepState " + keepState);
        }
        java.util.ArrayList<String> none = new java.util.ArrayList<>(List.of("x", "y"));
        TraceContext.setTrace(none, t, false);
        assertEquals(TraceContext.withTrace(List.of("x", "y"), t), none);
    }

    /** Random longs in a fixed order, for exact ids. */
    private static java.util.random.RandomGenerator sequence(long... values) {
        int[] next = {0};
        return new java.util.random.RandomGenerator() {
            @Override
            public long nextLong() {
                return values[next[0]++ % values.length];
            }
        };
    }

    @Test
    void newIdsAreFixedLengthLowercaseHexWithLeadingZerosAndNeverAllZero() {
        TraceContext t = TraceContext.start(sequence(0, 0, 0, 0xabcL, -1L));
        // the all-zero trace id is drawn again; leading zeros are kept at full width
        assertEquals("0000000000000000" + "0000000000000abc", t.traceId());
        assertEquals("ffffffffffffffff", t.parentId());
        assertEquals(t, TraceContext.parse(t.header()).orElseThrow());
        TraceContext child = t.child(sequence(0, Long.MIN_VALUE));
        assertEquals("8000000000000000", child.parentId());
        assertEquals(t.traceId(), child.traceId());
    }
}
