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
}
