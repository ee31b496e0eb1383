package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.NestException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FunctionRecordTest {
    private static final FunctionId ID = FunctionId.of("default", "hello");
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private static FunctionSpec spec(FunctionId id, int memory) {
        return new FunctionSpec(id, "nodejs", "", memory, Duration.ofSeconds(30), 1, Map.of(), ScalingSpec.DEFAULT,
                QueueSpec.DEFAULT);
    }

    private static Instant t(int seconds) {
        return T0.plusSeconds(seconds);
    }

    private static String digest(int n) {
        return "sha256:" + String.format("%064x", n);
    }

    /** Applies deploys: each step {@code true} deploys and makes live, {@code false} only adds a version. */
    private static FunctionRecord deploy(boolean... makeLive) {
        FunctionRecord r = FunctionRecord.empty(ID, "api", T0);
        for (int i = 0; i < makeLive.length; i++) {
            r = r.withNewVersion(digest(i + 1), spec(ID, 128 + i), "cli", t(i + 1), makeLive[i]);
        }
        return r;
    }

    static Stream<Arguments> deploys() {
        return Stream.of(
                Arguments.of(new boolean[] {true}, 1, List.of()),
                Arguments.of(new boolean[] {true, true}, 2, List.of(1)),
                Arguments.of(new boolean[] {true, true, true}, 3, List.of(1, 2)),
                Arguments.of(new boolean[] {false}, 0, List.of()),
                Arguments.of(new boolean[] {false, true}, 2, List.of()),
                Arguments.of(new boolean[] {true, false}, 1, List.of()),
                Arguments.of(new boolean[] {true, false, true}, 3, List.of(1)),
                Arguments.of(new boolean[] {true, false, false, true, true}, 5, List.of(1, 4)));
    }

    @ParameterizedTest(name = "[{index}] live {1}, history {2}")
    @MethodSource("deploys")
    void newVersionsAreNumberedAndMoveLiveWhenAsked(boolean[] makeLive, int live, List<Integer> history) {
        FunctionRecord r = deploy(makeLive);
        assertEquals(live, r.live());
        assertEquals(history, r.liveHistory());
        assertEquals(IntStream.rangeClosed(1, makeLive.length).boxed().toList(), List.copyOf(r.versions().keySet()));
        assertEquals(makeLive.length, r.latest());
        for (int v = 1; v <= makeLive.length; v++) {
            FunctionVersion fv = r.version(v).orElseThrow();
            assertEquals(v, fv.version());
            assertEquals(digest(v), fv.digest());
            assertEquals(t(v), fv.createdAt());
            assertEquals("cli", fv.source());
            assertEquals(128 + v - 1, fv.spec().memoryMb());
        }
        assertEquals(live == 0 ? Optional.empty() : r.version(live), r.liveVersion());
        assertEquals(T0, r.createdAt());
        assertEquals(t(makeLive.length), r.updatedAt());
    }

    @Test
    void aVersionIsStoredUnderTheRecordsIdWhateverTheSpecSays() {
        FunctionSpec other = spec(FunctionId.of("elsewhere", "other"), 128);
        FunctionRecord r = FunctionRecord.empty(ID, "api", T0).withNewVersion(digest(1), other, "api", t(1), true);
        assertEquals(ID, r.liveVersion().orElseThrow().spec().id());
    }

    @Test
    void changesLeaveTheOriginalRecordAsItWas() {
        FunctionRecord before = deploy(true, true);
        FunctionRecord after = before.withNewVersion(digest(9), spec(ID, 512), "api", t(9), true);
        assertEquals(2, before.live());
        assertEquals(List.of(1), before.liveHistory());
        assertEquals(2, before.versions().size());
        assertEquals(3, after.versions().size());
        before.rolledBack(Optional.empty(), t(10));
        assertEquals(2, before.live());
        assertThrows(UnsupportedOperationException.class, () -> after.liveHistory().add(7));
        assertThrows(UnsupportedOperationException.class, () -> after.versions().remove(1));
    }

    @Test
    void versionsAfterTheFirstAreNumberedFromTheLatestEvenWhenLiveIsOlder() {
        FunctionRecord r = deploy(true, true, true).rolledBack(Optional.of(1), t(10))
                .withNewVersion(digest(4), spec(ID, 128), "api", t(11), true);
        assertEquals(4, r.live());
        assertEquals(List.of(1, 2, 3, 1), r.liveHistory());
    }

    // ---- rollback --------------------------------------------------------------------------------------

    @Test
    void rollbackWithoutTargetReturnsToThePreviousLiveVersionAndTwiceWalksFurtherBack() {
        FunctionRecord r = deploy(true, true, true);
        FunctionRecord once = r.rolledBack(Optional.empty(), t(10));
        assertEquals(2, once.live());
        assertEquals(List.of(1), once.liveHistory());
        assertEquals(t(10), once.updatedAt());
        assertEquals(r.versions(), once.versions(), "a rollback keeps every version");

        FunctionRecord twice = once.rolledBack(Optional.empty(), t(11));
        assertEquals(1, twice.live());
        assertEquals(List.of(), twice.liveHistory());

        NestException e = assertThrows(NestException.class, () -> twice.rolledBack(Optional.empty(), t(12)));
        assertEquals(409, e.status());
    }

    static Stream<Arguments> rollbacks() {
        // deploys (all live), then rollbacks (0 = without target), then the expected live version and history
        return Stream.of(
                Arguments.of(3, List.of(0), 2, List.of(1)),
                Arguments.of(3, List.of(0, 0), 1, List.of()),
                Arguments.of(3, List.of(1), 1, List.of(1, 2, 3)),
                Arguments.of(3, List.of(1, 0), 3, List.of(1, 2)),
                Arguments.of(3, List.of(1, 0, 0), 2, List.of(1)),
                Arguments.of(3, List.of(2, 0), 3, List.of(1, 2)),
                // rolling back to the live version itself does not trap the next rollback on it
                Arguments.of(3, List.of(3, 0), 2, List.of(1)),
                Arguments.of(5, List.of(0, 0, 0, 0), 1, List.of()));
    }

    @ParameterizedTest(name = "[{index}] {0} deploys, rollbacks {1} -> live {2}, history {3}")
    @MethodSource("rollbacks")
    void rollbacks(int deploys, List<Integer> rollbacks, int live, List<Integer> history) {
        boolean[] all = new boolean[deploys];
        java.util.Arrays.fill(all, true);
        FunctionRecord r = deploy(all);
        int step = 100;
        for (int to : rollbacks) {
            r = r.rolledBack(to == 0 ? Optional.empty() : Optional.of(to), t(step++));
        }
        assertEquals(live, r.live());
        assertEquals(history, r.liveHistory());
    }

    @Test
    void rollbackToAnUnknownVersionIs404NamingTheVersions() {
        FunctionRecord r = deploy(true, true);
        NestException e = assertThrows(NestException.class, () -> r.rolledBack(Optional.of(7), t(10)));
        assertEquals(404, e.status());
        assertTrue(e.detail().contains("7"), e.detail());
        assertTrue(e.detail().contains("[1, 2]"), e.detail());
        assertTrue(e.detail().contains(ID.toString()), e.detail());
    }

    static Stream<Arguments> nothingToRollBackTo() {
        return Stream.of(
                Arguments.of("no versions", FunctionRecord.empty(ID, "api", T0)),
                Arguments.of("one version", deploy(true)),
                Arguments.of("earlier version never live", deploy(false, true)),
                Arguments.of("history names only deleted versions",
                        new FunctionRecord(ID, 3, List.of(1, 2), versionsOf(3), "api", T0, T0)),
                Arguments.of("history names only the live version",
                        new FunctionRecord(ID, 2, List.of(2, 2), versionsOf(1, 2), "api", T0, T0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nothingToRollBackTo")
    void rollbackWithNothingToReturnToIs409(String what, FunctionRecord r) {
        NestException e = assertThrows(NestException.class, () -> r.rolledBack(Optional.empty(), t(10)));
        assertEquals(409, e.status());
        assertTrue(e.detail().contains("--to"), "tells the user what to do: " + e.detail());
    }

    @Test
    void rollbackSkipsHistoryEntriesWhoseVersionIsGone() {
        FunctionRecord r = new FunctionRecord(ID, 4, List.of(1, 2, 3), versionsOf(1, 4), "api", T0, T0);
        FunctionRecord back = r.rolledBack(Optional.empty(), t(1));
        assertEquals(1, back.live());
        assertEquals(List.of(), back.liveHistory());
    }

    @Test
    void historyIsBoundedToMaxHistoryDroppingTheOldest() {
        int n = FunctionRecord.MAX_HISTORY + 10;
        boolean[] all = new boolean[n];
        java.util.Arrays.fill(all, true);
        FunctionRecord r = deploy(all);
        assertEquals(n, r.live());
        assertEquals(FunctionRecord.MAX_HISTORY, r.liveHistory().size());
        assertEquals(IntStream.range(n - FunctionRecord.MAX_HISTORY, n).boxed().toList(), r.liveHistory());

        // explicit rollbacks push too, and stay bounded
        FunctionRecord back = r;
        for (int i = 0; i < 5; i++) {
            back = back.rolledBack(Optional.of(1 + i), t(1000 + i));
        }
        assertEquals(FunctionRecord.MAX_HISTORY, back.liveHistory().size());
        assertEquals(5, back.live());
        assertEquals(4, back.liveHistory().getLast());
    }

    @Test
    void withOriginChangesOnlyTheOrigin() {
        FunctionRecord r = deploy(true, true);
        FunctionRecord f = r.withOrigin("file:config/functions/hello.yaml");
        assertEquals("file:config/functions/hello.yaml", f.origin());
        assertEquals(new FunctionRecord(r.id(), r.live(), r.liveHistory(), r.versions(), f.origin(), r.createdAt(),
                r.updatedAt()), f);
    }

    private static TreeMap<Integer, FunctionVersion> versionsOf(int... numbers) {
        TreeMap<Integer, FunctionVersion> m = new TreeMap<>();
        for (int v : numbers) {
            m.put(v, new FunctionVersion(v, digest(v), spec(ID, 128), t(v), "api"));
        }
        return m;
    }
}
