package dev.nest.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.store.LogLine;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogStreamTest {
    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");

    /** Records what is written; fails once {@code polls} are used up (the client goes). */
    private static final class Client implements LogStream.Sink {
        final StringBuilder text = new StringBuilder();
        int flushes;

        @Override
        public void write(String s) {
            text.append(s);
        }

        @Override
        public void flush() {
            flushes++;
        }
    }

    private static NodeLine line(String node, long seq, String text) {
        return new NodeLine(node, seq, new LogLine(T0.plusSeconds(seq), "default/a", 2, "inv1", "i",
                seq % 2 == 0 ? "error" : "info", text));
    }

    @Test
    void linesAreEventsWithResumableIdsThenIdOnlyEventsHeartbeatsAndTheStreamEndsWhenTheClientGoes() {
        FollowPositions start = FollowPositions.none().with("a", 0).with("b", 5);
        Deque<RegionHistory.Poll> polls = new ArrayDeque<>(List.of(
                new RegionHistory.Poll(start, List.of(line("a", 1, "one"), line("b", 6, "two\nlines")),
                        start.with("a", 1).with("b", 6), List.of()),
                new RegionHistory.Poll(start.with("a", 1).with("b", 6), List.of(),
                        start.with("a", 4).with("b", 6), List.of("c")),
                new RegionHistory.Poll(start.with("a", 4).with("b", 6), List.of(), start.with("a", 4).with("b", 6),
                        List.of("c")),
                new RegionHistory.Poll(start.with("a", 4).with("b", 6), List.of(), start.with("a", 4).with("b", 6),
                        List.of("c"))));
        List<FollowPositions> asked = new ArrayList<>();
        Client client = new Client();
        LogStream stream = new LogStream(1, Duration.ofSeconds(1), Duration.ofSeconds(2), d -> { });
        stream.run(start, at -> {
            asked.add(at);
            if (polls.isEmpty()) {
                throw new java.io.UncheckedIOException(new IOException("client went"));
            }
            return polls.poll();
        }, client);
        String id1 = start.with("a", 1).id();
        String id2 = start.with("a", 1).with("b", 6).id();
        String expected = ": following\n\n"
                + "id: " + id1 + "\ndata: {\"at\":\"2025-06-01T12:00:01Z\",\"function\":\"default/a\",\"version\":2,"
                + "\"invocation\":\"inv1\",\"stream\":\"stdout\",\"line\":\"one\",\"node\":\"a\",\"level\":\"info\"}\n\n"
                + "id: " + id2 + "\ndata: {\"at\":\"2025-06-01T12:00:06Z\",\"function\":\"default/a\",\"version\":2,"
                + "\"invocation\":\"inv1\",\"stream\":\"stderr\",\"line\":\"two\\nlines\",\"node\":\"b\",\"level\":\"error\"}\n\n"
                + "id: " + start.with("a", 4).with("b", 6).id() + "\n\n"
                + ": unreachable c\n\n"
                + ": keep-alive\n\n";
        assertEquals(expected, client.text.toString());
        assertEquals(List.of(start, start.with("a", 1).with("b", 6), start.with("a", 4).with("b", 6),
                start.with("a", 4).with("b", 6), start.with("a", 4).with("b", 6)), asked, "each poll goes on from the last");
    }

    @Test
    void followersAreBounded() {
        LogStream stream = new LogStream(2, Duration.ofSeconds(1), Duration.ofSeconds(15), d -> { });
        assertTrue(stream.tryStart());
        assertTrue(stream.tryStart());
        assertFalse(stream.tryStart());
        stream.done();
        assertTrue(stream.tryStart());
    }

    @Test
    void closingEndsARunningStreamAtItsNextPollAndRefusesNewOnes() {
        LogStream stream = new LogStream(2, Duration.ofSeconds(1), Duration.ofSeconds(15), d -> { });
        assertTrue(stream.tryStart());
        int[] polls = {0};
        stream.run(FollowPositions.none(), at -> {
            if (++polls[0] == 3) {
                stream.close(); // the node stops while the client is still there
            }
            return new RegionHistory.Poll(at, List.of(), at, List.of());
        }, new LogStream.Sink() {
            @Override
            public void write(String text) {
            }

            @Override
            public void flush() {
            }
        });
        assertEquals(3, polls[0], "the stream ended after the poll during which the node began to stop");
        assertTrue(stream.closed());
        stream.done();
        assertFalse(stream.tryStart(), "a stopping node takes no new follower");
    }

    @Test
    void aClientThatGoesWhileWritingEndsTheStream() {
        LogStream stream = new LogStream(1, Duration.ofSeconds(1), Duration.ofSeconds(15), d -> { });
        int[] polls = {0};
        stream.run(FollowPositions.none(), at -> {
            polls[0]++;
            return new RegionHistory.Poll(at, List.of(line("a", polls[0], "x")), at.with("a", polls[0]), List.of());
        }, new LogStream.Sink() {
            int writes;

            @Override
            public void write(String text) throws IOException {
                if (++writes > 3) {
                    throw new IOException("broken pipe");
                }
            }

            @Override
            public void flush() {
            }
        });
        assertEquals(3, polls[0]);
    }
}
