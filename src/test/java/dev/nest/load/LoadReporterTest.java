package dev.nest.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.Json;
import dev.nest.function.FunctionId;
import dev.nest.sidecar.FunctionLoad;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a node sends, to whom and when not; one report at a time, no thread. */
class LoadReporterTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private final List<LoadReport> sent = new ArrayList<>();
    private Optional<URI> leader = Optional.of(URI.create("http://127.0.0.1:7001"));
    private boolean down;
    private final LoadReporter reporter = new LoadReporter("n2",
            () -> Map.of(F, new FunctionLoad(F, 3, 2, 1, 1, 0, 4, 17, 0.5, 64, 2)), () -> leader, (to, json) -> {
                if (down) {
                    throw new IOException("connection refused");
                }
                assertEquals(URI.create("http://127.0.0.1:7001"), to);
                sent.add(Json.read(json, LoadReport.class));
            });

    @Test
    void sendsTheAgentsLoadWithTheStarvedFunctionsOnce() {
        reporter.starved(F);
        assertTrue(reporter.report());
        assertTrue(reporter.report());
        assertEquals(2, sent.size());
        LoadReport first = sent.getFirst();
        assertEquals("n2", first.node());
        assertEquals(List.of(new LoadReport.Entry("default/f", 3, 2, 1, 1, 0, 4, 17, 0.5, 64, 2)), first.functions());
        assertEquals(List.of("default/f"), first.starved());
        assertEquals(List.of(), sent.get(1).starved(), "a starved function is reported once");
        assertEquals(first.boot(), sent.get(1).boot());
        // what the leader makes of it: the same load
        ClusterLoad leaderSide = new ClusterLoad("n1", Map::of, () -> 0);
        assertEquals(List.of(F), leaderSide.accept(first));
        assertEquals(2, leaderSide.load().get(F).ready());
    }

    @Test
    void saysWhichMergedFunctionsAreParkedAndTheLeaderReadsThemPerNode() {
        FunctionId g = FunctionId.of("team", "g");
        LoadReporter withParked = new LoadReporter("n2", Map::of, () -> leader,
                (to, json) -> sent.add(Json.read(json, LoadReport.class)), List::of, () -> Map.of(F, 3, g, 1));
        assertTrue(withParked.report());
        assertEquals(Map.of("default/f", 3, "team/g", 1), sent.getFirst().parked());
        long[] now = {0};
        ClusterLoad leaderSide = new ClusterLoad("n1", Map::of, () -> now[0], List::of, () -> Map.of(F, 1));
        leaderSide.accept(sent.getFirst());
        assertEquals(Map.of(F, 3, g, 1), leaderSide.parked("n2"));
        assertEquals(Map.of(F, 1), leaderSide.parked("n1"), "its own agent, read directly");
        assertEquals(Map.of(), leaderSide.parked("n3"), "a node not heard from: none parked");
        now[0] += ClusterLoad.EXPIRY.toNanos() + 1;
        assertEquals(Map.of(), leaderSide.parked("n2"), "an expired report: every instance counts whole again");
        // a node that predates the field sends none: nothing parked
        LoadReport old = Json.read("{\"node\":\"n4\",\"boot\":\"b\",\"functions\":[],\"starved\":[]}".getBytes(),
                LoadReport.class);
        assertEquals(Map.of(), old.parked());
    }

    @Test
    void saysWhichInstancesAreBurstWorkersAndTheLeaderReadsThemPerNode() {
        LoadReporter reporter = new LoadReporter("n2", Map::of, () -> leader,
                (to, json) -> sent.add(Json.read(json, LoadReport.class)), List::of, () -> Map.of(F, 1),
                () -> Map.of(F, 2));
        assertTrue(reporter.report());
        assertEquals(Map.of("default/f", 2), sent.getFirst().burst());
        assertEquals(Map.of("default/f", 1), sent.getFirst().parked(), "parked and burst travel apart");
        long[] now = {0};
        ClusterLoad leaderSide = new ClusterLoad("n1", Map::of, () -> now[0], List::of, Map::of, () -> Map.of(F, 4));
        leaderSide.accept(sent.getFirst());
        assertEquals(Map.of(F, 2), leaderSide.burst("n2"));
        assertEquals(Map.of(F, 4), leaderSide.burst("n1"), "its own agent, read directly");
        assertEquals(Map.of(), leaderSide.burst("n3"), "a node not heard from: none");
        now[0] += ClusterLoad.EXPIRY.toNanos() + 1;
        assertEquals(Map.of(), leaderSide.burst("n2"), "an expired report: every instance counts as a pod again");
        LoadReport old = Json.read("{\"node\":\"n4\",\"boot\":\"b\",\"functions\":[],\"starved\":[]}".getBytes(),
                LoadReport.class);
        assertEquals(Map.of(), old.burst(), "a node that predates the field: no burst workers");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> leaderSide.accept(new LoadReport("n2", "b", List.of(), List.of(), List.of(), Map.of(),
                        Map.of("default/f", -2))));
        assertTrue(e.getMessage().contains("'burst'") && e.getMessage().contains("-2"), e.getMessage());
        assertThrows(() -> leaderSide.accept(new LoadReport("n2", "b", List.of(), List.of(), List.of(), Map.of(),
                Map.of("Bad Name", 1))));
        assertEquals(Map.of(), leaderSide.burst("n2"), "nothing of a refused report counts");
    }

    @Test
    void aNegativeParkedCountIsRefusedNamingTheFunction() {
        ClusterLoad leaderSide = new ClusterLoad("n1", Map::of, () -> 0);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> leaderSide.accept(new LoadReport("n2", "b", List.of(), List.of(), List.of(), Map.of("default/f", -1))));
        assertTrue(e.getMessage().contains("default/f") && e.getMessage().contains("-1"), e.getMessage());
        assertThrows(() -> leaderSide.accept(new LoadReport("n2", "b", List.of(), List.of(), List.of(), Map.of("Bad Name", 1))));
        assertEquals(Map.of(), leaderSide.parked("n2"), "nothing of a refused report counts");
    }

    private static void assertThrows(org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, e);
    }

    @Test
    void sendsNothingWhileThisNodeLeadsAndSurvivesALeaderThatIsDown() {
        leader = Optional.empty();
        assertFalse(reporter.report());
        assertEquals(List.of(), sent);
        leader = Optional.of(URI.create("http://127.0.0.1:7001"));
        down = true;
        assertFalse(reporter.report());
        down = false;
        assertTrue(reporter.report());
        assertEquals(1, sent.size());
    }
}
