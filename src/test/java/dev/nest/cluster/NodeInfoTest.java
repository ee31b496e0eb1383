package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.common.Json;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The base URL other nodes call a node with, from the scheme it advertises. */
class NodeInfoTest {
    @ParameterizedTest
    @CsvSource({
            "https, https://10.0.0.2:8443",
            "http,  http://10.0.0.2:8443",
            "'',    http://10.0.0.2:8443",  // absent: a node of an older version, plain http
            "ftp,   http://10.0.0.2:8443",  // nothing but https turns TLS on
    })
    void urlUsesTheAdvertisedScheme(String scheme, String url) {
        Map<String, String> labels = scheme.isEmpty() ? Map.of(NodeInfo.MAX_PODS, "4") : Map.of(NodeInfo.SCHEME, scheme);
        NodeInfo n = new NodeInfo("n1", "10.0.0.2", 8443, "z", "r", "process", Instant.EPOCH, labels);
        assertEquals(url, n.url());
        // the scheme survives the registration's JSON (it is read back by the other nodes)
        assertEquals(url, Json.read(Json.bytes(n), NodeInfo.class).url());
    }
}
