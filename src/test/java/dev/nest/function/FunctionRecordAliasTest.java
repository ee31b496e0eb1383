package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.NestException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class FunctionRecordAliasTest {
    private static final FunctionId ID = FunctionId.of("default", "hello");
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final Release.Settings SETTINGS = new Release.Settings(Duration.ofMinutes(1), 0.01,
            Duration.ofMillis(500), 1.25, 100);

    private static FunctionRecord versions(int n) {
        FunctionRecord r = FunctionRecord.empty(ID, "api", T0);
        FunctionSpec spec = new FunctionSpec(ID, "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(),
                ScalingSpec.DEFAULT, QueueSpec.DEFAULT);
        for (int i = 1; i <= n; i++) {
            r = r.withNewVersion("sha256:" + String.format("%064x", i), spec, "api", T0, i == 1);
        }
        return r;
    }

    private static Alias split(int a, int wa, int b, int wb) {
        return new Alias(new TreeMap<>(Map.of(a, wa, b, wb)), Optional.empty());
    }

    @Test
    void liveIsAnAliasFromTheFirstDeployAndFollowsDeploysAndRollbacks() {
        FunctionRecord r = versions(3);
        assertEquals(Alias.single(1), r.alias(Alias.LIVE).orElseThrow());
        FunctionRecord deployed = r.withNewVersion("sha256:" + "e".repeat(64), r.liveVersion().orElseThrow().spec(), "api", T0, true);
        assertEquals(Alias.single(4), deployed.alias(Alias.LIVE).orElseThrow());
        assertEquals(Alias.single(1), deployed.rolledBack(Optional.empty(), T0).alias(Alias.LIVE).orElseThrow());
        assertFalse(FunctionRecord.empty(ID, "api", T0).alias(Alias.LIVE).isPresent());
    }

    @Test
    void aRecordStoredWithoutAliasesHasLiveOnly() {
        FunctionRecord r = versions(2);
        FunctionRecord old = new FunctionRecord(ID, 2, List.of(1), r.versions(), "api", T0, T0);
        assertEquals(Map.of(Alias.LIVE, Alias.single(2)), old.aliases());
    }

    @Test
    void splittingLiveMovesLiveToTheLargestShareAndKeepsItOnATie() {
        FunctionRecord r = versions(2);
        assertEquals(1, r.withAlias(Alias.LIVE, split(1, 90, 2, 10), T0).live());
        assertEquals(1, r.withAlias(Alias.LIVE, split(1, 50, 2, 50), T0).live());
        FunctionRecord moved = r.withAlias(Alias.LIVE, split(1, 10, 2, 90), T0);
        assertEquals(2, moved.live());
        assertEquals(List.of(1), moved.liveHistory());
        assertEquals(Set.of(1, 2), moved.routedVersions());
    }

    @Test
    void rollbackIsOneWriteThatSendsAllOfLiveBack() {
        FunctionRecord r = versions(2).withAlias(Alias.LIVE, split(1, 10, 2, 90), T0);
        FunctionRecord back = r.rolledBack(Optional.empty(), T0);
        assertEquals(1, back.live());
        assertEquals(Alias.single(1), back.alias(Alias.LIVE).orElseThrow());
    }

    @Test
    void otherAliasesNeedExistingVersionsAndLiveCannotGo() {
        FunctionRecord r = versions(2).withAlias("beta", Alias.single(2), T0);
        assertEquals(Set.of(1, 2), r.routedVersions());
        assertEquals(1, r.live());
        NestException missing = assertThrows(NestException.class, () -> r.withAlias("beta", split(1, 50, 7, 50), T0));
        assertEquals(400, missing.status());
        assertTrue(missing.detail().contains("version 7"), missing.detail());
        assertEquals(400, assertThrows(NestException.class, () -> r.withAlias("Beta", Alias.single(1), T0)).status());
        assertEquals(409, assertThrows(NestException.class, () -> r.withoutAlias(Alias.LIVE, T0)).status());
        assertEquals(Set.of(Alias.LIVE), r.withoutAlias("beta", T0).aliases().keySet());
        assertEquals(r, r.withoutAlias("nothing", T0));
    }

    @Test
    void aReleaseOwnsLiveUntilItEnds() {
        FunctionRecord r = versions(3);
        Release started = new Release(1, 3, List.of(10, 50, 100), SETTINGS, Release.State.RUNNING, 0, T0, T0, T0, "", List.of());
        FunctionRecord releasing = r.withRelease(started, T0);
        assertEquals(split(1, 90, 3, 10), releasing.alias(Alias.LIVE).orElseThrow());
        assertEquals(1, releasing.live());
        assertEquals(409, assertThrows(NestException.class,
                () -> releasing.withAlias(Alias.LIVE, Alias.single(2), T0)).status());
        assertEquals(409, assertThrows(NestException.class, () -> releasing.withNewVersion("sha256:" + "f".repeat(64),
                releasing.liveVersion().orElseThrow().spec(), "api", T0, true)).status());
        assertEquals(4, releasing.withNewVersion("sha256:" + "f".repeat(64), releasing.liveVersion().orElseThrow().spec(),
                "api", T0, false).latest());
        FunctionRecord handBack = releasing.rolledBack(Optional.of(1), T0);
        assertEquals(Release.State.ROLLED_BACK, handBack.release().orElseThrow().state());
        assertEquals(Alias.single(1), handBack.alias(Alias.LIVE).orElseThrow());
        FunctionRecord promoted = releasing.withRelease(started.with(Release.State.PROMOTED, "done", T0), T0);
        assertEquals(3, promoted.live());
        assertEquals(Alias.single(3), promoted.alias(Alias.LIVE).orElseThrow());
    }

    @Test
    void theHeadKeepsAliasesAndReleaseThroughTheCodec() {
        FunctionRecord r = versions(3).withAlias("beta", split(2, 30, 3, 70).withSticky(
                Optional.of(Alias.Sticky.parse("cookie:sid"))), T0);
        Release rel = Release.start(1, 3, List.of(10, 100), SETTINGS, T0, "started by alice")
                .withChecks(List.of(new Release.Check("error-rate", true, 0.005, 0.001, 0.01)), "passed", T0.plusSeconds(4))
                .nextStep("step 2", T0.plusSeconds(5)).with(Release.State.PAUSED, "paused by alice", T0.plusSeconds(9));
        assertEquals(List.of("started", "step", "paused"), rel.history().stream().map(Release.Event::event).toList());
        r = r.withRelease(rel, T0);
        FunctionRecord back = FunctionCodec.readHead(FunctionCodec.writeHead(r), r.versions());
        assertEquals(r, back);
    }

    @Test
    void aLongHistoryKeepsItsStartAndTheLatestChanges() {
        Release rel = Release.start(1, 2, List.of(10, 100), SETTINGS, T0, "started");
        for (int i = 0; i < Release.MAX_HISTORY; i++) {
            rel = rel.with(Release.State.PAUSED, "pause " + i, T0.plusSeconds(2L * i + 1))
                    .with(Release.State.RUNNING, "resume " + i, T0.plusSeconds(2L * i + 2));
        }
        assertEquals(Release.MAX_HISTORY, rel.history().size());
        assertEquals("started", rel.history().getFirst().event());
        assertEquals("resume " + (Release.MAX_HISTORY - 1), rel.history().getLast().reason());
    }

    @Test
    void aStoredHeadWithoutAliasesReadsAsLiveOnlyAndABadAliasIsLeftOut() {
        FunctionRecord r = versions(2);
        var head = FunctionCodec.writeHead(r);
        head.remove("aliases");
        assertEquals(Map.of(Alias.LIVE, Alias.single(1)), FunctionCodec.readHead(head, r.versions()).aliases());
        head.putObject("aliases").putObject("beta").putObject("versions").put("1", 40);
        assertEquals(Set.of(Alias.LIVE), FunctionCodec.readHead(head, r.versions()).aliases().keySet());
    }
}
