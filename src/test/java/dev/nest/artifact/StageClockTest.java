package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** A stage's time is the union of its chunks' intervals: overlaps count once, gaps not at all. */
class StageClockTest {
    static Stream<Arguments> unions() {
        return Stream.of(
                Arguments.of("nothing", List.of(), 0L),
                Arguments.of("one interval", List.of(new long[] {10, 25}), 15L),
                Arguments.of("disjoint, gap not counted", List.of(new long[] {0, 10}, new long[] {20, 30}), 20L),
                Arguments.of("overlapping", List.of(new long[] {0, 10}, new long[] {5, 15}), 15L),
                Arguments.of("nested", List.of(new long[] {0, 100}, new long[] {10, 20}, new long[] {30, 40}), 100L),
                Arguments.of("touching", List.of(new long[] {0, 10}, new long[] {10, 20}), 20L),
                Arguments.of("out of order", List.of(new long[] {50, 60}, new long[] {0, 10}, new long[] {5, 12}), 22L),
                Arguments.of("empty and reversed ignored", List.of(new long[] {5, 5}, new long[] {9, 3}, new long[] {0, 1}), 1L),
                Arguments.of("chain of overlaps", List.of(new long[] {0, 4}, new long[] {3, 8}, new long[] {7, 12},
                        new long[] {20, 21}), 13L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unions")
    void unionCountsCoveredTimeOnce(String name, List<long[]> intervals, long expected) {
        assertEquals(expected, StageClock.union(intervals));
    }

    @Test
    void stagesAreUnionsAndTheTotalIsWallTime() {
        AtomicLong now = new AtomicLong(1_000_000);
        StageClock clock = new StageClock(now::get);
        // two chunks downloading at once (0-4 ms and 1-5 ms), decompressed one after the other with a gap,
        // unpacked while the next decompresses
        clock.record(StageClock.Stage.FETCH, 1_000_000, 5_000_000);
        clock.record(StageClock.Stage.FETCH, 2_000_000, 6_000_000);
        clock.record(StageClock.Stage.DECOMPRESS, 6_000_000, 7_000_000);
        clock.record(StageClock.Stage.DECOMPRESS, 8_000_000, 9_000_000);
        clock.record(StageClock.Stage.UNPACK, 7_000_000, 10_000_000);
        clock.record(StageClock.Stage.UNPACK, 9_000_000, 11_000_000);
        now.set(11_000_000);
        FetchStages t = clock.times();
        assertEquals(10.0, t.totalMs(), 1e-9);
        assertEquals(5.0, t.fetchMs(), 1e-9);
        assertEquals(2.0, t.decompressMs(), 1e-9);
        assertEquals(4.0, t.unpackMs(), 1e-9);
        assertEquals(List.of("fetch", "decompress", "unpack"), new ArrayList<>(t.phases().keySet()));
    }

    @Test
    void recordsFromManyThreadsAreAllKept() throws InterruptedException {
        StageClock clock = new StageClock(() -> 0);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            long base = i * 1_000_000L;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int k = 0; k < 1000; k++) {
                    clock.record(StageClock.Stage.UNPACK, base + k * 1000L, base + k * 1000L + 500);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(8 * 1000 * 500 / 1e6, clock.times().unpackMs(), 1e-9);
    }
}
