package dev.nest.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The HTTP transport sends the peer headers, and a refusal is an error. */
class LoadReporterHttpTest {
    @Test
    void aReportCarriesThePeerHeaders() throws IOException {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext(LoadReporter.PATH, ex -> {
            String peer = ex.getRequestHeaders().getFirst("X-Nest-Peer");
            seen.add(ex.getRequestMethod() + " " + peer);
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders("v1".equals(peer) ? 204 : 401, -1);
            ex.close();
        });
        s.start();
        try {
            URI leader = URI.create("http://127.0.0.1:" + s.getAddress().getPort());
            LoadReporter.http(() -> Map.of("X-Nest-Peer", "v1")).send(leader, "{}".getBytes());
            assertThrows(IOException.class, () -> LoadReporter.http(Map::of).send(leader, "{}".getBytes()));
            assertEquals(List.of("POST v1", "POST null"), seen);
        } finally {
            s.stop(0);
        }
    }
}
