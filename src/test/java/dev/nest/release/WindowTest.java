package dev.nest.release;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.load.VersionTraffic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WindowTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # fast | at ms | slow | at ms | p99
            1000   | 10    | 0    | 0     | 10
            990    | 10    | 10   | 700   | 10
            989    | 10    | 11   | 700   | 800
            0      | 0     | 5    | 200000| 240000
            """)
    void p99IsTheBoundOfTheBucketHoldingIt(long fast, double fastMs, long slow, double slowMs, double p99) {
        Window a = Window.uniform(fast, 0, fastMs);
        Window b = Window.uniform(slow, 0, slowMs);
        assertEquals(p99, (fast == 0 ? b : a.plus(b)).p99Ms());
    }

    @Test
    void nodesAddUpAndAWindowIsTheGrowthBetweenTwoReadings() {
        Window node1 = Window.uniform(10, 1, 5);
        Window node2 = Window.uniform(30, 3, 500);
        Window sum = node1.plus(node2);
        assertEquals(40, sum.requests());
        assertEquals(0.1, sum.errorRate(), 1e-12);
        assertEquals(500, sum.p99Ms());
        assertEquals(node2, sum.minus(node1));
        assertEquals(Window.EMPTY, node1.minus(sum));
        assertEquals(0, Window.EMPTY.p99Ms());
    }

    @Test
    void bucketsCoverEveryLatency() {
        assertEquals(0, VersionTraffic.bucket(0));
        assertEquals(0, VersionTraffic.bucket(1));
        assertEquals(1, VersionTraffic.bucket(1.5));
        assertEquals(VersionTraffic.BUCKETS - 1, VersionTraffic.bucket(1e9));
    }
}
