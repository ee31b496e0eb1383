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
