package dev.nest.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.scaler.InstanceLoad;
import dev.nest.sidecar.FunctionLoad;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The leader's sums over its own agent and the nodes' reports, against a fake clock. */
class ClusterLoadTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private static final FunctionId G = FunctionId.of("team", "g");
    private static final long S = 1_000_000_000L;

    private final Map<FunctionId, FunctionLoad> local = new HashMap<>();
    private long now;
    private final ClusterLoad cluster = new ClusterLoad("n1", () -> Map.copyOf(local), () -> now);

    private static FunctionLoad fl(FunctionId id, int version, int ready, int inFlight, int queued, long served, double cpu,
                                   double memoryMb, int measured) {
        return new FunctionLoad(id, version, ready, Math.min(ready, inFlight), inFlight, 0, queued, served, cpu, memoryMb, measured);
    }

    private List<FunctionId> report(String node, String boot, FunctionLoad... loads) {
        return cluster.accept(new LoadReport(node, boot, List.of(loads).stream().map(LoadReport.Entry::of).toList(), List.of()));
    }

    @Test
    void sumsThisNodeAndEveryReportingNode() {
        local.put(F, fl(F, 2, 1, 1, 0, 10, 0.5, 100, 1));
        report("n2", "b2", fl(F, 2, 2, 3, 1, 40, 1.25, 300, 2), fl(G, 1, 1, 0, 0, 5, 0.1, 50, 1));
        report("n3", "b3", fl(F, 2, 3, 2, 0, 70, 0, 0, 0));
        Map<FunctionId, InstanceLoad> l = cluster.load();
        assertEquals(new InstanceLoad(F, 2, 6, 5, 6, 0, 1, 0, 1.75, 400, 3), l.get(F), "served starts at 0: nothing grew yet");
        assertEquals(new InstanceLoad(G, 1, 1, 0, 0, 0, 0, 0, 0.1, 50, 1), l.get(G));
    }

    @Test
    void servedGrowsByEachNodesGrowthAndNeverByAnewNodesHistory() {
        local.put(F, fl(F, 1, 1, 0, 0, 100, 0, 0, 0));
        report("n2", "b2", fl(F, 1, 1, 0, 0, 1000, 0, 0, 0));
        assertEquals(0, cluster.load().get(F).served());
        now += S;
        local.put(F, fl(F, 1, 1, 0, 0, 110, 0, 0, 0));
        report("n2", "b2", fl(F, 1, 1, 0, 0, 1020, 0, 0, 0));
        assertEquals(30, cluster.load().get(F).served());
        // a node joins with a long history: it adds nothing now, its growth later
        report("n3", "b3", fl(F, 1, 1, 0, 0, 50_000, 0, 0, 0));
        assertEquals(30, cluster.load().get(F).served());
        now += S;
        report("n3", "b3", fl(F, 1, 1, 0, 0, 50_005, 0, 0, 0));
        assertEquals(35, cluster.load().get(F).served());
        assertEquals(35, cluster.load().get(F).served(), "reading twice adds nothing");
    }

    @Test
    void aRestartedNodeOrACounterThatWentBackAddsNothingForThatReading() {
        report("n2", "b2", fl(F, 1, 1, 0, 0, 500, 0, 0, 0));
        cluster.load();
        now += S;
        report("n2", "b2", fl(F, 1, 1, 0, 0, 600, 0, 0, 0));
        assertEquals(100, cluster.load().get(F).served());
        now += S;
        report("n2", "restarted", fl(F, 1, 1, 0, 0, 700, 0, 0, 0)); // a new process that served 700 already? no spike
        assertEquals(100, cluster.load().get(F).served());
        now += S;
        report("n2", "restarted", fl(F, 1, 1, 0, 0, 710, 0, 0, 0));
        assertEquals(110, cluster.load().get(F).served());
        now += S;
        report("n2", "restarted", fl(F, 1, 1, 0, 0, 3, 0, 0, 0));
        assertEquals(110, cluster.load().get(F).served(), "never backwards");
    }

    @Test
    void activeNamesTheFunctionsWithAnInstanceReadyOrStartingOnANodeWhileItsReportIsFresh() {
        local.put(F, new FunctionLoad(F, 1, 0, 0, 0, 1, 1, 0)); // starting for the request that woke the scaler
        local.put(G, new FunctionLoad(G, 1, 0, 0, 0, 0, 0, 0)); // nothing here any more
        report("n2", "b2", fl(G, 1, 1, 0, 0, 5, 0, 0, 0));
        assertEquals(java.util.Set.of(F), cluster.active("n1"), "this node, read directly");
        assertEquals(java.util.Set.of(G), cluster.active("n2"));
        assertEquals(java.util.Set.of(), cluster.active("n3"), "a node not heard from");
        now += ClusterLoad.EXPIRY.toNanos() + 1;
        assertEquals(java.util.Set.of(), cluster.active("n2"), "an expired report");
        assertEquals(java.util.Set.of(F), cluster.active("n1"));
    }

    @Test
    void aNodeThatStopsReportingLeavesTheSumAfterTheExpiry() {
        local.put(F, fl(F, 1, 1, 1, 0, 0, 0, 0, 0));
        report("n2", "b2", fl(F, 1, 4, 4, 2, 100, 2, 400, 4));
        cluster.load();
        now += S;
        report("n2", "b2", fl(F, 1, 4, 4, 2, 140, 2, 400, 4));
        assertEquals(5, cluster.load().get(F).ready());
        assertEquals(40, cluster.load().get(F).served());
        now += ClusterLoad.EXPIRY.toNanos();
        assertEquals(5, cluster.load().get(F).ready(), "still within the expiry");
        now += 1;
        InstanceLoad after = cluster.load().get(F);
        assertEquals(new InstanceLoad(F, 1, 1, 1, 1, 0, 0, 40, 0, 0, 0), after, "n2 is gone; served stays where it was");
        assertEquals(List.of("n1"), List.copyOf(cluster.nodes().keySet()));
        // it comes back with the same process: its counter is a baseline again, not growth
        report("n2", "b2", fl(F, 1, 4, 0, 0, 900, 0, 0, 0));
        assertEquals(40, cluster.load().get(F).served());
    }

    @Test
    void nodesStillOnAnOlderVersionAreLeftOutOfTheNewVersionsSum() {
        local.put(F, fl(F, 3, 2, 2, 0, 0, 0, 0, 0));
        report("n2", "b2", fl(F, 2, 5, 5, 0, 0, 0, 0, 0));
        InstanceLoad l = cluster.load().get(F);
        assertEquals(3, l.version());
        assertEquals(2, l.ready());
    }

    @Test
    void itsOwnReportIsIgnoredAndStarvedFunctionsAreReturned() {
        local.put(F, fl(F, 1, 1, 0, 0, 0, 0, 0, 0));
        List<FunctionId> starved = cluster.accept(new LoadReport("n1", "x",
                List.of(LoadReport.Entry.of(fl(F, 1, 9, 9, 9, 0, 0, 0, 0))), List.of("team/g", "f")));
        assertEquals(List.of(G, F), starved);
        assertEquals(1, cluster.load().get(F).ready(), "this node's load is read directly, not from a report");
    }

    @Test
    void aReportWithBadNumbersOrNamesIsRefusedWithTheReason() {
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> cluster.accept(new LoadReport("n2", "b",
                List.of(new LoadReport.Entry("default/f", 1, -1, 0, 0, 0, 0, 0, 0, 0, 0)), List.of())));
        assertTrue(neg.getMessage().contains("negative"), neg.getMessage());
        assertThrows(IllegalArgumentException.class, () -> cluster.accept(new LoadReport("n2", "b",
                List.of(new LoadReport.Entry("Bad Name", 1, 0, 0, 0, 0, 0, 0, 0, 0, 0)), List.of())));
        assertThrows(IllegalArgumentException.class, () -> new LoadReport("", "b", List.of(), List.of()));
        assertTrue(cluster.load().isEmpty(), "nothing of a refused report counts");
    }
}
