package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Pods whose loopback port another process took between the allocator's check and the host's bind: the first two
 * starts of each runtime find their port taken ({@link SquattingDriverProvider} listens on it just before the
 * {@code process} driver launches the host), the host exits with the port-in-use status, and the node agent starts it
 * again on another port, so that the function answers 200 instead of 502. No warm pools, so that the squatted starts
 * are the functions' own cold starts.
 */
class PortRebindIT {
    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .settings("""
                    sidecar:
                      driver: squatting
                      pool: {nodejs: 0, java: 0}
                      drivers:
                        squatting: {squat: "2"}
                    """)
            .functions(PortRebindIT::writeFunctions);
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        Fixtures.nodeFunction(functions, "rebind", "", "exports.handler = async () => ({ lang: 'node', port: process.env.NEST_HOST_PORT });\n");
        Fixtures.write(functions, "rebindj/Handler.java", """
                import dev.nest.fn.Context;
                import java.util.Map;

                public class Handler {
                    public Map<String, Object> handle(Map<String, Object> event, Context context) {
                        return Map.of("lang", "java", "port", String.valueOf(System.getenv("NEST_HOST_PORT")));
                    }
                }
                """);
        Fixtures.write(functions, "rebindj.yaml", "name: rebindj\nruntime: java\ncode: rebindj\nhandler: Handler\nmemory: 256\n");
    }

    @Test
    void aNodeHostWhosePortWasTakenIsStartedOnAnotherPort() {
        assertServedAfterTwoTakenPorts("rebind", "node", "nodejs");
    }

    @Test
    void aJavaHostWhosePortWasTakenIsStartedOnAnotherPort() {
        assertServedAfterTwoTakenPorts("rebindj", "java", "java");
    }

    private static void assertServedAfterTwoTakenPorts(String function, String lang, String runtime) {
        Http.Response r = http.get("/fn/" + function);
        assertEquals(200, r.status(), r::toString);
        assertEquals(lang, r.json().path("lang").asText(), r::toString);
        int servedOn = Integer.parseInt(r.json().path("port").asText());

        JsonNode instances = http.get("/api/v1/functions/" + function + "/instances").json();
        assertEquals(1, instances.size(), instances::toString);
        JsonNode instance = instances.get(0);
        assertEquals(servedOn, instance.path("port").asInt(), instance::toString);
        List<Integer> squatted = SquattingDriverProvider.squatted(runtime);
        assertEquals(2, squatted.size(), "the first two starts found their port taken: " + squatted);
        assertFalse(squatted.contains(servedOn), "served on a port nobody else holds: " + servedOn + " / " + squatted);
        assertEquals(200, http.get("/fn/" + function).status(), "and it keeps serving");
    }
}
