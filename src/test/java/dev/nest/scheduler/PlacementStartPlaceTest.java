package dev.nest.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.DeployMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Where one more instance starts on a node: merged, a pod of its own, or a burst worker in a merged pod. */
class PlacementStartPlaceTest {
    private static final int UNKNOWN = Integer.MAX_VALUE;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            auto, quiet: merged by its traffic                 | AUTO      | true  | 3    | 6 | 0  | 0       | MERGED
            auto, busy, under its steady need: its own pod     | AUTO      | true  | 600  | 6 | 2  | 3       | DEDICATED
            auto, busy, at its steady need: a burst worker     | AUTO      | true  | 600  | 6 | 3  | 3       | BURST_WORKER
            auto, busy, beyond it: a burst worker              | AUTO      | true  | 600  | 6 | 9  | 3       | BURST_WORKER
            auto, busy, steady need 0: even the first          | AUTO      | true  | 600  | 6 | 0  | 0       | BURST_WORKER
            auto, steady need unknown or off: its own pod      | AUTO      | true  | 600  | 6 | 40 | UNKNOWN | DEDICATED
            auto, runtime without a merged host                | AUTO      | false | 600  | 6 | 9  | 3       | DEDICATED
            auto, merge-below 0 (auto merging off)             | AUTO      | true  | 600  | 0 | 9  | 3       | DEDICATED
            dedicated never gets a burst worker                | DEDICATED | true  | 600  | 6 | 9  | 3       | DEDICATED
            dedicated, quiet: its own pod                      | DEDICATED | true  | 0    | 6 | 0  | 0       | DEDICATED
            merged: always merged, never a burst worker        | MERGED    | true  | 6000 | 6 | 9  | 3       | MERGED
            """)
    void decides(String why, DeployMode deploy, boolean canMerge, double perMinute, int mergeBelow, int existing,
                 String steady, Placement.StartPlace expected) {
        int steadyCount = steady.equals("UNKNOWN") ? UNKNOWN : Integer.parseInt(steady);
        assertEquals(expected, Placement.startPlace(deploy, canMerge, Placement.MergeDemand.rate(perMinute), mergeBelow,
                0, existing, steadyCount), why);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            busy rate, few in flight: merged, not a burst worker   | 600 | 0.5 | 1 | 5 | 2 | MERGED
            busy rate and in flight, beyond steady: burst worker   | 600 | 3   | 1 | 5 | 2 | BURST_WORKER
            busy rate and in flight, within steady: its own pod    | 600 | 3   | 1 | 1 | 2 | DEDICATED
            """)
    void weighsRequestsInFlightFirst(String why, double perMinute, double inFlight, double inFlightBelow, int existing,
                                     int steadyCount, Placement.StartPlace expected) {
        assertEquals(expected, Placement.startPlace(DeployMode.AUTO, true, new Placement.MergeDemand(perMinute, inFlight),
                6, inFlightBelow, existing, steadyCount), why);
    }
}
