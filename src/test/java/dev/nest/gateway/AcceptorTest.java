package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pure decisions behind the gateway's accept loop and its timeouts. */
class AcceptorTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # open-file limit | connection cap
            0                 | 10000
            -1                | 10000
            256               | 16
            1024              | 384
            65536             | 32640
            1048576           | 524160
            """)
    void derivesTheConnectionCapFromTheOpenFileLimit(long fds, int cap) {
        assertEquals(cap, Acceptor.fromFileLimit(fds));
    }

    @Test
    void aConfiguredCapWins() {
        assertEquals(5, Acceptor.connectionLimit(5));
    }

    @Test
    void backsOffFrom10msDoublingTo1sAndStartsOverAfterAnAccept() {
        AcceptBackoff b = new AcceptBackoff();
        List<Long> pauses = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            pauses.add(b.next());
        }
        assertEquals(List.of(10L, 20L, 40L, 80L, 160L, 320L, 640L, 1000L, 1000L), pauses);
        b.reset();
        assertEquals(10L, b.next());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # failures at these seconds                | lines report these counts
            0                                          | 1
            0, 0.01, 0.03, 0.07                        | 1
            0, 5, 9.99, 10                             | 1, 3
            0, 10, 20, 20.5                            | 1, 1, 1
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 25   | 1, 10, 2
            """)
    void logsTheFirstFailureThenAtMostOneLinePerTenSecondsCountingTheRest(String at, String expected) {
        AcceptBackoff b = new AcceptBackoff();
        List<Long> lines = new ArrayList<>();
        for (String s : at.split(",")) {
            b.next();
            long n = b.failed((long) (Double.parseDouble(s.trim()) * 1e9));
            if (n > 0) {
                lines.add(n);
            }
            b.reset(); // an accept in between starts the back-off over, not the log's rate
        }
        assertEquals(expected, String.join(", ", lines.stream().map(String::valueOf).toList()));
        assertEquals(at.split(",").length, b.total());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # bytes in window | window ms | min rate (B/s) | too slow
            0                 | 10000     | 0              | true
            1                 | 10000     | 0              | false
            10239             | 10000     | 1024           | true
            10240             | 10000     | 1024           | false
            512               | 500       | 1024           | false
            511               | 500       | 1024           | true
            """)
    void aBodyIsTooSlowBelowTheMinimumRate(long bytes, long windowMs, long rate, boolean slow) {
        assertEquals(slow, ClientConnection.tooSlow(bytes, Duration.ofMillis(windowMs), rate));
    }

    @Test
    void pausesAcceptingAfterAFailureAndResumesAfterTheBackOff() {
        io.netty.channel.embedded.EmbeddedChannel server = new io.netty.channel.embedded.EmbeddedChannel(new Acceptor(10, () -> 0L));
        server.freezeTime();
        server.pipeline().fireExceptionCaught(new java.io.IOException("accept(..) failed: Too many open files"));
        assertEquals(false, server.config().isAutoRead(), "accepting paused");
        server.advanceTimeBy(AcceptBackoff.FIRST_MS - 1, java.util.concurrent.TimeUnit.MILLISECONDS);
        server.runScheduledPendingTasks();
        assertEquals(false, server.config().isAutoRead(), "still paused before the back-off ends");
        server.advanceTimeBy(1, java.util.concurrent.TimeUnit.MILLISECONDS);
        server.runScheduledPendingTasks();
        assertEquals(true, server.config().isAutoRead(), "accepting again");
        server.checkException(); // the failure was handled, not passed on
        server.finishAndReleaseAll();
    }

    @Test
    void closesAConnectionBeyondTheCapAtOnceAndCountsTheOthersUntilTheyClose() {
        Acceptor acceptor = new Acceptor(1, () -> 0L);
        io.netty.channel.embedded.EmbeddedChannel server = new io.netty.channel.embedded.EmbeddedChannel(acceptor);
        io.netty.channel.embedded.EmbeddedChannel first = new io.netty.channel.embedded.EmbeddedChannel();
        io.netty.channel.embedded.EmbeddedChannel second = new io.netty.channel.embedded.EmbeddedChannel();
        server.writeInbound(first);
        assertEquals(1, acceptor.open.get());
        server.writeInbound(second);
        assertEquals(false, second.isOpen(), "the connection beyond the cap is closed at once");
        assertEquals(1, acceptor.open.get());
        first.close();
        assertEquals(0, acceptor.open.get(), "a closed connection frees its place");
        server.finishAndReleaseAll();
    }
}
