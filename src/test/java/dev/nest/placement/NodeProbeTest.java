package dev.nest.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.cluster.PortAnswer;
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
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NodeProbeTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final List<Target> nodes = new ArrayList<>(List.of(new Target("b", "127.0.0.2", 8080, T0, false),
            new Target("c", "127.0.0.3", 8080, T0, false)));
    private final Map<String, PortAnswer> answers = new HashMap<>(Map.of("127.0.0.2", PortAnswer.ACCEPTED, "127.0.0.3", PortAnswer.ACCEPTED));
    private final AtomicBoolean leading = new AtomicBoolean(true);
    private final AtomicInteger changes = new AtomicInteger();
    /** The probe's monotonic clock, in nanoseconds: each round below moves it on by one interval. */
    private final AtomicLong now = new AtomicLong(123_456_789L);
    private static final Duration GRACE = Duration.ofSeconds(10);
    private final NodeProbe probe = new NodeProbe(() -> List.copyOf(nodes), Duration.ofSeconds(1), 2,
            (address, port, timeout) -> answers.get(address), leading::get, changes::incrementAndGet, GRACE, now::get);

    /** One round, one interval after the last. */
    private void round() {
        probe.probe();
        now.addAndGet(Duration.ofSeconds(1).toNanos());
    }

    @Test
    void aNodeThatRefusesTwiceInARowIsDown() {
        probe.probe();
        answers.put("127.0.0.2", PortAnswer.REFUSED);
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
        answers.put("127.0.0.2", PortAnswer.REFUSED); // registered, its port not listening yet (a slow start)
        for (int i = 0; i < 5; i++) {
            probe.probe();
        }
        assertFalse(probe.down("b"), "a node still starting, within its start grace, is not dead");
        assertEquals(0, changes.get());
        answers.put("127.0.0.2", PortAnswer.ACCEPTED);
        probe.probe();
        answers.put("127.0.0.2", PortAnswer.REFUSED);
        probe.probe();
        probe.probe();
        assertTrue(probe.down("b"), "once it answered, its refusals count");
    }

    @Test
    void aRegistrationThatNeverAnswersIsDownOnceTheGraceHasPassed() {
        answers.put("127.0.0.2", PortAnswer.REFUSED); // killed during its own start: its port never listens
        for (int i = 0; i < 10; i++) { // rounds at 0 s .. 9 s after it was first seen: within the grace
            round();
            assertFalse(probe.down("b"), "refusals within the start grace say nothing (round " + i + ")");
        }
        round(); // 10 s: the grace has passed, the first refusal counts
        assertFalse(probe.down("b"), "one counted refusal is not enough");
        assertEquals(0, changes.get());
        round(); // 11 s: the second in a row
        assertTrue(probe.down("b"), "found without waiting for its session");
        assertFalse(probe.down("c"));
        assertEquals(1, changes.get());
    }

    @Test
    void aNodeThatAnswersWithinTheGraceIsNeverCountedBeforeIt() {
        answers.put("127.0.0.2", PortAnswer.REFUSED); // a slow start
        for (int i = 0; i < 9; i++) {
            round();
        }
        answers.put("127.0.0.2", PortAnswer.ACCEPTED); // it listens at 9 s
        round();
        assertFalse(probe.down("b"));
        answers.put("127.0.0.2", PortAnswer.REFUSED); // then dies: counted like any node that answered
        round();
        assertFalse(probe.down("b"), "the refusals before its answer were never counted");
        round();
        assertTrue(probe.down("b"));
        assertEquals(1, changes.get());
    }

    @Test
    void theGraceRunsFromWhenThisProbeFirstSawTheRegistration() {
        now.addAndGet(Duration.ofHours(1).toNanos()); // the probe ran long before the node registered
        round();
        Target late = new Target("d", "127.0.0.4", 8080, T0.minus(Duration.ofDays(1)), false); // its own clock lags a day
        nodes.add(late);
        answers.put("127.0.0.4", PortAnswer.REFUSED);
        for (int i = 0; i < 10; i++) {
            round();
        }
        assertFalse(probe.down("d"), "another node's clock does not shorten the grace");
        round();
        round();
        assertTrue(probe.down("d"));
    }

    @Test
    void aNewRegistrationGetsItsOwnGrace() {
        answers.put("127.0.0.2", PortAnswer.REFUSED);
        for (int i = 0; i < 12; i++) {
            round();
        }
        assertTrue(probe.down("b"));
        nodes.set(0, new Target("b", "127.0.0.2", 8080, T0.plusSeconds(30), false)); // started again
        for (int i = 0; i < 10; i++) {
            round();
        }
        assertFalse(probe.down("b"), "the new start is within its own grace");
        round();
        round();
        assertTrue(probe.down("b"));
        assertEquals(3, changes.get(), "down, up again with the new registration, down");
    }

    @Test
    void aNodeKilledRightAfterItSaidItListensIsDownWithoutTheGrace() {
        answers.put("127.0.0.2", PortAnswer.REFUSED); // registered, starting: refusals within the grace say nothing
        round();
        round();
        assertFalse(probe.down("b"));
        // its port listens and its registration says so; it is killed before this probe ever saw it answer
        nodes.set(0, new Target("b", "127.0.0.2", 8080, T0, true));
        round();
        assertFalse(probe.down("b"), "one refusal is not enough");
        round();
        assertTrue(probe.down("b"), "found at once, 4 s after it was first seen, not after the 10 s grace");
        assertEquals(1, changes.get());
    }

    @Test
    void sayingThatItListensKeepsTheRefusalsCountedSoFar() {
        round(); // it answered once
        answers.put("127.0.0.2", PortAnswer.REFUSED);
        round();
        nodes.set(0, new Target("b", "127.0.0.2", 8080, T0, true)); // the same start, its registration rewritten
        round();
        assertTrue(probe.down("b"), "the same registration: the count goes on");
    }

    @Test
    void aPreviousStartsClaimDoesNotShortenANewStartsGrace() {
        nodes.set(0, new Target("b", "127.0.0.2", 8080, T0, true)); // the first start listened
        round();
        // it restarts: the new start's registration does not say it listens (only the start that wrote it can)
        nodes.set(0, new Target("b", "127.0.0.2", 8080, T0.plusSeconds(30), false));
        answers.put("127.0.0.2", PortAnswer.REFUSED);
        for (int i = 0; i < 10; i++) {
            round();
            assertFalse(probe.down("b"), "a starting node is not judged dead by its previous start's word (round " + i + ")");
        }
        round();
        round();
        assertTrue(probe.down("b"), "the grace still ends");
    }

    @Test
    void aRegistrationThatSaysItListensIsJudgedLikeAnyOtherOnceItAnswers() {
        nodes.set(0, new Target("b", "127.0.0.2", 8080, T0, true));
        round();
        answers.put("127.0.0.2", PortAnswer.UNKNOWN);
        for (int i = 0; i < 5; i++) {
            round();
        }
        assertFalse(probe.down("b"), "a timeout still says nothing, whatever the registration says");
        answers.put("127.0.0.2", PortAnswer.ACCEPTED);
        round();
        assertFalse(probe.down("b"));
        assertEquals(0, changes.get());
    }

    @Test
    void anAnswerBetweenRefusalsStartsTheCountAgain() {
        probe.probe();
        answers.put("127.0.0.2", PortAnswer.REFUSED);
        probe.probe();
        answers.put("127.0.0.2", PortAnswer.ACCEPTED);
        probe.probe();
        answers.put("127.0.0.2", PortAnswer.REFUSED);
        probe.probe();
        assertFalse(probe.down("b"));
    }

    @Test
    void timeoutsSayNothing() {
        probe.probe();
        answers.put("127.0.0.2", PortAnswer.UNKNOWN);
        for (int i = 0; i < 5; i++) {
            probe.probe();
        }
        assertFalse(probe.down("b"), "a partitioned node keeps its session; ZooKeeper decides");
        answers.put("127.0.0.2", PortAnswer.REFUSED);
        probe.probe();
        assertFalse(probe.down("b"), "a timeout is not a refusal, but it does not reset the count either");
        probe.probe();
        assertTrue(probe.down("b"));
    }

    @Test
    void aNodeThatAnswersAgainIsUp() {
        probe.probe();
        answers.put("127.0.0.2", PortAnswer.REFUSED);
        probe.probe();
        probe.probe();
        assertTrue(probe.down("b"));
        answers.put("127.0.0.2", PortAnswer.ACCEPTED);
        probe.probe();
        assertFalse(probe.down("b"));
        assertEquals(2, changes.get());
    }

    @Test
    void aNewRegistrationOfTheSameIdStartsAfresh() {
        probe.probe();
        answers.put("127.0.0.2", PortAnswer.REFUSED);
        probe.probe();
        probe.probe();
        assertTrue(probe.down("b"));
        nodes.set(0, new Target("b", "127.0.0.2", 8080, T0.plusSeconds(30), false));
        probe.probe();
        probe.probe();
        assertFalse(probe.down("b"), "the restarted node gets its own count, from its first answer");
        answers.put("127.0.0.2", PortAnswer.ACCEPTED);
        probe.probe();
        answers.put("127.0.0.2", PortAnswer.REFUSED);
        probe.probe();
        assertFalse(probe.down("b"));
        probe.probe();
        assertTrue(probe.down("b"));
    }

    @Test
    void aNodeThatLeftIsForgotten() {
        probe.probe();
        answers.put("127.0.0.2", PortAnswer.REFUSED);
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
        answers.put("127.0.0.2", PortAnswer.REFUSED);
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
                (a, p, t) -> PortAnswer.ACCEPTED, () -> true, () -> { }, GRACE, now::get));
        assertThrows(IllegalArgumentException.class, () -> new NodeProbe(List::of, Duration.ofSeconds(1), 0,
                (a, p, t) -> PortAnswer.ACCEPTED, () -> true, () -> { }, GRACE, now::get));
        assertThrows(IllegalArgumentException.class, () -> new NodeProbe(List::of, Duration.ofSeconds(1), 2,
                (a, p, t) -> PortAnswer.ACCEPTED, () -> true, () -> { }, Duration.ofSeconds(-1), now::get));
    }

    @Test
    void tcpTellsAListeningPortFromAClosedOne() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertEquals(PortAnswer.ACCEPTED, NodeProbe.tcp().connect("127.0.0.1", s.getLocalPort(), Duration.ofSeconds(1)));
            closed = s.getLocalPort();
        }
        assertEquals(PortAnswer.REFUSED, NodeProbe.tcp().connect("127.0.0.1", closed, Duration.ofSeconds(1)));
    }
}
