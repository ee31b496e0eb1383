package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class InstanceSetTest {
    /** Times are nanos; one "second" keeps the tables readable. */
    private static final long S = 1_000_000_000L;

    private static FunctionVersion version(int concurrency, int max, int queueSize) {
        FunctionSpec spec = new FunctionSpec(FunctionId.of("default", "fn"), "nodejs", "", 128, Duration.ofSeconds(30),
                concurrency, Map.of(), new ScalingSpec(0, max, Duration.ofMinutes(10)),
                new QueueSpec(queueSize, Duration.ofSeconds(30)));
        return new FunctionVersion(1, "sha256:" + "a".repeat(64), spec, Instant.EPOCH, "api");
    }

    private static InstanceSet set(int concurrency, int max, int queueSize) {
        return new InstanceSet(version(concurrency, max, queueSize));
    }

    private static Instance readyInstance(InstanceSet set, String id, long now) {
        Instance i = new Instance(id, set.version(), now);
        assertTrue(i.moveTo(InstanceState.LOADING));
        assertTrue(i.moveTo(InstanceState.READY));
        return i;
    }

    /** Queues {@code n} requests; returns their grants in order. */
    private static List<InstanceSet.Grant> acquire(InstanceSet set, int n, long now) {
        List<InstanceSet.Grant> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            out.add(set.acquire(now + k));
        }
        return out;
    }

    private static int starts(List<InstanceSet.Grant> grants) {
        return grants.stream().mapToInt(InstanceSet.Grant::starts).sum();
    }

    /** Starts {@code n} instances with no waiters and makes them ready, at the given times. */
    private static List<Instance> warm(InstanceSet set, long... lastUsed) {
        assertEquals(lastUsed.length, set.deficit(lastUsed.length));
        List<Instance> out = new ArrayList<>();
        for (int k = 0; k < lastUsed.length; k++) {
            Instance i = readyInstance(set, "i" + k, lastUsed[k]);
            assertEquals(List.of(), set.ready(i, lastUsed[k]));
            out.add(i);
        }
        return out;
    }

    // ---- acquire: waiting and asking for starts --------------------------------------------------------

    @Test
    void theFirstRequestWaitsAndAsksForOneStart() {
        InstanceSet set = set(1, 10, 100);
        InstanceSet.Grant g = set.acquire(0);
        assertNull(g.instance());
        assertNotNull(g.waiter());
        assertFalse(g.rejected());
        assertEquals(1, g.starts());
        assertEquals(1, set.waiting());
        assertEquals(1, set.starting());
        assertFalse(g.waiter().future.isDone());
        assertEquals(0, g.waiter().sinceNanos);
    }

    @ParameterizedTest(name = "{0} waiters, concurrency {1}, max {2} -> {3} starts")
    @CsvSource({
            "1, 1, 10, 1",
            "5, 1, 10, 5",
            "1, 4, 10, 1",
            "4, 4, 10, 1",
            "5, 4, 10, 2",
            "8, 4, 10, 2",
            "9, 4, 10, 3",
            "7, 2, 10, 4",
            "10, 1, 3, 3",
            "10, 3, 2, 2",
            "100, 10, 10, 10",
            "101, 10, 10, 10",
            "1000, 1, 1000, 1000",
    })
    void waitersAskForCeilOfWaitersOverConcurrencyStartsBoundedByMax(int waiters, int concurrency, int max,
                                                                      int expected) {
        InstanceSet set = set(concurrency, max, 10_000);
        List<InstanceSet.Grant> grants = acquire(set, waiters, 0);
        assertEquals(expected, starts(grants));
        assertEquals(expected, set.starting());
        assertEquals(waiters, set.waiting());
        assertTrue(grants.stream().noneMatch(InstanceSet.Grant::rejected));
    }

    @Test
    void startsAreAskedAsEachBatchOfConcurrencyFillsUp() {
        InstanceSet set = set(4, 10, 100);
        assertEquals(List.of(1, 0, 0, 0, 1, 0, 0, 0, 1), acquire(set, 9, 0).stream().map(InstanceSet.Grant::starts).toList());
    }

    @Test
    void readyInstancesCountAgainstMax() {
        InstanceSet set = set(1, 3, 100);
        List<Instance> busy = warm(set, 0, 0);
        assertSame(busy.get(0), set.acquire(1).instance());
        assertSame(busy.get(1), set.acquire(1).instance());
        assertEquals(1, starts(acquire(set, 5, 2)), "only one more instance fits under max 3");
    }

    @Test
    void aFreeReadyInstanceIsTakenAtOnceTheLeastLoadedFirst() {
        InstanceSet set = set(4, 10, 100);
        List<Instance> is = warm(set, 0, 0);
        Instance a = is.get(0);
        Instance b = is.get(1);
        // a: 2 in flight, b: 1 in flight
        assertSame(a, set.acquire(1).instance());
        assertSame(b, set.acquire(2).instance());
        assertSame(a, set.acquire(3).instance());
        assertSame(b, set.acquire(4).instance(), "b has 1 in flight, a has 2");
        assertSame(a, set.acquire(5).instance(), "a tie goes to the first instance");
        assertEquals(5, a.lastUsedNanos, "acquire stamps the instance's last use");
        assertEquals(4, b.lastUsedNanos);
        assertEquals(3, a.inFlight);
        assertEquals(2, b.inFlight);
        assertEquals(5, set.inFlight());
        assertEquals(0, set.waiting());
    }

    @Test
    void aFullQueueRejectsWithoutQueueingOrStarting() {
        InstanceSet set = set(1, 1, 2);
        List<InstanceSet.Grant> grants = acquire(set, 2, 0);
        InstanceSet.Grant third = set.acquire(3);
        assertTrue(third.rejected());
        assertNull(third.waiter());
        assertNull(third.instance());
        assertEquals(0, third.starts());
        assertEquals(2, set.waiting());
        assertEquals(1, starts(grants));
        assertEquals(1, set.starting());
    }

    @Test
    void aZeroQueueRejectsEveryRequestThatFindsNoFreeInstance() {
        InstanceSet set = set(1, 10, 0);
        assertTrue(set.acquire(0).rejected());
        warm(set, 0);
        assertNotNull(set.acquire(1).instance());
        assertTrue(set.acquire(2).rejected());
    }

    // ---- ready and release: handoffs -------------------------------------------------------------------

    @ParameterizedTest(name = "{0} waiters, concurrency {1} -> {2} handed over")
    @CsvSource({
            "1, 1, 1",
            "3, 1, 1",
            "3, 4, 3",
            "4, 4, 4",
            "6, 4, 4",
            "10, 10, 10",
    })
    void aReadyInstanceServesUpToConcurrencyWaitersOldestFirstAsColdStarts(int waiters, int concurrency, int handed) {
        InstanceSet set = set(concurrency, 1, 100);
        List<InstanceSet.Grant> grants = acquire(set, waiters, 0);
        Instance i = readyInstance(set, "i0", 0);
        List<InstanceSet.Handoff> out = set.ready(i, 50);
        assertEquals(grants.subList(0, handed).stream().map(InstanceSet.Grant::waiter).toList(),
                out.stream().map(InstanceSet.Handoff::waiter).toList(), "FIFO");
        assertTrue(out.stream().allMatch(h -> h.instance() == i));
        assertEquals(List.of(true), out.stream().limit(1).map(InstanceSet.Handoff::cold).toList(),
                "the first waiter asked for the start");
        assertTrue(out.stream().skip(1).noneMatch(InstanceSet.Handoff::cold), "the others joined its start");
        assertEquals(handed, i.inFlight);
        assertEquals(waiters - handed, set.waiting());
        assertEquals(0, set.starting());
        assertEquals(List.of(i), set.instances());
        assertEquals(50, i.lastUsedNanos);
    }

    /**
     * Which handoffs are cold: only a waiter that asked for a start itself and is handed a newly ready instance.
     * Columns: concurrency, max, instances the scaler asked for before the requests ({@code deficit}), requests,
     * the expected cold flag of each handoff when one instance becomes ready.
     */
    @ParameterizedTest(name = "concurrency {0}, max {1}, scaler started {2}, {3} requests -> {4}")
    @CsvSource({
            "1, 1, 0, 1, true",
            "1, 1, 1, 1, false",
            "4, 1, 1, 3, false;false;false",
            "4, 2, 0, 4, true;false;false;false",
            "4, 2, 0, 5, true;false;false;false",
            "1, 3, 1, 2, false",
            "2, 3, 1, 3, false;false",
    })
    void onlyAWaiterWhoseArrivalAskedForAStartIsCold(int concurrency, int max, int scalerStarts, int requests,
                                                     String expected) {
        InstanceSet set = set(concurrency, max, 100);
        assertEquals(scalerStarts, set.deficit(scalerStarts));
        acquire(set, requests, 0);
        List<InstanceSet.Handoff> out = set.ready(readyInstance(set, "i0", 0), 10);
        assertEquals(Stream.of(expected.split(";")).map(Boolean::parseBoolean).toList(),
                out.stream().map(InstanceSet.Handoff::cold).toList());
    }

    @Test
    void aWaiterForWhichALostInstanceIsReplacedIsCold() {
        InstanceSet set = set(1, 1, 100);
        assertEquals(1, set.deficit(1));
        Instance first = readyInstance(set, "i0", 0);
        set.ready(first, 0);
        assertNotNull(set.acquire(1).instance());
        InstanceSet.Grant queued = set.acquire(2);
        assertEquals(0, queued.starts(), "max 1: it waits for the busy instance");
        assertEquals(1, set.remove(first), "the instance died: a start for the waiter");
        List<InstanceSet.Handoff> out = set.ready(readyInstance(set, "i1", 3), 4);
        assertSame(queued.waiter(), out.getFirst().waiter());
        assertTrue(out.getFirst().cold());
    }

    @Test
    void releaseHandsTheInstanceToTheNextWaiterWarm() {
        InstanceSet set = set(1, 1, 100);
        List<InstanceSet.Grant> grants = acquire(set, 3, 0);
        Instance i = readyInstance(set, "i0", 0);
        assertEquals(grants.getFirst().waiter(), set.ready(i, 10).getFirst().waiter());

        InstanceSet.Handoff second = set.release(i, 20);
        assertNotNull(second);
        assertSame(grants.get(1).waiter(), second.waiter());
        assertSame(i, second.instance());
        assertFalse(second.cold());
        assertEquals(1, i.inFlight);
        assertEquals(1, i.served);
        assertEquals(20, i.lastUsedNanos);

        InstanceSet.Handoff third = set.release(i, 30);
        assertSame(grants.get(2).waiter(), third.waiter());
        assertNull(set.release(i, 40), "no one left waiting");
        assertEquals(0, i.inFlight);
        assertEquals(3, i.served);
        assertEquals(0, set.waiting());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = InstanceState.class, names = {"DRAINING", "STOPPED"})
    void releaseDoesNotHandOverAnInstanceThatIsLeaving(InstanceState leaving) {
        InstanceSet set = set(1, 1, 100);
        acquire(set, 2, 0);
        Instance i = readyInstance(set, "i0", 0);
        set.ready(i, 10);
        assertTrue(i.moveTo(leaving));
        assertNull(set.release(i, 20));
        assertEquals(1, set.waiting());
        assertEquals(0, i.inFlight);
    }

    @Test
    void releaseDoesNotHandOverAnInstanceRemovedFromTheSet() {
        InstanceSet set = set(1, 2, 100);
        acquire(set, 1, 0);
        Instance i = readyInstance(set, "i0", 0);
        set.ready(i, 10);
        acquire(set, 1, 11);
        set.remove(i);
        assertNull(set.release(i, 20));
        assertEquals(1, set.waiting());
    }

    @Test
    void cancelRemovesAWaiterThatWasNotHandedOver() {
        InstanceSet set = set(1, 1, 100);
        List<InstanceSet.Grant> grants = acquire(set, 2, 0);
        assertTrue(set.cancel(grants.get(0).waiter()));
        assertEquals(1, set.waiting());
        assertFalse(set.cancel(grants.get(0).waiter()), "already gone");
        Instance i = readyInstance(set, "i0", 0);
        assertSame(grants.get(1).waiter(), set.ready(i, 1).getFirst().waiter(), "the cancelled waiter is skipped");
    }

    @Test
    void cancelAfterAHandoffReturnsFalse() {
        InstanceSet set = set(1, 1, 100);
        InstanceSet.Waiter w = set.acquire(0).waiter();
        set.ready(readyInstance(set, "i0", 0), 1);
        assertFalse(set.cancel(w));
    }

    // ---- failures --------------------------------------------------------------------------------------

    @Test
    void aFailedStartWithNothingElseComingFailsEveryWaiter() {
        InstanceSet set = set(1, 1, 100);
        List<InstanceSet.Grant> grants = acquire(set, 3, 0);
        assertEquals(1, set.starting());
        assertEquals(grants.stream().map(InstanceSet.Grant::waiter).toList(), set.startFailed());
        assertEquals(0, set.waiting());
        assertEquals(0, set.starting());
        assertTrue(set.isEmpty());
    }

    @Test
    void aFailedStartWithAnotherStartPendingFailsNoWaiter() {
        InstanceSet set = set(1, 10, 100);
        acquire(set, 2, 0);
        assertEquals(2, set.starting());
        assertEquals(List.of(), set.startFailed());
        assertEquals(2, set.waiting());
        assertEquals(1, set.starting());
    }

    @Test
    void aFailedStartWithAReadyInstanceFailsNoWaiter() {
        InstanceSet set = set(1, 10, 100);
        warm(set, 0);
        assertNotNull(set.acquire(1).instance());
        InstanceSet.Grant g = set.acquire(2);
        assertEquals(1, g.starts());
        assertEquals(List.of(), set.startFailed());
        assertEquals(1, set.waiting(), "the busy instance serves the waiter when it is released");
        assertSame(g.waiter(), set.release(set.instances().getFirst(), 3).waiter());
    }

    @Test
    void removingADeadInstanceAsksForReplacementsWhileWaitersRemain() {
        InstanceSet set = set(1, 1, 100);
        InstanceSet.Grant first = set.acquire(0);
        assertEquals(1, first.starts());
        Instance i = readyInstance(set, "i0", 0);
        set.ready(i, 1);
        InstanceSet.Grant second = set.acquire(2);
        assertEquals(0, second.starts(), "max 1 is reached");
        assertTrue(i.moveTo(InstanceState.STOPPED));
        assertEquals(1, set.remove(i), "the waiter needs a replacement");
        assertEquals(1, set.starting());
        assertEquals(List.of(), set.instances());
        assertEquals(0, set.remove(i), "removing twice asks for nothing");
    }

    @Test
    void removingAnInstanceWithNoWaitersAsksForNothing() {
        InstanceSet set = set(1, 5, 100);
        List<Instance> is = warm(set, 0, 0);
        assertEquals(0, set.remove(is.get(0)));
        assertEquals(List.of(is.get(1)), set.instances());
        assertEquals(0, set.remove(new Instance("stranger", set.version(), 0)));
    }

    @Test
    void abortedStartsAreAskedForAgainByTheNextRequest() {
        InstanceSet set = set(1, 10, 100);
        assertEquals(1, set.acquire(0).starts());
        set.startsAborted(1);
        assertEquals(0, set.starting());
        assertEquals(2, set.acquire(1).starts(), "both waiters need an instance");
    }

    @ParameterizedTest(name = "min {0}, max {1}, ready {2}, starting {3} -> {4}")
    @CsvSource({
            "0, 10, 0, 0, 0",
            "3, 10, 0, 0, 3",
            "3, 10, 1, 0, 2",
            "3, 10, 1, 1, 1",
            "3, 10, 3, 0, 0",
            "3, 10, 5, 0, 0",
            "20, 10, 0, 0, 10",
            "20, 10, 4, 2, 4",
    })
    void deficitStartsWhatIsMissingUpToMin(int min, int max, int readyCount, int startingCount, int expected) {
        InstanceSet set = set(1, max, 100);
        assertEquals(readyCount + startingCount, set.deficit(readyCount + startingCount));
        for (int k = 0; k < readyCount; k++) {
            set.ready(readyInstance(set, "i" + k, 0), 0);
        }
        assertEquals(readyCount, set.instances().size());
        assertEquals(startingCount, set.starting());
        assertEquals(expected, set.deficit(min));
        assertEquals(startingCount + expected, set.starting());
        assertEquals(0, set.deficit(min), "asking again starts nothing more");
    }

    // ---- keep-alive expiry -----------------------------------------------------------------------------

    /**
     * @param lastUsed each instance's last use (seconds); {@code -1} marks an instance with a request in flight
     *                 (last used at 0)
     * @param expected the ids removed, in order
     */
    static Stream<Arguments> expiries() {
        return Stream.of(
                Arguments.of("all idle long enough, oldest first", new long[] {20, 0, 10}, 100, 50, 0,
                        List.of("i1", "i2", "i0")),
                Arguments.of("keeps min", new long[] {20, 0, 10}, 100, 50, 1, List.of("i1", "i2")),
                Arguments.of("keeps min, counting busy instances", new long[] {-1, 0, 10}, 100, 50, 2, List.of("i1")),
                Arguments.of("min above the count removes nothing", new long[] {0, 0}, 100, 50, 5, List.of()),
                Arguments.of("idle less than keep-alive stays", new long[] {60, 0}, 100, 50, 0, List.of("i1")),
                Arguments.of("idle exactly keep-alive goes", new long[] {50, 51}, 100, 50, 0, List.of("i0")),
                Arguments.of("busy instances never go", new long[] {-1, -1}, 1000, 50, 0, List.of()),
                Arguments.of("nothing idle", new long[] {99, 98}, 100, 50, 0, List.of()),
                Arguments.of("no instances", new long[] {}, 100, 50, 0, List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expiries")
    void expireRemovesInstancesIdleForKeepAliveOldestFirstKeepingMin(String what, long[] lastUsed, long now,
                                                                     long keepAlive, int min, List<String> expected) {
        InstanceSet set = set(1, 10, 100);
        long[] times = new long[lastUsed.length];
        for (int k = 0; k < lastUsed.length; k++) {
            times[k] = Math.max(0, lastUsed[k]) * S;
        }
        List<Instance> all = warm(set, times);
        for (int k = 0; k < lastUsed.length; k++) {
            if (lastUsed[k] < 0) {
                all.get(k).inFlight = 1;
            }
        }
        List<Instance> removed = expire(set, now * S, keepAlive * S, min, Long.MIN_VALUE);
        assertEquals(expected, removed.stream().map(Instance::id).toList());
        List<Instance> left = new ArrayList<>(all);
        left.removeAll(removed);
        assertEquals(left, set.instances(), "expired instances left the set");
    }

    private static List<Instance> expire(InstanceSet set, long now, long keepAlive, int min, long since) {
        return set.expire(now, new KeepAliveRule.Policy(min, keepAlive, since));
    }

    @Test
    void anInstanceUsedRecentlyIsNotExpired() {
        InstanceSet set = set(1, 10, 100);
        Instance i = warm(set, 0).getFirst();
        assertSame(i, set.acquire(90 * S).instance());
        set.release(i, 95 * S);
        assertEquals(List.of(), expire(set, 100 * S, 50 * S, 0, Long.MIN_VALUE));
        assertEquals(List.of(i), expire(set, 145 * S, 50 * S, 0, Long.MIN_VALUE));
    }

    @Test
    void idleTimeCountsFromTheLastChangeOfLiveness() {
        InstanceSet set = set(1, 10, 100);
        Instance i = warm(set, 0).getFirst();
        assertEquals(Long.MIN_VALUE, set.liveChange(true, 10 * S), "live all along: idle since last use");
        assertEquals(List.of(), expire(set, 40 * S, 50 * S, 0, set.liveChange(true, 40 * S)));

        long retired = set.liveChange(false, 45 * S);
        assertEquals(45 * S, retired);
        assertEquals(45 * S, set.liveChange(false, 60 * S), "still retired since the first time it was seen");
        assertEquals(List.of(), expire(set, 90 * S, 50 * S, 0, retired), "kept 50 s after it was retired");

        long back = set.liveChange(true, 200 * S);
        assertEquals(List.of(), expire(set, 200 * S, 50 * S, 0, back), "live again: not expired at once");
        assertEquals(List.of(i), expire(set, 250 * S, 50 * S, 0, set.liveChange(true, 250 * S)));
    }

    @Test
    void drainAllEmptiesTheSet() {
        InstanceSet set = set(1, 10, 100);
        List<Instance> all = warm(set, 0, 0, 0);
        assertEquals(all, set.drainAll());
        assertEquals(List.of(), set.instances());
        assertTrue(set.isEmpty());
    }

    // ---- instance states -------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "STARTING, LOADING",
            "STARTING, DRAINING",
            "STARTING, STOPPED",
            "LOADING, READY",
            "LOADING, DRAINING",
            "LOADING, STOPPED",
            "READY, DRAINING",
            "READY, STOPPED",
            "DRAINING, STOPPED",
    })
    void legalMovesHappen(InstanceState from, InstanceState to) {
        Instance i = at(from);
        assertTrue(i.moveTo(to));
        assertEquals(to, i.state());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "STARTING, READY",
            "LOADING, STARTING",
            "READY, STARTING",
            "READY, LOADING",
            "DRAINING, STARTING",
            "DRAINING, LOADING",
            "DRAINING, READY",
    })
    void illegalMovesThrow(InstanceState from, InstanceState to) {
        Instance i = at(from);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> i.moveTo(to));
        assertTrue(e.getMessage().contains(from + " to " + to), e.getMessage());
        assertEquals(from, i.state());
    }

    @ParameterizedTest
    @EnumSource(InstanceState.class)
    void aMoveToTheSameStateIsANoOp(InstanceState s) {
        Instance i = at(s);
        assertFalse(i.moveTo(s));
        assertEquals(s, i.state());
    }

    @ParameterizedTest
    @EnumSource(value = InstanceState.class, names = {"STARTING", "LOADING", "READY", "DRAINING"})
    void aLateEventOnAStoppedInstanceIsIgnored(InstanceState late) {
        Instance i = at(InstanceState.STOPPED);
        assertFalse(i.moveTo(late));
        assertEquals(InstanceState.STOPPED, i.state());
    }

    private static Instance at(InstanceState s) {
        Instance i = new Instance("i", version(1, 1, 1), 0);
        List<InstanceState> path = switch (s) {
            case STARTING -> List.of();
            case LOADING -> List.of(InstanceState.LOADING);
            case READY -> List.of(InstanceState.LOADING, InstanceState.READY);
            case DRAINING -> List.of(InstanceState.DRAINING);
            case STOPPED -> List.of(InstanceState.STOPPED);
        };
        path.forEach(i::moveTo);
        assertEquals(s, i.state());
        return i;
    }
}
