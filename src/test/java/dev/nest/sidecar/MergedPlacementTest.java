package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.config.NestConfig;
import dev.nest.function.DeployMode;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.runtime.RuntimeDefinition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The decision tables of merged placement: merged or dedicated, and which pod packs an instance. */
class MergedPlacementTest {
    /** A runtime of 4 functions of 128 MiB per merged pod: 512 MiB of room. */
    private static final RuntimeDefinition NODE = new RuntimeDefinition("nodejs", Path.of("."), List.of("node"),
            "index.handler", "", 128, 0, 4, List.of(), List.of("node", "merged-host.js"));
    private static final RuntimeDefinition NO_MERGED_HOST = new RuntimeDefinition("java", Path.of("."),
            List.of("java"), "Handler", "", 256, 0, 16, List.of());
    private static final NestConfig.Merged CONFIG = new NestConfig.Merged(30, false, 64);

    private static FunctionSpec spec(DeployMode mode, int memoryMb) {
        return new FunctionSpec(new FunctionId("default", "f"), "nodejs", "", memoryMb, Duration.ofSeconds(3), 1,
                Map.of(), ScalingSpec.DEFAULT, QueueSpec.DEFAULT).withDeploy(mode);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void mergedOrDedicated(String why, DeployMode mode, int memoryMb, RuntimeDefinition runtime, double perMinute,
                           NestConfig.Merged config, boolean merged) {
        assertEquals(merged, MergedPlacement.merged(spec(mode, memoryMb), runtime, perMinute, config), why);
    }

    static Stream<Arguments> modes() {
        return Stream.of(
                Arguments.of("dedicated stays dedicated", DeployMode.DEDICATED, 128, NODE, 0.0, CONFIG, false),
                Arguments.of("merged is merged whatever its traffic", DeployMode.MERGED, 128, NODE, 1e6, CONFIG, true),
                Arguments.of("auto under the threshold is merged", DeployMode.AUTO, 128, NODE, 29.9, CONFIG, true),
                Arguments.of("auto at the threshold is dedicated", DeployMode.AUTO, 128, NODE, 30.0, CONFIG, false),
                Arguments.of("merge-below 0 turns auto merging off", DeployMode.AUTO, 128, NODE, 0.0,
                        new NestConfig.Merged(0, false, 64), false),
                Arguments.of("a runtime without a merged host", DeployMode.MERGED, 128, NO_MERGED_HOST, 0.0, CONFIG, false),
                Arguments.of("a function larger than a pod's room", DeployMode.MERGED, 513, NODE, 0.0, CONFIG, false),
                Arguments.of("a function as large as a pod's room", DeployMode.MERGED, 512, NODE, 0.0, CONFIG, true));
    }

    private static MergedPlacement.PodRoom pod(String ns, int functions, int memoryMb) {
        return new MergedPlacement.PodRoom(ns, functions, memoryMb, true);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packing")
    void whichPodTakesAnInstance(String why, List<MergedPlacement.PodRoom> pods, String namespace, int memoryMb,
                                 boolean across, Optional<Integer> chosen) {
        assertEquals(chosen, MergedPlacement.choose(pods, namespace, memoryMb, NODE, across), why);
    }

    static Stream<Arguments> packing() {
        return Stream.of(
                Arguments.of("no pod: start one", List.of(), "a", 128, false, Optional.empty()),
                Arguments.of("a pod with room", List.of(pod("a", 1, 128)), "a", 128, false, Optional.of(0)),
                Arguments.of("the fullest pod that fits (best fit)",
                        List.of(pod("a", 1, 128), pod("a", 2, 256), pod("a", 1, 64)), "a", 128, false, Optional.of(1)),
                Arguments.of("ties go to the earliest pod", List.of(pod("a", 1, 128), pod("a", 1, 128)), "a", 128, false,
                        Optional.of(0)),
                Arguments.of("max-functions reached", List.of(pod("a", 4, 256)), "a", 16, false, Optional.empty()),
                Arguments.of("memory full", List.of(pod("a", 3, 448)), "a", 128, false, Optional.empty()),
                Arguments.of("memory exactly full after it", List.of(pod("a", 3, 384)), "a", 128, false, Optional.of(0)),
                Arguments.of("another namespace is never mixed in", List.of(pod("b", 1, 128)), "a", 128, false,
                        Optional.empty()),
                Arguments.of("unless merge-across-namespaces", List.of(pod("b", 1, 128)), "a", 128, true, Optional.of(0)),
                Arguments.of("a pod that stopped accepting", List.of(new MergedPlacement.PodRoom("a", 1, 128, false)),
                        "a", 128, false, Optional.empty()),
                Arguments.of("skips a full pod for one with room", List.of(pod("a", 4, 512), pod("a", 1, 128)), "a", 128,
                        false, Optional.of(1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("moves")
    void movesOfAutoFunctions(String why, DeployMode mode, boolean merged, double perMinute, NestConfig.Merged config,
                              Optional<Boolean> to) {
        assertEquals(to, MergedPlacement.move(merged, spec(mode, 128), NODE, perMinute, config), why);
    }

    static Stream<Arguments> moves() {
        return Stream.of(
                Arguments.of("merged and busy: to a pod of its own", DeployMode.AUTO, true, 30.0, CONFIG, Optional.of(false)),
                Arguments.of("merged and quiet: stays", DeployMode.AUTO, true, 29.0, CONFIG, Optional.empty()),
                Arguments.of("dedicated and quiet: back to a merged pod", DeployMode.AUTO, false, 14.9, CONFIG,
                        Optional.of(true)),
                Arguments.of("dedicated within the band: stays", DeployMode.AUTO, false, 15.0, CONFIG, Optional.empty()),
                Arguments.of("dedicated and busy: stays", DeployMode.AUTO, false, 100.0, CONFIG, Optional.empty()),
                Arguments.of("merged functions stay merged", DeployMode.MERGED, true, 1e6, CONFIG, Optional.empty()),
                Arguments.of("dedicated functions never move", DeployMode.DEDICATED, false, 0.0, CONFIG, Optional.empty()),
                Arguments.of("merge-below 0: no moves", DeployMode.AUTO, false, 0.0, new NestConfig.Merged(0, false, 64),
                        Optional.empty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("heldOutMoves")
    void movesOfFunctionsOverTheirAllocationBudget(String why, DeployMode mode, boolean merged, double perMinute,
                                                  boolean heldOut, Optional<Boolean> to) {
        assertEquals(to, MergedPlacement.move(merged, spec(mode, 128), NODE, perMinute, heldOut, CONFIG), why);
    }

    static Stream<Arguments> heldOutMoves() {
        return Stream.of(
                Arguments.of("auto, quiet, merged, over budget: to a pod of its own", DeployMode.AUTO, true, 0.0, true,
                        Optional.of(false)),
                Arguments.of("merged, over budget: to a pod of its own too", DeployMode.MERGED, true, 0.0, true,
                        Optional.of(false)),
                Arguments.of("auto, quiet, dedicated while held out: stays", DeployMode.AUTO, false, 0.0, true,
                        Optional.empty()),
                Arguments.of("merged, dedicated while held out: stays", DeployMode.MERGED, false, 0.0, true,
                        Optional.empty()),
                Arguments.of("merged, dedicated after the hold: back to a merged pod", DeployMode.MERGED, false, 1e6,
                        false, Optional.of(true)),
                Arguments.of("auto, quiet, dedicated after the hold: back by its traffic", DeployMode.AUTO, false, 0.0,
                        false, Optional.of(true)),
                Arguments.of("dedicated functions never move", DeployMode.DEDICATED, false, 0.0, true, Optional.empty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("heldOutStarts")
    void aFunctionHeldOutStartsDedicated(String why, DeployMode mode, boolean heldOut, boolean merged) {
        assertEquals(merged, MergedPlacement.merged(spec(mode, 128), NODE, 0.0, heldOut, CONFIG), why);
    }

    static Stream<Arguments> heldOutStarts() {
        return Stream.of(
                Arguments.of("auto, quiet, not held out: merged", DeployMode.AUTO, false, true),
                Arguments.of("auto, quiet, held out: dedicated", DeployMode.AUTO, true, false),
                Arguments.of("merged, held out: dedicated", DeployMode.MERGED, true, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("budgets")
    void theAllocationBudget(String why, double bytesPerSecond, int budgetMb, boolean over) {
        assertEquals(over, MergedPlacement.overAllocationBudget(bytesPerSecond,
                new NestConfig.Merged(30, false, 64, budgetMb)), why);
    }

    static Stream<Arguments> budgets() {
        double mib = 1 << 20;
        return Stream.of(
                Arguments.of("not measured yet", -1.0, 64, false),
                Arguments.of("under", 10 * mib, 64, false),
                Arguments.of("exactly at it", 64 * mib, 64, false),
                Arguments.of("over it", 64 * mib + 1, 64, true),
                Arguments.of("budget 0: none", 1e12, 0, false));
    }

    @org.junit.jupiter.api.Test
    void weighsRequestsInFlightWithMergeBelowInFlight() {
        NestConfig.Merged inFlight = new NestConfig.Merged(6, false, 64, 64, 2);
        var fewInFlight = new dev.nest.scheduler.Placement.MergeDemand(60, 1.5);
        var manyInFlight = new dev.nest.scheduler.Placement.MergeDemand(60, 2);
        assertEquals(true, MergedPlacement.merged(spec(DeployMode.AUTO, 128), NODE, fewInFlight, false, inFlight));
        assertEquals(false, MergedPlacement.merged(spec(DeployMode.AUTO, 128), NODE, manyInFlight, false, inFlight));
        assertEquals(false, MergedPlacement.merged(spec(DeployMode.AUTO, 128), NODE, fewInFlight, true, inFlight),
                "held out over its allocation budget");
        assertEquals(java.util.Optional.empty(), MergedPlacement.move(true, spec(DeployMode.AUTO, 128), NODE, fewInFlight,
                false, inFlight));
        assertEquals(java.util.Optional.of(false), MergedPlacement.move(true, spec(DeployMode.AUTO, 128), NODE,
                manyInFlight, false, inFlight));
        assertEquals(java.util.Optional.of(true), MergedPlacement.move(false, spec(DeployMode.AUTO, 128), NODE,
                new dev.nest.scheduler.Placement.MergeDemand(60, 0.9), false, inFlight), "under half of 2 in flight");
        assertEquals(java.util.Optional.of(false), MergedPlacement.move(true, spec(DeployMode.AUTO, 128), NODE,
                new dev.nest.scheduler.Placement.MergeDemand(60, 0.1), false, new NestConfig.Merged(6, false, 64)),
                "merge-below-in-flight 0: the rate alone");
    }

    @org.junit.jupiter.api.Test
    void recentTrafficAveragesTheReadingsOfTheLastMinute() {
        RecentTraffic t = new RecentTraffic();
        dev.nest.function.FunctionId id = spec(DeployMode.AUTO, 128).id();
        long s = 1_000_000_000L;
        assertEquals(-1, t.inFlight(id, 0), "no reading: not known");
        t.sampleInFlight(id, 0, 0);
        t.sampleInFlight(id, 4, 5 * s);
        t.sampleInFlight(id, 2, 30 * s);
        assertEquals(2.0, t.inFlight(id, 30 * s), 1e-9);
        assertEquals(2.0, t.inFlight(id, 75 * s), 1e-9, "the readings of 0 and 5 s aged out; 30 s is still in the minute");
        assertEquals(-1, t.inFlight(id, 100 * s), "all aged out");
        t.forget(id);
        assertEquals(-1, t.inFlight(id, 30 * s));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            busy auto beyond its steady count: a burst worker          | AUTO      | 128 | 600 | 3 | 2 | true  | false | 75 | BURST_WORKER
            busy auto within its steady count: its own pod             | AUTO      | 128 | 600 | 1 | 2 | true  | false | 75 | DEDICATED
            no merged room (pods full, node at max-pods): its own pod  | AUTO      | 128 | 600 | 3 | 2 | false | false | 75 | DEDICATED
            held out (allocation budget): its own pod                  | AUTO      | 128 | 600 | 3 | 2 | true  | true  | 75 | DEDICATED
            sidecar.burst-workers 0: its own pod                       | AUTO      | 128 | 600 | 3 | 2 | true  | false | 0  | DEDICATED
            too large for a merged pod: its own pod                    | AUTO      | 600 | 600 | 3 | 2 | true  | false | 75 | DEDICATED
            dedicated: never a burst worker                            | DEDICATED | 128 | 600 | 3 | 2 | true  | false | 75 | DEDICATED
            quiet auto: merged by its traffic                          | AUTO      | 128 | 3   | 3 | 2 | true  | false | 75 | MERGED
            """)
    void burstWorkers(String why, DeployMode mode, int memoryMb, double perMinute, int existing, int steady,
                      boolean room, boolean heldOut, double percentile, dev.nest.scheduler.Placement.StartPlace expected) {
        NestConfig.Merged config = new NestConfig.Merged(30, false, 64, 64, 0, percentile);
        assertEquals(expected, MergedPlacement.start(spec(mode, memoryMb), NODE,
                dev.nest.scheduler.Placement.MergeDemand.rate(perMinute), heldOut, config, existing, steady, room), why);
    }
}
