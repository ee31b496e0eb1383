package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The sustained allocation rate of a merged Java instance, from its cumulative readings. */
class AllocationRateTest {
    private static final long S = 1_000_000_000L;
    private static final long MIB = 1 << 20;

    /** A reading: {seconds, MiB allocated so far}. */
    private static long[] at(long seconds, long mib) {
        return new long[] {seconds, mib};
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("readings")
    void rate(String why, List<long[]> readings, double mibPerSecond) {
        AllocationRate rate = new AllocationRate();
        for (long[] r : readings) {
            rate.observe(r[1] * MIB, r[0] * S);
        }
        assertEquals(mibPerSecond, rate.bytesPerSecond() < 0 ? -1 : rate.bytesPerSecond() / MIB, 1e-9, why);
    }

    static Stream<Arguments> readings() {
        return Stream.of(
                Arguments.of("no reading", List.of(), -1.0),
                Arguments.of("shorter than a window", List.of(at(0, 0), at(5, 500)), -1.0),
                Arguments.of("one window", List.of(at(0, 0), at(10, 100)), 10.0),
                Arguments.of("a burst averaged over the window", List.of(at(0, 0), at(1, 640), at(10, 640)), 64.0),
                Arguments.of("only the last window counts", List.of(at(0, 0), at(10, 1000), at(20, 1000), at(21, 1000)),
                        0.0),
                Arguments.of("a counter that went back starts afresh", List.of(at(0, 0), at(10, 1000), at(11, 5)),
                        -1.0),
                Arguments.of("and measures again a window later", List.of(at(0, 0), at(10, 1000), at(11, 5),
                        at(21, 105)), 10.0));
    }
}
