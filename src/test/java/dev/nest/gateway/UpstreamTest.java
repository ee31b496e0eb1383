package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Exchanges on pooled keep-alive connections to a {@link FakeHost}, from a running {@link EventLoop}. */
class UpstreamTest {
    private Transport transport;
    private EventLoop loop;
    private Upstream upstream;
    private FakeHost host;

    /** What one exchange ended with. */
    record Outcome(int status, String body, IOException error, boolean timedOut) {
    }

    @BeforeEach
    void setUp() throws IOException {
        transport = new Transport(1, java.util.Optional.empty());
        loop = transport.loop(transport.group.next());
        upstream = loop.upstream;
        host = new FakeHost();
    }

    @AfterEach
    void tearDown() throws IOException {
        transport.close();
        host.close();
    }

    private static ByteBuffer[] get(String target) {
        return new ByteBuffer[] {ByteBuffer.wrap(("GET " + target + " HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII))};
    }

    /** One exchange started on the loop, waited for within the bound. */
    private Outcome exchange(String target, long timeoutNanos) throws Exception {
        return exchange(get(target), false, timeoutNanos);
    }

    private Outcome exchange(ByteBuffer[] request, boolean head, long timeoutNanos) throws Exception {
        CompletableFuture<Outcome> f = new CompletableFuture<>();
        loop.execute(() -> upstream.exchange(host.port(), request, head, System.nanoTime() + timeoutNanos,
                new Upstream.Callback() {
                    @Override
                    public void done(UpstreamResponse r) {
                        f.complete(new Outcome(r.status, new String(r.bodyBytes(), StandardCharsets.UTF_8), null, false));
                        r.release();
                    }

                    @Override
                    public void failed(IOException error, boolean timedOut) {
                        f.complete(new Outcome(0, "", error, timedOut));
                    }
                }));
        return f.get(FakeHost.BOUND_S, TimeUnit.SECONDS);
    }

    private int idleOnLoop() throws Exception {
        CompletableFuture<Integer> n = new CompletableFuture<>();
        loop.execute(() -> n.complete(upstream.idleTo(host.port())));
        return n.get(FakeHost.BOUND_S, TimeUnit.SECONDS);
    }

    private Outcome exchange(String target) throws Exception {
        return exchange(target, TimeUnit.SECONDS.toNanos(FakeHost.BOUND_S));
    }

    @Test
    void reusesAPooledConnection() throws Exception {
        host.handler = FakeHost.answer(200, "pong");
        for (int i = 0; i < 3; i++) {
            assertEquals(new Outcome(200, "pong", null, false), exchange("/" + i));
        }
        assertEquals(1, host.connections.get());
        assertEquals(3, host.requests.size());
    }

    @Test
    void aBodyWronglySentWithAnAnswerToHeadIsNeverReadAsTheNextAnswer() throws Exception {
        // some servers (error pages) send the body of a HEAD answer anyway; it must not reach the next exchange
        host.handler = (request, out) -> {
            FakeHost.write(out, 404, request.target().equals("/head") ? "{\"error\":\"chunk not found\"}" : "next",
                    false);
            return true;
        };
        ByteBuffer[] head = {ByteBuffer.wrap("HEAD /head HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII))};
        assertEquals(new Outcome(404, "", null, false), exchange(head, true, TimeUnit.SECONDS.toNanos(FakeHost.BOUND_S)));
        assertEquals(new Outcome(404, "next", null, false), exchange("/after"));
        assertEquals(2, host.connections.get(), "the connection of the HEAD was not reused");
    }

    @Test
    void sendsOnANewConnectionWhenThePooledOneWasClosedWhileIdle() throws Exception {
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        host.handler = (request, out) -> {
            FakeHost.write(out, 200, "answer " + request.connection(), false);
            if (request.connection() == 1) {
                out.close(); // the host closes the connection the client keeps as idle
                closed.countDown();
                return false;
            }
            return true;
        };
        assertEquals("answer 1", exchange("/a").body());
        assertTrue(closed.await(FakeHost.BOUND_S, TimeUnit.SECONDS));
        // the loop has seen the close once the connection left the pool (before that, a request written into the
        // closing connection fails as one that may have reached the host, which is never sent again)
        long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(FakeHost.BOUND_S);
        while (idleOnLoop() > 0) {
            assertTrue(System.nanoTime() < bound, "the pooled connection's close was never seen");
            Thread.onSpinWait();
        }
        assertEquals(new Outcome(200, "answer 2", null, false), exchange("/b"));
        assertEquals(2, host.connections.get());
        assertEquals("/a", host.take().target());
        assertEquals("/b", host.take().target());
        assertTrue(host.requests.isEmpty(), "the request was sent once");
    }

    @Test
    void neverSendsARequestAgainOnceItWasWritten() throws Exception {
        host.handler = (request, out) -> {
            if (request.connection() == 1 && request.index() == 2) {
                return false; // took the request on the pooled connection, then closed it without an answer
            }
            FakeHost.write(out, 200, "answer " + request.connection(), false);
            return true;
        };
        assertEquals("answer 1", exchange("/a").body());
        Outcome o = exchange("/b");
        assertEquals(0, o.status());
        assertFalse(o.error() instanceof Upstream.NothingSent, String.valueOf(o.error()));
        assertEquals("/a", host.take().target());
        assertEquals("/b", host.take().target());
        assertTrue(host.requests.isEmpty(), "the request was not sent again");
        assertEquals(1, host.connections.get());
    }

    @Test
    void reportsAFreshConnectionClosedBeforeAnyAnswer() throws Exception {
        host.handler = (request, out) -> false;
        Outcome o = exchange("/a");
        assertInstanceOf(EOFException.class, o.error());
        assertFalse(o.timedOut());
        assertEquals(1, host.connections.get());
    }

    @Test
    void reportsAResponseCutShort() throws Exception {
        host.handler = (request, out) -> {
            out.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return false;
        };
        Outcome o = exchange("/a");
        assertInstanceOf(EOFException.class, o.error());
        assertFalse(o.timedOut());
    }

    @Test
    void reportsATimeoutAtTheDeadline() throws Exception {
        host.handler = host.hang();
        Outcome o = exchange("/a", TimeUnit.MILLISECONDS.toNanos(20));
        assertInstanceOf(Upstream.HostTimeout.class, o.error());
        assertTrue(o.timedOut());
    }

    @Test
    void aPooledConnectionTimesOutAtAnEarlierDeadlineThanItsTimerWaitsFor() throws Exception {
        assertEquals(200, exchange("/a").status()); // its timer waits for a deadline BOUND_S away
        host.handler = host.hang();
        Outcome o = exchange("/b", TimeUnit.MILLISECONDS.toNanos(20));
        assertInstanceOf(Upstream.HostTimeout.class, o.error());
        assertTrue(o.timedOut());
        assertEquals(1, host.connections.get(), "the second exchange ran on the pooled connection");
    }

    @Test
    void aPooledConnectionsEarlierTimerDoesNotEndALaterExchange() throws Exception {
        long firstDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1); // its timer fires then
        assertEquals(200, exchange("/a", firstDeadline - System.nanoTime()).status());
        java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
        host.handler = (request, out) -> {
            try {
                answer.await(FakeHost.BOUND_S, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FakeHost.write(out, 200, "late", false);
            return true;
        };
        CompletableFuture<Outcome> second = CompletableFuture.supplyAsync(() -> {
            try {
                return exchange("/b");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        host.take();
        host.take(); // the second request reached the host; let the first exchange's deadline pass, then answer
        while (System.nanoTime() - firstDeadline < TimeUnit.MILLISECONDS.toNanos(100)) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        answer.countDown();
        Outcome o = second.get(FakeHost.BOUND_S, TimeUnit.SECONDS);
        assertEquals(200, o.status(), String.valueOf(o.error()));
        assertEquals("late", o.body());
        assertEquals(1, host.connections.get());
    }

    @Test
    void opensANewConnectionAfterForget() throws Exception {
        assertEquals(200, exchange("/a").status());
        loop.execute(() -> upstream.forget(host.port()));
        assertEquals(200, exchange("/b").status());
        assertEquals(2, host.connections.get());
    }
}
