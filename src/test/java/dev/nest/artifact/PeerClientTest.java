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
}
