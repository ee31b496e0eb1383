package dev.nest.trigger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.async.EventState;
import dev.nest.common.Json;
import dev.nest.trigger.StopResult.Outcome;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RegionStopsTest {
    private static final RegionStops.Node A = new RegionStops.Node("node-a", URI.create("http://a:8080"));
    private static final RegionStops.Node B = new RegionStops.Node("node-b", URI.create("http://b:8080"));
    private static final RegionStops.Node C = new RegionStops.Node("node-c", URI.create("http://c:8080"));

    private final InMemoryAsyncLedger ledger = new InMemoryAsyncLedger();
    private final Map<URI, Outcome> answers = new ConcurrentHashMap<>();
    private final List<URI> asked = new CopyOnWriteArrayList<>();
    private final RegionStops stops = new RegionStops("node-self", new LocalStops(ledger,
            (id, reason) -> CompletableFuture.completedFuture(false)), () -> List.of(A, B, C), (base, id, reason) -> {
        asked.add(base);
        return CompletableFuture.completedFuture(StopResult.of(answers.getOrDefault(base, Outcome.UNKNOWN), "fake"));
    });

    /** An invocation id made by {@code node}. */
    private static String idOf(String node) {
        return "0000000000000001" + dev.nest.common.InvocationIds.tag(node);
    }

    @ParameterizedTest(name = "an id of {0}: ask {1}")
    @CsvSource({
            "node-b,    node-b",
            "node-self, ''",                   // this node's own id: it would know it
            "gone,      node-a node-b node-c", // its node left: what it forwarded runs elsewhere
            "x,         ''"})                  // not an invocation id
    void whomToAsk(String node, String expected) {
        Optional<String> tag = node.equals("x") ? Optional.empty() : Optional.of(dev.nest.common.InvocationIds.tag(node));
        List<String> ask = RegionStops.whomToAsk(tag, dev.nest.common.InvocationIds.tag("node-self"), List.of(A, B, C))
                .stream().map(RegionStops.Node::id).toList();
        assertEquals(expected.isBlank() ? List.of() : List.of(expected.split(" ")), ask);
    }

    @Test
    void aRunOfThisNodeIsStoppedHereWithoutAskingAnyone() {
        ledger.states.put("e1", EventState.RUNNING);
        assertEquals(Outcome.STOPPED, stops.stop("e1", "test").join().outcome());
        assertTrue(asked.isEmpty());
    }

    @Test
    void afterAFailoverTheNodeTheIdNamesIsAsked() {
        answers.put(B.url(), Outcome.STOPPED);
        assertEquals(Outcome.STOPPED, stops.stop(idOf("node-b"), "test").join().outcome());
        assertEquals(List.of(B.url()), asked);
    }

    @Test
    void anUnreachableHolderMakesTheRunCountAsRunning() {
        answers.put(B.url(), Outcome.UNREACHABLE);
        StopResult r = stops.stop(idOf("node-b"), "test").join();
        assertEquals(Outcome.UNREACHABLE, r.outcome());
        assertTrue(r.detail().contains("node-b"), r.detail());
    }

    @Test
    void aRunOfAGoneNodeIsLookedForOnEveryLiveNode() {
        answers.put(C.url(), Outcome.STOPPED);
        assertEquals(Outcome.STOPPED, stops.stop(idOf("gone"), "test").join().outcome());
        assertEquals(3, asked.size());
        asked.clear();
        answers.clear();
        assertEquals(Outcome.UNKNOWN, stops.stop(idOf("gone"), "test").join().outcome(), "nobody runs it: it is over");
    }

    @Test
    void aRunningEventThisNodeCannotStopIsLookedForOnEveryNodeAsInASharedQueue() {
        ledger.states.put("k1", EventState.RUNNING);
        ledger.cancels = false; // the Kafka queue: another node's dispatcher delivers it
        answers.put(A.url(), Outcome.NOT_STOPPED);
        answers.put(B.url(), Outcome.STOPPED);
        assertEquals(Outcome.STOPPED, stops.stop("k1", "test").join().outcome());
        answers.put(B.url(), Outcome.NOT_STOPPED);
        assertEquals(Outcome.NOT_STOPPED, stops.stop("k1", "test").join().outcome());
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @CsvSource(delimiter = '|', value = {
            "200 | {\"outcome\":\"stopped\",\"detail\":\"d\"}  | STOPPED",
            "200 | {\"outcome\":\"finished\",\"detail\":\"d\"} | FINISHED",
            "200 | {\"outcome\":\"exploded\"}                  | UNREACHABLE",
            "200 | not json                                  | UNREACHABLE",
            "404 | {\"error\":\"invocation not found\"}        | UNKNOWN",
            "409 | {\"error\":\"invocation not stopped\"}      | NOT_STOPPED",
            "401 | {\"error\":\"unauthorized\"}                | UNREACHABLE",
            "403 | {\"error\":\"forbidden\"}                   | UNREACHABLE",
            "503 | ''                                        | UNREACHABLE"})
    void whatAPeersAnswerMeans(int status, String body, Outcome outcome) {
        Optional<JsonNode> tree;
        try {
            tree = Optional.of(Json.tree(body.getBytes(StandardCharsets.UTF_8), "answer"));
        } catch (RuntimeException e) {
            tree = Optional.empty();
        }
        assertEquals(outcome, PeerStops.answer(URI.create("http://b:8080"), status, tree).outcome());
    }
}
