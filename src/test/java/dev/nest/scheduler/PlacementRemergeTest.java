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
}
