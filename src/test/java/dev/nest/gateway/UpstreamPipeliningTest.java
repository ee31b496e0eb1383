package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.sidecar.HostClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests of one turn of the loop pipelined on one pooled connection to a runtime host ({@link Upstream}, up to
 * the depth the transport was made with): answers in order, and the no-replay rule when the host dies, a deadline
 * passes or an answer streams.
 */
class UpstreamPipeliningTest {
    private static final long BOUND = TimeUnit.SECONDS.toNanos(FakeHost.BOUND_S);

    private Transport transport;
    private EventLoop loop;
    private FakeHost host;
    private HostClient client;

    /** What one exchange ended with. */
    record Outcome(int status, String body, IOException error, boolean timedOut) {
    }

    /** One exchange to start: its target, how long its deadline is from the turn, whether it streams its answer. */
    record Ask(String target, long timeoutNanos, boolean streams) {
        static Ask of(String target) {
            return new Ask(target, BOUND, false);
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        transport = new Transport(1, 4, java.util.Optional.empty());
        loop = transport.loop(transport.group.next());
        host = new FakeHost();
        host.handler = (request, out) -> {
            FakeHost.write(out, 200, "answer to " + request.target(), false);
            return true;
        };
        client = new HostClient("127.0.0.1", host.port(), "s");
    }

    @AfterEach
    void tearDown() throws IOException {
        transport.close();
        host.close();
    }

    private static ByteBuf post(String target) {
        return Unpooled.copiedBuffer("POST " + target + " HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n",
                StandardCharsets.US_ASCII);
    }

    /** Starts every exchange in one task of the loop (so in one turn), returns their outcomes' futures in order. */
    private List<CompletableFuture<Outcome>> turn(Ask... asks) {
        List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < asks.length; i++) {
            outcomes.add(new CompletableFuture<>());
        }
        loop.execute(() -> {
            long now = System.nanoTime();
            for (int i = 0; i < asks.length; i++) {
                Ask a = asks[i];
                CompletableFuture<Outcome> f = outcomes.get(i);
                loop.upstream.exchange(client, post(a.target()), false, now + a.timeoutNanos(), new Upstream.Callback() {
                    final StringBuilder streamed = new StringBuilder();

                    @Override
                    public void done(UpstreamResponse r) {
                        String body = new String(r.bodyBytes(), StandardCharsets.UTF_8);
                        f.complete(new Outcome(r.status, streamed + body, null, false));
                        r.release();
                    }

                    @Override
                    public void failed(IOException error, boolean timedOut) {
                        f.complete(new Outcome(0, "", error, timedOut));
                    }

                    @Override
                    public boolean streams(int status, HttpHeaders headers) {
                        return a.streams();
                    }

                    @Override
                    public boolean part(ByteBuf content) {
                        streamed.append(content.toString(StandardCharsets.UTF_8));
                        content.release();
                        return true;
                    }

                    @Override
                    public boolean pipelines() {
                        return !a.streams();
                    }
                });
            }
        });
        return outcomes;
    }

    private static Outcome get(CompletableFuture<Outcome> f) throws Exception {
        return f.get(FakeHost.BOUND_S, TimeUnit.SECONDS);
    }

    /** One exchange alone, so that a connection is pooled for the next turn. */
    private void warm() throws Exception {
        assertEquals(new Outcome(200, "answer to /warm", null, false), get(turn(Ask.of("/warm")).get(0)));
        assertEquals("/warm", host.take().target());
    }

    @Test
    void requestsOfOneTurnGoOnThePooledConnectionAndTheirAnswersComeBackInOrder() throws Exception {
        warm();
        List<CompletableFuture<Outcome>> out = turn(Ask.of("/a"), Ask.of("/b"), Ask.of("/c"));
        for (String t : List.of("/a", "/b", "/c")) {
            assertEquals(new Outcome(200, "answer to " + t, null, false), get(out.get("/a/b/c".indexOf(t) / 2)));
        }
        assertEquals(1, host.connections.get(), "one connection carried the warm-up and the three");
        for (String t : List.of("/a", "/b", "/c")) {
            FakeHost.Request r = host.take();
            assertEquals(t, r.target());
            assertEquals(1, r.connection());
        }
        // the connection is pooled again once the last answer is in
        assertEquals(new Outcome(200, "answer to /d", null, false), get(turn(Ask.of("/d")).get(0)));
        assertEquals(1, host.connections.get());
    }

    @Test
    void noMoreThanTheDepthIsPipelinedOnOneConnection() throws Exception {
        warm();
        List<CompletableFuture<Outcome>> out = turn(Ask.of("/1"), Ask.of("/2"), Ask.of("/3"), Ask.of("/4"),
                Ask.of("/5"));
        for (int i = 0; i < 5; i++) {
            assertEquals(new Outcome(200, "answer to /" + (i + 1), null, false), get(out.get(i)));
        }
        assertEquals(2, host.connections.get(), "four on the pooled connection, the fifth on a new one");
    }

    @Test
    void aHostThatDiesWithABatchInFlightGetsNoRequestAgain() throws Exception {
        warm();
        CountDownLatch died = new CountDownLatch(1);
        host.handler = (request, out) -> {
            if (request.target().equals("/a")) {
                died.countDown();
                return false; // the host dies with /a (and /b behind it, written) in flight
            }
            FakeHost.write(out, 200, "answer to " + request.target(), false);
            return true;
        };
        List<CompletableFuture<Outcome>> out = turn(Ask.of("/a"), Ask.of("/b"));
        Outcome a = get(out.get(0));
        Outcome b = get(out.get(1));
        assertTrue(died.await(FakeHost.BOUND_S, TimeUnit.SECONDS));
        for (Outcome o : List.of(a, b)) {
            assertNotNull(o.error(), "failed: " + o);
            assertFalse(o.error() instanceof Upstream.NothingSent, "written, so possibly started: " + o.error());
            assertFalse(o.timedOut());
        }
        assertEquals("/a", host.take().target());
        // nothing was sent again: the host (still listening) receives no request after /a
        assertEquals(new Outcome(200, "answer to /after", null, false), get(turn(Ask.of("/after")).get(0)));
        assertEquals("/after", host.take().target());
        assertTrue(host.requests.isEmpty(), "no request was resent: " + host.requests);
    }

    @Test
    void theSecondRequestOfABatchTimesOutAtItsOwnDeadline() throws Exception {
        warm();
        CountDownLatch release = new CountDownLatch(1);
        host.handler = (request, out) -> {
            if (request.target().equals("/slow")) {
                try {
                    release.await(FakeHost.BOUND_S, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return false;
            }
            FakeHost.write(out, 200, "answer to " + request.target(), false);
            return true;
        };
        // /fast is answered; /slow, behind it, has a short deadline and no answer
        List<CompletableFuture<Outcome>> out = turn(Ask.of("/fast"), new Ask("/slow", TimeUnit.MILLISECONDS.toNanos(200), false));
        assertEquals(new Outcome(200, "answer to /fast", null, false), get(out.get(0)));
        Outcome slow = get(out.get(1));
        release.countDown();
        assertInstanceOf(Upstream.HostTimeout.class, slow.error());
        assertTrue(slow.timedOut());
    }

    @Test
    void aDeadlineBehindAnUnansweredRequestFailsItAsTimedOutAndTheOneBeforeAsPossiblyStarted() throws Exception {
        warm();
        CountDownLatch release = new CountDownLatch(1);
        host.handler = (request, out) -> {
            try {
                release.await(FakeHost.BOUND_S, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        };
        List<CompletableFuture<Outcome>> out = turn(Ask.of("/long"), new Ask("/short", TimeUnit.MILLISECONDS.toNanos(200), false));
        Outcome shortOne = get(out.get(1));
        Outcome longOne = get(out.get(0));
        release.countDown();
        assertInstanceOf(Upstream.HostTimeout.class, shortOne.error());
        assertTrue(shortOne.timedOut());
        assertFalse(longOne.timedOut(), "its own deadline had not passed");
        assertNotNull(longOne.error());
        assertFalse(longOne.error() instanceof Upstream.NothingSent, "it was written: " + longOne.error());
    }

    @Test
    void anExchangeThatStreamsIsNeverPipelined() throws Exception {
        warm();
        host.handler = (request, out) -> {
            FakeHost.write(out, 200, "answer to " + request.target(), false);
            return true;
        };
        List<CompletableFuture<Outcome>> out = turn(Ask.of("/a"), new Ask("/events", BOUND, true), Ask.of("/b"));
        assertEquals(new Outcome(200, "answer to /a", null, false), get(out.get(0)));
        assertEquals(new Outcome(200, "answer to /events", null, false), get(out.get(1)));
        assertEquals(new Outcome(200, "answer to /b", null, false), get(out.get(2)));
        // /a and /b on the pooled connection, the stream on one of its own
        assertEquals(2, host.connections.get());
        List<FakeHost.Request> got = List.of(host.take(), host.take(), host.take());
        for (FakeHost.Request r : got) {
            assertEquals(r.target().equals("/events") ? 2 : 1, r.connection(), "where " + r.target() + " went");
        }
    }

    @Test
    void withDepthOneNothingIsPipelined() throws Exception {
        transport.close();
        transport = new Transport(1, 1, java.util.Optional.empty());
        loop = transport.loop(transport.group.next());
        warm();
        List<CompletableFuture<Outcome>> out = turn(Ask.of("/a"), Ask.of("/b"));
        assertEquals(new Outcome(200, "answer to /a", null, false), get(out.get(0)));
        assertEquals(new Outcome(200, "answer to /b", null, false), get(out.get(1)));
        assertEquals(2, host.connections.get());
    }
}
