package dev.nest.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.placement.NodeProbe.Answer;
import dev.nest.placement.NodeProbe.Target;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class NodeProbeTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final List<Target> nodes = new ArrayList<>(List.of(new Target("b", "127.0.0.2", 8080, T0),
            new Target("c", "127.0.0.3", 8080, T0)));
    private final Map<String, Answer> answers = new HashMap<>(Map.of("127.0.0.2", Answer.ACCEPTED, "127.0.0.3", Answer.ACCEPTED));
    private final AtomicBoolean leading = new AtomicBoolean(true);
    private final AtomicInteger changes = new AtomicInteger();
    private final NodeProbe probe = new NodeProbe(() -> List.copyOf(nodes), Duration.ofSeconds(1), 2,
            (address, port, timeout) -> answers.get(address), leading::get, changes::incrementAndGet);

    @Test
    void aNodeThatRefusesTwiceInARowIsDown() {
        probe.probe();
        answers.put("127.0.0.2", Answer.REFUSED);
        probe.probe();
        assertFalse(probe.down("b"), "one refusal is not enough");
        assertEquals(0, changes.get());
        probe.probe();
        assertTrue(probe.down("b"));
        assertFalse(probe.down("c"));
        assertEquals(1, changes.get(), "the leader is told once");
        probe.probe();
        assertEquals(1, changes.get(), "still down: nothing new to tell");
    }

    @Test
    void aRegistrationThatNeverAnsweredIsNotJudged() {
        answers.put("127.0.0.2", Answer.REFUSED); // registered, its port not listening yet (a slow start)
        for (int i = 0; i < 5; i++) {
            probe.probe();
        }
        assertFalse(probe.down("b"), "a node still starting is not dead; its session decides if it never answers");
        assertEquals(0, changes.get());
        answers.put("127.0.0.2", Answer.ACCEPTED);
        probe.probe();
        answers.put("127.0.0.2", Answer.REFUSED);
        probe.probe();
        probe.probe();
        assertTrue(probe.down("b"), "once it answered, its refusals count");
    }

    @Test
    void anAnswerBetweenRefusalsStartsTheCountAgain() {
        probe.probe();
        answers.put("127.0.0.2", Answer.REFUSED);
        probe.probe();
        answers.put("127.0.0.2", Answer.ACCEPTED);
        probe.probe();
        answers.put("127.0.0.2", Answer.REFUSED);
        probe.probe();
        assertFalse(probe.down("b"));
    }

    @Test
    void timeoutsSayNothing() {
        probe.probe();
        answers.put("127.0.0.2", Answer.UNKNOWN);
        for (int i = 0; i < 5; i++) {
            probe.probe();
        }
        assertFalse(probe.down("b"), "a partitioned node keeps its session; ZooKeeper decides");
        answers.put("127.0.0.2", Answer.REFUSED);
        probe.probe();
        assertFalse(probe.down("b"), "a timeout is not a refusal, but it does not reset the count either");
        probe.probe();
        assertTrue(probe.down("b"));
    }

    @Test
    void aNodeThatAnswersAgainIsUp() {
        probe.probe();
        answers.put("127.0.0.2", Answer.REFUSED);
        probe.probe();
        probe.probe();
        assertTrue(probe.down("b"));
        answers.put("127.0.0.2", Answer.ACCEPTED);
        probe.probe();
        assertFalse(probe.down("b"));
        assertEquals(2, changes.get());
    }

    @Test
    void aNewRegistrationOfTheSameIdStartsAfresh() {
        probe.probe();
        answers.put("127.0.0.2", Answer.REFUSED);
        probe.probe();
        probe.probe();
        assertTrue(probe.down("b"));
        nodes.set(0, new Target("b", "127.0.0.2", 8080, T0.plusSeconds(30)));
        probe.probe();
        probe.probe();
        assertFalse(probe.down("b"), "the restarted node gets its own count, from its first answer");
        answers.put("127.0.0.2", Answer.ACCEPTED);
        probe.probe();
        answers.put("127.0.0.2", Answer.REFUSED);
        probe.probe();
        assertFalse(probe.down("b"));
        probe.probe();
        assertTrue(probe.down("b"));
    }

    @Test
    void aNodeThatLeftIsForgotten() {
        probe.probe();
        answers.put("127.0.0.2", Answer.REFUSED);
        probe.probe();
        probe.probe();
        assertEquals(1, changes.get());
        nodes.removeFirst();
        probe.probe();
        assertFalse(probe.down("b"));
        assertEquals(2, changes.get());
    }

    @Test
    void nothingIsProbedUnlessLeading() {
        probe.probe(); // it answered once, while this node led
        leading.set(false);
        answers.put("127.0.0.2", Answer.REFUSED);
        probe.probe();
        probe.probe();
        assertFalse(probe.down("b"));
        leading.set(true);
        probe.probe();
        probe.probe();
        assertTrue(probe.down("b"));
        leading.set(false);
        probe.probe();
        assertFalse(probe.down("b"), "a node that lost the lead forgets what it found");
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new NodeProbe(List::of, Duration.ZERO, 2,
                (a, p, t) -> Answer.ACCEPTED, () -> true, () -> { }));
        assertThrows(IllegalArgumentException.class, () -> new NodeProbe(List::of, Duration.ofSeconds(1), 0,
                (a, p, t) -> Answer.ACCEPTED, () -> true, () -> { }));
    }

    @Test
    void tcpTellsAListeningPortFromAClosedOne() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertEquals(Answer.ACCEPTED, NodeProbe.tcp().connect("127.0.0.1", s.getLocalPort(), Duration.ofSeconds(1)));
            closed = s.getLocalPort();
        }
        assertEquals(Answer.REFUSED, NodeProbe.tcp().connect("127.0.0.1", closed, Duration.ofSeconds(1)));
    }
}
