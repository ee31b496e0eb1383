package dev.nest.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.DeployMode;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** When a placed instance changes between a merged pod and a pod of its own: the node agent's band. */
class PlacementRemergeTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            auto merged, quiet: stays                       | true  | AUTO      | true  | 5.9 | 6 | stay
            auto merged at the threshold: to its own pod    | true  | AUTO      | true  | 6   | 6 | dedicated
            auto dedicated inside the band: stays           | false | AUTO      | true  | 3   | 6 | stay
            auto dedicated under half: into a merged pod    | false | AUTO      | true  | 2.9 | 6 | merged
            auto dedicated, busy: stays                     | false | AUTO      | true  | 60  | 6 | stay
            auto merged, busy: to its own pod               | true  | AUTO      | true  | 60  | 6 | dedicated
            merge-below 0 never moves                       | false | AUTO      | true  | 0   | 0 | stay
            merge-below 0 leaves a merged one               | true  | AUTO      | true  | 0   | 0 | stay
            deploy dedicated never moves                    | false | DEDICATED | true  | 0   | 6 | stay
            runtime without a merged host never moves       | false | AUTO      | false | 0   | 6 | stay
            deploy merged, outside: into a merged pod       | false | MERGED    | true  | 600 | 6 | merged
            deploy merged, inside and busy: stays           | true  | MERGED    | true  | 600 | 6 | stay
            """)
    void decides(String why, boolean merged, DeployMode deploy, boolean canMerge, double perMinute, int mergeBelow,
                 String expected) {
        Optional<Boolean> move = Placement.remerge(merged, deploy, canMerge, perMinute, mergeBelow);
        assertEquals(expected, move.map(m -> m ? "merged" : "dedicated").orElse("stay"), why);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            in-flight off: the rate alone moves it out          | true  | AUTO   | 60  | 0.1  | 6 | 0   | dedicated
            busy rate, few in flight: stays merged              | true  | AUTO   | 60  | 0.5  | 6 | 1   | stay
            busy rate, in flight at the bound: out              | true  | AUTO   | 60  | 1    | 6 | 1   | dedicated
            many in flight, quiet rate: stays merged            | true  | AUTO   | 5   | 9    | 6 | 1   | stay
            in flight not known (leader): the rate decides      | true  | AUTO   | 60  | -1   | 6 | 1   | dedicated
            dedicated, in flight under half: back               | false | AUTO   | 60  | 0.49 | 6 | 1   | merged
            dedicated, inside both bands: stays                 | false | AUTO   | 60  | 0.5  | 6 | 1   | stay
            dedicated, rate under half: back                    | false | AUTO   | 2.9 | 5    | 6 | 1   | merged
            dedicated, in flight not known, busy rate: stays    | false | AUTO   | 60  | -1   | 6 | 1   | stay
            merge-below 0: never moves                          | true  | AUTO   | 60  | 9    | 0 | 1   | stay
            deploy merged outside: in                           | false | MERGED | 600 | 90   | 6 | 1   | merged
            """)
    void weighsRequestsInFlight(String why, boolean merged, DeployMode deploy, double perMinute, double inFlight,
                                int mergeBelow, double inFlightBelow, String expected) {
        Optional<Boolean> move = Placement.remerge(merged, deploy, true, new Placement.MergeDemand(perMinute, inFlight),
                mergeBelow, inFlightBelow);
        assertEquals(expected, move.map(m -> m ? "merged" : "dedicated").orElse("stay"), why);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            quiet: merged                                 | AUTO      | true  | 5   | 9   | 6 | 1 | true
            busy rate, few in flight: merged              | AUTO      | true  | 60  | 0.9 | 6 | 1 | true
            busy rate and in flight: its own pods         | AUTO      | true  | 60  | 1   | 6 | 1 | false
            in-flight off, busy rate: its own pods        | AUTO      | true  | 60  | 0   | 6 | 0 | false
            merge-below 0: auto is dedicated              | AUTO      | true  | 0   | 0   | 0 | 1 | false
            deploy dedicated                              | DEDICATED | true  | 0   | 0   | 6 | 1 | false
            runtime without a merged host                 | MERGED    | false | 0   | 0   | 6 | 1 | false
            deploy merged, busy                           | MERGED    | true  | 600 | 90  | 6 | 1 | true
            """)
    void placesAFirstInstanceByRateAndInFlight(String why, DeployMode deploy, boolean canMerge, double perMinute,
                                              double inFlight, int mergeBelow, double inFlightBelow, boolean expected) {
        assertEquals(expected, Placement.mergeable(deploy, canMerge, new Placement.MergeDemand(perMinute, inFlight),
                mergeBelow, inFlightBelow), why);
    }
}
