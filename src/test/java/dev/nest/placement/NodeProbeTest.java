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
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NodeProbeTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final List<Target> nodes = new ArrayList<>(List.of(new Target("b", "127.0.0.2", 8080, T0),
            new Target("c", "127.0.0.3", 8080, T0)));
    private final Map<String, Answer> answers = new HashMap<>(Map.of("127.0.0.2", Answer.ACCEPTED, "127.0.0.3", Answer.ACCEPTED));
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
        assertFalse(probe.down("b"), "a node still starting, within its start grace, is not dead");
        assertEquals(0, changes.get());
        answers.put("127.0.0.2", Answer.ACCEPTED);
        probe.probe();
        answers.put("127.0.0.2", Answer.REFUSED);
        probe.probe();
        probe.probe();
        assertTrue(probe.down("b"), "once it answered, its refusals count");
    }

    @Test
    void aRegistrationThatNeverAnswersIsDownOnceTheGraceHasPassed() {
        answers.put("127.0.0.2", Answer.REFUSED); // killed during its own start: its port never listens
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
        answers.put("127.0.0.2", Answer.REFUSED); // a slow start
        for (int i = 0; i < 9; i++) {
            round();
        }
        answers.put("127.0.0.2", Answer.ACCEPTED); // it listens at 9 s
        round();
        assertFalse(probe.down("b"));
        answers.put("127.0.0.2", Answer.REFUSED); // then dies: counted like any node that answered
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
        Target late = new Target("d", "127.0.0.4", 8080, T0.minus(Duration.ofDays(1))); // its own clock lags a day
        nodes.add(late);
        answers.put("127.0.0.4", Answer.REFUSED);
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
        answers.put("127.0.0.2", Answer.REFUSED);
        for (int i = 0; i < 12; i++) {
            round();
        }
        assertTrue(probe.down("b"));
        nodes.set(0, new Target("b", "127.0.0.2", 8080, T0.plusSeconds(30))); // started again
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
                (a, p, t) -> Answer.ACCEPTED, () -> true, () -> { }, GRACE, now::get));
        assertThrows(IllegalArgumentException.class, () -> new NodeProbe(List::of, Duration.ofSeconds(1), 0,
                (a, p, t) -> Answer.ACCEPTED, () -> true, () -> { }, GRACE, now::get));
        assertThrows(IllegalArgumentException.class, () -> new NodeProbe(List::of, Duration.ofSeconds(1), 2,
                (a, p, t) -> Answer.ACCEPTED, () -> true, () -> { }, Duration.ofSeconds(-1), now::get));
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
