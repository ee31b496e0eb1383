package dev.nest.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.auth.FakeClock;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.common.NestException;
import dev.nest.function.Alias;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.InMemoryFunctionRegistry;
import dev.nest.function.QueueSpec;
import dev.nest.function.Release;
import dev.nest.function.ScalingSpec;
import dev.nest.load.VersionTraffic;
import dev.nest.store.AuditEntry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReleaseControllerTest {
    private static final FunctionId ID = FunctionId.of("default", "hello");
    private final FakeClock clock = new FakeClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final InMemoryFunctionRegistry registry = new InMemoryFunctionRegistry();
    private final List<AuditEntry> audit = new ArrayList<>();
    private final AtomicBoolean leads = new AtomicBoolean(true);
    /** node key -> version -> {requests, errors}; every request takes 10 ms. */
    private final Map<String, Map<Integer, long[]>> counters = new TreeMap<>();
    private final Releases releases = new Releases(registry, audit::add, clock);
    private ReleaseController controller = controller();

    private ReleaseController controller() {
        return new ReleaseController(registry, this::traffic, audit::add, clock, leads::get);
    }

    private Map<String, List<VersionTraffic>> traffic() {
        Map<String, List<VersionTraffic>> out = new TreeMap<>();
        counters.forEach((node, versions) -> {
            List<VersionTraffic> list = new ArrayList<>();
            versions.forEach((v, c) -> {
                Long[] buckets = new Long[VersionTraffic.BUCKETS];
                Arrays.fill(buckets, 0L);
                buckets[VersionTraffic.bucket(10)] = c[0];
                list.add(new VersionTraffic(ID.toString(), v, c[0], c[1], Arrays.asList(buckets)));
            });
            out.put(node, list);
        });
        return out;
    }

    private void serve(String node, int version, long requests, long errors) {
        long[] c = counters.computeIfAbsent(node, k -> new HashMap<>()).computeIfAbsent(version, k -> new long[2]);
        c[0] += requests;
        c[1] += errors;
    }

    @BeforeEach
    void twoVersionsTheFirstLive() {
        FunctionSpec spec = new FunctionSpec(ID, "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(),
                ScalingSpec.DEFAULT, QueueSpec.DEFAULT);
        registry.update(ID, "api", r -> r.withNewVersion("sha256:" + "a".repeat(64), spec, "api", clock.instant(), true)
                .withNewVersion("sha256:" + "b".repeat(64), spec, "api", clock.instant(), false));
        serve("n1/local", 1, 5_000, 500); // history before the release: never part of a window
        serve("n2/boot", 1, 5_000, 500);
    }

    private static JsonNode body(String json) {
        return Json.tree(json.getBytes(), "test");
    }

    private FunctionRecord record() {
        return registry.get(ID).orElseThrow();
    }

    private Release release() {
        return record().release().orElseThrow();
    }

    private Map<Integer, Integer> live() {
        return record().alias(Alias.LIVE).orElseThrow().weights();
    }

    @Test
    void aHealthyCanaryGoesThroughEveryStepAndIsPromoted() {
        releases.start(ID, body("{\"to\": 2, \"steps\": [10, 50, 100], \"interval\": \"1m\", \"min-requests\": 100}"), "alice");
        assertEquals(Map.of(1, 90, 2, 10), live());
        controller.round(); // opens step 1's window
        for (int step = 0; step < 3; step++) {
            serve("n1/local", 1, 400, 0);
            serve("n2/boot", 1, 400, 0);
            serve("n1/local", 2, 60, 0);
            serve("n2/boot", 2, 60, 0);
            clock.advance(Duration.ofSeconds(30));
            controller.round();
            assertEquals(step, release().step(), "the window is still open");
            clock.advance(Duration.ofSeconds(31));
            controller.round();
            controller.round(); // opens the next window
        }
        assertEquals(Release.State.PROMOTED, release().state());
        assertEquals(Map.of(2, 100), live());
        assertEquals(2, record().live());
        assertEquals(List.of("release-start", "release-step", "release-step", "release-promoted"),
                audit.stream().map(AuditEntry::action).toList());
        assertTrue(release().reason().contains("promoted"), release().reason());
        assertEquals(List.of("started 1 10", "step 2 50", "step 3 100", "promoted 3 100"), history(),
                "the head keeps every step");
    }

    private List<String> history() {
        return release().history().stream().map(e -> e.event() + " " + (e.step() + 1) + " " + e.percent()).toList();
    }

    @Test
    void aFailingCanaryIsRolledBackAtOnceWithTheReason() {
        releases.start(ID, body("{\"to\": 2, \"steps\": [10, 100], \"interval\": \"1m\", \"min-requests\": 100}"), "alice");
        controller.round();
        serve("n1/local", 1, 900, 0);
        serve("n1/local", 2, 80, 16);
        clock.advance(Duration.ofSeconds(1));
        controller.round();
        assertEquals(Release.State.RUNNING, release().state(), "80 requests are too few to judge");
        serve("n2/boot", 2, 20, 4);
        clock.advance(Duration.ofSeconds(1));
        controller.round();
        assertEquals(Release.State.ROLLED_BACK, release().state());
        assertEquals(Map.of(1, 100), live());
        assertTrue(release().reason().contains("error rate 20.00% over 100 requests"), release().reason());
        Release.Check errors = release().checks().stream().filter(c -> c.name().equals("error-rate")).findFirst().orElseThrow();
        assertEquals(0.2, errors.canary(), 1e-9);
        assertEquals("release-rolled-back", audit.getLast().action());
    }

    @Test
    void aNewLeaderOpensTheStepsWindowAgainAndJudgesOnlyWhatItSawStart() {
        releases.start(ID, body("{\"to\": 2, \"steps\": [10, 100], \"interval\": \"1m\", \"min-requests\": 100}"), "alice");
        controller.round();
        serve("n1/local", 2, 50, 50); // failures the old leader saw too few of to judge
        controller = controller(); // another leader
        controller.round();
        serve("n1/local", 2, 100, 0);
        serve("n1/local", 1, 900, 0);
        clock.advance(Duration.ofSeconds(61));
        controller.round();
        assertEquals(1, release().step());
        assertEquals(Map.of(2, 100), live());
    }

    @Test
    void nothingMovesWhileThisNodeDoesNotLeadOrTheReleaseIsPaused() {
        releases.start(ID, body("{\"to\": 2, \"min-requests\": 10}"), "alice");
        leads.set(false);
        controller.round();
        serve("n1/local", 2, 100, 100);
        controller.round();
        assertEquals(Release.State.RUNNING, release().state());
        leads.set(true);
        releases.pause(ID, "bob");
        controller.round();
        serve("n1/local", 2, 100, 100);
        controller.round();
        assertEquals(Release.State.PAUSED, release().state());
        assertEquals(Map.of(1, 90, 2, 10), live(), "a paused release keeps its split");
        releases.resume(ID, "bob");
        controller.round();
        serve("n1/local", 2, 100, 100);
        controller.round();
        assertEquals(Release.State.ROLLED_BACK, release().state());
        assertEquals(List.of("started 1 10", "paused 1 10", "resumed 1 10", "rolled-back 1 0"), history());
        assertTrue(release().history().getLast().reason().contains("error rate"), release().history().getLast().reason());
        assertEquals(release().history(), Releases.view(record()).map(v -> v.get("history")).map(h -> release().history())
                .orElseThrow());
        assertEquals(4, ((List<?>) Releases.view(record()).orElseThrow().get("history")).size());
    }

    @Test
    void aFileEditDuringAReleaseSupersedesItAnEditBackRollsItBackAndNothingStartsTwice() {
        FunctionSpec spec = new FunctionSpec(ID, "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(),
                ScalingSpec.DEFAULT, QueueSpec.DEFAULT);
        String file = "file:/etc/nest/functions/hello.yaml";
        registry.update(ID, file, r -> r.withOrigin(file));
        Releases.Plan plan = Releases.plan(body("{\"steps\": [20, 100], \"min-requests\": 10}"), "release");
        assertTrue(releases.startFromFile(ID, 2, plan, file).isPresent());
        assertEquals(Map.of(1, 80, 2, 20), live());
        assertTrue(releases.startFromFile(ID, 2, plan, file).isEmpty(), "a file read again starts nothing");
        registry.update(ID, file, r -> r.withNewVersion("sha256:" + "c".repeat(64), spec, file, clock.instant(), false));
        assertTrue(releases.startFromFile(ID, 3, plan, file).isPresent());
        assertEquals(Map.of(1, 80, 3, 20), live(), "the new release goes from the stable version");
        assertEquals(List.of("release-start", "release-abort", "release-start"), audit.stream().map(AuditEntry::action).toList());
        assertTrue(audit.get(1).detail().contains("superseded by version 3"), audit.get(1).detail());
        assertTrue(releases.startFromFile(ID, 1, plan, file).isPresent(), "the file went back to the stable version");
        assertEquals(Release.State.ROLLED_BACK, release().state());
        assertEquals(Map.of(1, 100), live());
        assertTrue(release().reason().contains("returns to version 1"), release().reason());
        assertTrue(releases.startFromFile(ID, 1, plan, file).isEmpty());
        registry.update(ID, file, r -> r.withNewVersion("sha256:" + "d".repeat(64), spec, file, clock.instant(), false));
        assertTrue(releases.startFromFile(ID, 4, plan, file).isPresent());
        releases.abort(ID, "bob"); // an operation, allowed on a file-defined function
        assertEquals(Map.of(1, 100), live());
        NestException other = org.junit.jupiter.api.Assertions.assertThrows(NestException.class,
                () -> releases.startFromFile(ID, 3, plan, "file:/elsewhere.yaml"));
        assertEquals(409, other.status());
        NestException viaApi = org.junit.jupiter.api.Assertions.assertThrows(NestException.class,
                () -> releases.start(ID, body("{\"to\": 3}"), "alice"));
        assertEquals(409, viaApi.status(), "the file alone starts releases of its function");
    }

    @Test
    void aRollbackByHandEndsTheReleaseAndTheLeaderLeavesItAlone() {
        releases.start(ID, body("{\"to\": 2, \"min-requests\": 10}"), "alice");
        controller.round();
        registry.update(ID, "api", r -> r.rolledBack(Optional.of(1), clock.instant()));
        serve("n1/local", 2, 100, 0);
        clock.advance(Duration.ofMinutes(2));
        controller.round();
        assertEquals(Release.State.ROLLED_BACK, release().state());
        assertEquals(Map.of(1, 100), live());
        assertEquals(List.of("release-start"), audit.stream().map(AuditEntry::action).toList());
    }
}
