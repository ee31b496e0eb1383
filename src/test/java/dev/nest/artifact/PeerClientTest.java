package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class PeerClientTest {
    @Test
    void everyFetchCarriesTheHeadersGiven() throws IOException {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            seen.add(ex.getRequestHeaders().getFirst("X-Nest-Peer"));
            byte[] body = {1, 2, 3};
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        s.start();
        try {
            PeerClient client = new PeerClient(() -> Map.of("X-Nest-Peer", "v1"), java.util.Optional.empty());
            byte[] got = client.get("http://127.0.0.1:" + s.getAddress().getPort() + "/chunks/x", "chunk x", 10);
            assertArrayEquals(new byte[] {1, 2, 3}, got);
            assertEquals(List.of("v1"), seen);
        } finally {
            s.stop(0);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "blocking {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void bothClientsCarryTheHeadersAndRefuseWhatThePeerGetsWrong(boolean blocking) throws IOException {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            seen.add(ex.getRequestHeaders().getFirst("X-Nest-Peer"));
            String p = ex.getRequestURI().getPath();
            byte[] body = p.endsWith("/big") ? new byte[20] : new byte[] {1, 2, 3};
            ex.sendResponseHeaders(p.endsWith("/missing") ? 404 : 200, p.endsWith("/missing") ? -1 : body.length);
            if (!p.endsWith("/missing")) {
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        s.start();
        try {
            PeerClient client = new PeerClient(() -> Map.of("X-Nest-Peer", "v2"), java.util.Optional.empty(), blocking);
            String base = "http://127.0.0.1:" + s.getAddress().getPort();
            assertArrayEquals(new byte[] {1, 2, 3}, client.get(base + "/chunks/x", "chunk x", 10));
            assertArrayEquals(new byte[] {1, 2, 3}, client.get(base + "/chunks/y", "chunk y", 10), "the connection is reused");
            ArtifactException tooBig = org.junit.jupiter.api.Assertions.assertThrows(ArtifactException.class,
                    () -> client.get(base + "/chunks/big", "chunk big", 10));
            assertEquals(502, tooBig.status());
            ArtifactException missing = org.junit.jupiter.api.Assertions.assertThrows(ArtifactException.class,
                    () -> client.get(base + "/chunks/missing", "chunk missing", 10));
            assertEquals(502, missing.status());
            org.junit.jupiter.api.Assertions.assertTrue(missing.getMessage().contains("404"), missing.getMessage());
            assertArrayEquals(new byte[] {1, 2, 3}, client.get(base + "/chunks/z", "chunk z", 10), "still usable after errors");
            assertEquals(List.of("v2", "v2", "v2", "v2", "v2"), seen);
        } finally {
            s.stop(0);
        }
    }

    /** What a hostile peer does with the chunk it was asked for. */
    enum Hostile {
        /** Announces more bytes than the chunk's declared size. */
        ANNOUNCES_TOO_MUCH,
        /** Announces no length (chunked transfer) and sends more than the chunk's declared size. */
        SENDS_TOO_MUCH,
        /** Announces the length, sends part of it and closes the connection. */
        TRUNCATES,
        /** Sends the declared size, but other bytes than the chunk's. */
        WRONG_BYTES,
        /** Sends the headers, then nothing. */
        STALLS
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> hostile() {
        // (peer, client is blocking, status expected, words of the message)
        return java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(Hostile.ANNOUNCES_TOO_MUCH, true, 502, "announced 20 bytes"),
                org.junit.jupiter.params.provider.Arguments.of(Hostile.ANNOUNCES_TOO_MUCH, false, 502, "announced 20 bytes"),
                org.junit.jupiter.params.provider.Arguments.of(Hostile.SENDS_TOO_MUCH, true, 502, "more than the 10 bytes"),
                org.junit.jupiter.params.provider.Arguments.of(Hostile.SENDS_TOO_MUCH, false, 502, "more than the 10 bytes"),
                org.junit.jupiter.params.provider.Arguments.of(Hostile.TRUNCATES, true, 502, "chunk x"),
                org.junit.jupiter.params.provider.Arguments.of(Hostile.TRUNCATES, false, 502, "chunk x"),
                org.junit.jupiter.params.provider.Arguments.of(Hostile.WRONG_BYTES, true, 400, "is corrupt"),
                org.junit.jupiter.params.provider.Arguments.of(Hostile.WRONG_BYTES, false, 400, "is corrupt"),
                // the HttpClient has no timeout per read of a body: only the blocking client (the default) is tested
                org.junit.jupiter.params.provider.Arguments.of(Hostile.STALLS, true, 502, "timed out"));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}, blocking {1}: {2}")
    @org.junit.jupiter.params.provider.MethodSource("hostile")
    void aHostilePeerFailsTheChunkClearlyAndNeverHangs(Hostile peer, boolean blocking, int status, String words) throws Exception {
        byte[] chunk = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        String sha = java.util.HexFormat.of().formatHex(Digests.sha256().digest(chunk));
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        // closed in reverse order: the server socket first (the accept loop ends), then the executor waits for it
        try (var exec = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
             java.net.ServerSocket server = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            exec.submit(() -> {
                while (true) {
                    java.net.Socket sock = server.accept();
                    exec.submit(() -> serveHostile(sock, peer, chunk, done));
                }
            });
            PeerClient client = new PeerClient(Map::of, java.util.Optional.empty(), blocking, System::nanoTime,
                    java.time.Duration.ofMillis(300), java.time.Duration.ofSeconds(30));
            try {
                ArtifactException e = org.junit.jupiter.api.Assertions.assertThrows(ArtifactException.class,
                        () -> client.getChunk("http://127.0.0.1:" + server.getLocalPort() + "/chunks/x", "chunk x", chunk.length, sha));
                assertEquals(status, e.status(), e.getMessage());
                org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(words), e.getMessage());
            } finally {
                done.countDown();
            }
        }
    }

    private static Void serveHostile(java.net.Socket sock, Hostile peer, byte[] chunk, java.util.concurrent.CountDownLatch done)
            throws Exception {
        try (sock) {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(sock.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                // the request's headers
            }
            var out = sock.getOutputStream();
            byte[] wrong = chunk.clone();
            wrong[3] ^= 1;
            switch (peer) {
                case ANNOUNCES_TOO_MUCH -> {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n".getBytes());
                    out.write(new byte[20]);
                }
                case SENDS_TOO_MUCH -> {
                    out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n".getBytes());
                    out.write(new byte[20]);
                    out.write("\r\n0\r\n\r\n".getBytes());
                }
                case TRUNCATES -> {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n".getBytes());
                    out.write(chunk, 0, 4);
                }
                case WRONG_BYTES -> {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n".getBytes());
                    out.write(wrong);
                }
                case STALLS -> {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n".getBytes());
                    out.write(chunk, 0, 2);
                    out.flush();
                    done.await(); // until the client gave up
                }
            }
            out.flush();
        }
        return null;
    }

    @Test
    void aPeerSlowerThanTheDeadlineFailsTheChunk() throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            byte[] body = new byte[] {1, 2, 3};
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        s.start();
        try {
            long[] now = {0};
            // every reading of the clock is 40 s later: the first read already ends past the 30 s deadline
            PeerClient client = new PeerClient(Map::of, java.util.Optional.empty(), true, () -> now[0] += 40_000_000_000L,
                    java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(30));
            ArtifactException e = org.junit.jupiter.api.Assertions.assertThrows(ArtifactException.class,
                    () -> client.get("http://127.0.0.1:" + s.getAddress().getPort() + "/chunks/x", "chunk x", 10));
            assertEquals(502, e.status());
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("peer too slow"), e.getMessage());
        } finally {
            s.stop(0);
        }
    }

    @Test
    void aChunkIsCheckedAgainstItsDigestAsItArrives() throws IOException {
        byte[] big = new byte[(1 << 20) + 123];
        new java.util.Random(7).nextBytes(big);
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            ex.sendResponseHeaders(200, big.length);
            ex.getResponseBody().write(big);
            ex.close();
        });
        s.start();
        try {
            String sha = java.util.HexFormat.of().formatHex(Digests.sha256().digest(big));
            PeerClient client = new PeerClient(Map::of, java.util.Optional.empty());
            String url = "http://127.0.0.1:" + s.getAddress().getPort() + "/chunks/x";
            assertArrayEquals(big, client.getChunk(url, "chunk x", big.length, sha));
            ArtifactException e = org.junit.jupiter.api.Assertions.assertThrows(ArtifactException.class,
                    () -> client.getChunk(url, "chunk x", big.length, "00" + sha.substring(2)));
            assertEquals(400, e.status());
        } finally {
            s.stop(0);
        }
    }

    @Test
    void aChunkIsReceivedIntoTheArrayGivenForItsLengthAndOverwrittenWhole() throws IOException {
        byte[] body = new byte[300_000];
        new java.util.Random(11).nextBytes(body);
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        s.start();
        try {
            String sha = java.util.HexFormat.of().formatHex(Digests.sha256().digest(body));
            byte[] stale = new byte[body.length];
            java.util.Arrays.fill(stale, (byte) 0x5a);
            List<Integer> asked = new CopyOnWriteArrayList<>();
            for (boolean blocking : new boolean[] {true, false}) {
                PeerClient client = new PeerClient(Map::of, java.util.Optional.empty(), blocking, n -> {
                    asked.add(n);
                    return stale;
                });
                String url = "http://127.0.0.1:" + s.getAddress().getPort() + "/chunks/x";
                java.util.Arrays.fill(stale, (byte) 0x5a);
                byte[] got = client.getChunk(url, "chunk x", body.length, sha);
                org.junit.jupiter.api.Assertions.assertSame(stale, got);
                assertArrayEquals(body, got);
                // a manifest never goes into a kept array
                assertArrayEquals(body, client.get(url, "the manifest", body.length));
            }
            assertEquals(List.of(body.length, body.length), asked);
        } finally {
            s.stop(0);
        }
    }
}
