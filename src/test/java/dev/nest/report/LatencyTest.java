package dev.nest.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LatencyTest {
    /** The percentiles of two nodes' merged histograms are those of one histogram of every value. */
    @ParameterizedTest(name = "node A {0} values around {1} ms, node B {2} around {3} ms")
    @CsvSource({"1000, 5, 1000, 500", "10, 1, 5000, 20", "3000, 0.4, 7, 30000", "1, 2, 1, 900", "500, 80, 500, 80"})
    void mergedPercentilesEqualThoseOfTheUnion(int countA, double msA, int countB, double msB) {
        Random random = new Random(countA * 31L + countB);
        Latency a = Latency.empty();
        Latency b = Latency.empty();
        Latency union = Latency.empty();
        for (int i = 0; i < countA; i++) {
            double v = msA * (0.5 + random.nextDouble());
            a.recordMillis(v);
            union.recordMillis(v);
        }
        for (int i = 0; i < countB; i++) {
            double v = msB * (0.5 + random.nextDouble());
            b.recordMillis(v);
            union.recordMillis(v);
        }
        Latency merged = Latency.decode(a.encode());
        merged.add(Latency.decode(b.encode()));
        assertEquals(countA + countB, merged.count());
        for (double p : new double[]{50, 95, 99, 99.9}) {
            assertEquals(union.percentileMillis(p), merged.percentileMillis(p), "p" + p);
        }
    }

    @Test
    void averagingPercentilesWouldBeWrongHere() {
        // 99 fast requests on one node, 1 slow one on another: the p99 of the union is the fast value,
        // the p100 the slow one; an average of the two nodes' p99s would be half the slow value
        Latency a = Latency.empty();
        for (int i = 0; i < 99; i++) {
            a.recordMillis(1);
        }
        Latency b = Latency.empty();
        b.recordMillis(1000);
        Latency merged = Latency.decode(a.encode());
        merged.add(b);
        assertTrue(merged.percentileMillis(99) < 1.02, "p99 " + merged.percentileMillis(99));
        assertTrue(merged.percentileMillis(100) > 990, "max " + merged.percentileMillis(100));
    }

    @Test
    void percentilesAreWithinOnePercent() {
        Latency l = Latency.empty();
        l.recordMillis(123.456);
        assertEquals(123.456, l.percentileMillis(50), 123.456 * 0.01);
    }

    @Test
    void extremesAreClampedNotRefused() {
        Latency l = Latency.empty();
        l.recordMillis(-5);
        l.recordMillis(10 * 3_600_000.0);
        assertEquals(2, l.count());
        assertEquals(0, Latency.empty().percentileMillis(99));
        assertTrue(l.percentileMillis(100) >= 3_600_000);
    }

    @Test
    void garbageIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Latency.decode(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9}));
        assertEquals(0, Latency.decode(new byte[0]).count());
    }
}
