package dev.nest.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.InvocationIds;
import dev.nest.store.InvocationRecord;
import dev.nest.store.LogLine;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RegionHistoryTest {
    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");
    private final FakePeers peers = new FakePeers();
    private RegionHistory history;

    @AfterEach
    void close() {
        peers.never.countDown();
        if (history != null) {
            history.close();
        }
    }

    private RegionHistory from(String self, Duration timeout) {
        history = new RegionHistory(self, peers.node(self), () -> peers.others(self), peers, timeout);
        return history;
    }

    private static String id(String node, Instant at, int seq) {
        return String.format("%016x", at.toEpochMilli() << 20 | seq) + InvocationIds.tag(node);
    }

    private static InvocationRecord inv(String node, int second, int status) {
        Instant at = T0.plusSeconds(second);
        return new InvocationRecord(id(node, at, second), "default/a", 1, at, 2.0, status, false, "i", "",
                Map.of(), "");
    }

    private HistoryParams params(Map<String, String> q) {
        return HistoryParams.parse(Optional.ofNullable(q.get("function")), n -> Optional.ofNullable(q.get(n)),
                T0.plusSeconds(3600), 50, 1000);
    }

    /** Three nodes' records, interleaved in time. */
    private List<NodeRecord> recordOnThreeNodes() {
        List<NodeRecord> all = new ArrayList<>();
        for (int s = 0; s < 30; s++) {
            String node = List.of("node-a", "node-b", "node-c").get(s % 3);
            InvocationRecord r = inv(node, s, s % 4 == 0 ? 500 : 200);
            peers.node(node).records.add(r);
            all.add(0, new NodeRecord(node, r));
        }
        return all;
    }

    @Test
    void invocationsMergeNewestFirstAndPageThroughEveryNodeOnce() {
        List<NodeRecord> all = recordOnThreeNodes();
        RegionHistory h = from("node-a", Duration.ofSeconds(5));
        List<NodeRecord> seen = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        int pages = 0;
        do {
            Map<String, String> q = new java.util.HashMap<>(Map.of("limit", "7"));
            cursor.ifPresent(c -> q.put("cursor", c));
            Page<NodeRecord> page = h.invocations(params(q));
            assertFalse(page.partial());
            seen.addAll(page.items());
            cursor = page.next();
            pages++;
        } while (cursor.isPresent() && pages < 20);
        assertEquals(all, seen);
    }

    @Test
    void filtersApplyOnEveryNode() {
        recordOnThreeNodes();
        Page<NodeRecord> errors = from("node-b", Duration.ofSeconds(5)).invocations(params(Map.of("status", "5xx",
                "since", T0.plusSeconds(10).toString(), "until", T0.plusSeconds(25).toString())));
        assertEquals(List.of(24, 20, 16, 12), errors.items().stream()
                .map(r -> (int) Duration.between(T0, r.record().startedAt()).toSeconds()).toList());
        assertEquals(List.of("node-a", "node-c", "node-b", "node-a"), errors.items().stream().map(NodeRecord::node).toList());
    }

    @Test
    void aNodeThatIsDownOrHungMakesThePagePartialNamingIt() {
        recordOnThreeNodes();
        peers.state.put("node-b", "down");
        peers.state.put("node-c", "hung");
        Page<NodeRecord> page = from("node-a", Duration.ofMillis(200)).invocations(params(Map.of()));
        assertTrue(page.partial());
        assertEquals(List.of("node-b", "node-c"), page.unreachable());
        assertEquals(10, page.items().size());
        assertTrue(page.items().stream().allMatch(r -> r.node().equals("node-a")));
    }

    @Test
    void linesPageAcrossNodesWithEqualTimesWithoutGapsOrRepeats() {
        for (int i = 0; i < 24; i++) {
            String node = i % 2 == 0 ? "node-a" : "node-b";
            peers.node(node).line(new LogLine(T0.plusSeconds(i / 4), "default/a", 1, "inv" + i, "i", "info", "l" + i));
        }
        RegionHistory h = from("node-b", Duration.ofSeconds(5));
        Set<String> texts = new HashSet<>();
        List<NodeLine> seen = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        do {
            Map<String, String> q = new java.util.HashMap<>(Map.of("limit", "5", "function", "default/a"));
            cursor.ifPresent(c -> q.put("cursor", c));
            Page<NodeLine> page = h.lines(params(q));
            seen.addAll(page.items());
            page.items().forEach(l -> assertTrue(texts.add(l.line().text()), "repeated " + l));
            cursor = page.next();
        } while (cursor.isPresent());
        assertEquals(24, seen.size());
        List<NodeLine> sorted = new ArrayList<>(seen);
        sorted.sort(NodeLine.NEWEST_FIRST);
        assertEquals(sorted, seen, "newest first across pages");
    }

    @Test
    void anInvocationIsLookedUpOnTheNodeItsIdNamesFirst() {
        recordOnThreeNodes();
        peers.node("node-d");
        InvocationRecord onC = peers.node("node-c").records.get(0);
        RegionHistory.Found found = from("node-a", Duration.ofSeconds(5)).find(onC.id());
        assertEquals(Optional.of("node-c"), found.node());
        assertEquals(onC.id(), found.answer().orElseThrow().path("invocation").path("id").asText());
        assertEquals(List.of("node-c/api/v1/invocations/" + onC.id()), peers.asked, "only the named node was asked");
    }

    @Test
    void anIdThatNamesNoNodeIsLookedUpEverywhereAndAMissOnAnUnreachableNodeSaysSo() {
        recordOnThreeNodes();
        InvocationRecord old = new InvocationRecord("legacy-id", "default/a", 1, T0, 1, 200, false, "", "", Map.of());
        peers.node("node-c").records.add(old);
        peers.state.put("node-b", "down");
        RegionHistory h = from("node-a", Duration.ofSeconds(5));
        assertEquals(Optional.of("node-c"), h.find("legacy-id").node());
        RegionHistory.Found miss = h.find("nothing");
        assertTrue(miss.answer().isEmpty());
        assertEquals(List.of("node-b"), miss.unreachable());
    }

    @Test
    void followingReadsNewLinesOfEveryNodeAndResumesFromItsPositions() {
        peers.node("node-a").line(new LogLine(T0, "default/a", 1, "x", "i", "info", "before-a"));
        peers.node("node-b").line(new LogLine(T0, "default/a", 1, "x", "i", "info", "before-b"));
        RegionHistory h = from("node-a", Duration.ofSeconds(5));
        HistoryParams p = params(Map.of("function", "default/a"));
        RegionHistory.Poll first = h.follow(p, FollowPositions.none());
        assertEquals(List.of(), first.lines(), "from now: older lines are not followed");
        assertEquals(Map.of("node-a", 1L, "node-b", 1L), first.end().seqs());

        peers.node("node-b").line(new LogLine(T0.plusSeconds(2), "default/a", 1, "x", "i", "info", "b2"));
        peers.node("node-a").line(new LogLine(T0.plusSeconds(1), "default/a", 1, "x", "i", "info", "a1"));
        peers.node("node-a").line(new LogLine(T0.plusSeconds(3), "default/b", 1, "x", "i", "info", "other fn"));
        RegionHistory.Poll second = h.follow(p, first.end());
        assertEquals(List.of("a1", "b2"), second.lines().stream().map(l -> l.line().text()).toList());
        assertEquals(Map.of("node-a", 2L, "node-b", 2L), second.end().seqs());

        // a client that reconnects with the id of the first event gets the second again
        FollowPositions afterA1 = FollowPositions.parse(first.end().with("node-a", 2).id());
        assertEquals(List.of("b2"), h.follow(p, afterA1).lines().stream().map(l -> l.line().text()).toList());
    }

    @Test
    void followingWithSinceStartsAtThatTimeOnEveryNode() {
        peers.node("node-a").line(new LogLine(T0, "default/a", 1, "x", "i", "info", "old"));
        peers.node("node-b").line(new LogLine(T0.plusSeconds(100), "default/a", 1, "x", "i", "info", "recent"));
        RegionHistory h = from("node-a", Duration.ofSeconds(5));
        RegionHistory.Poll poll = h.follow(params(Map.of("function", "default/a",
                "since", T0.plusSeconds(50).toString())), FollowPositions.none());
        assertEquals(List.of("recent"), poll.lines().stream().map(l -> l.line().text()).toList());
        assertEquals(0L, poll.start().seqs().get("node-b"));
    }
}
