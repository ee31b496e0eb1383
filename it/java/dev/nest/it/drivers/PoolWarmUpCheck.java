package dev.nest.it.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The warm-up of pool pods (ADR 0031, addendum "Warm-up of pool pods") seen from the first real function of a warmed
 * pod, on any driver: the pool warmed the pod before counting it, and the function sees no module, environment
 * variable or temporary file of the warm-up, its log stream holds only its own lines, and its invocation count is
 * its own. Shared by {@link PoolWarmUpIT} (process driver) and {@link ContainerdPoolWarmUpIT}.
 */
final class PoolWarmUpCheck implements AutoCloseable {
    static final String NODE_PROBE = """
            const fs = require('fs');
            const os = require('os');
            exports.handler = async () => {
              console.log('probe-line node');
              return {
                modules: Object.keys(require.cache).filter((k) => k.includes('nest-warmup')),
                env: Object.keys(process.env).filter((k) => k.includes('WARMUP')),
                tmp: fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('nest-warmup')),
              };
            };
            """;
    static final String JAVA_PROBE = """
            import dev.nest.fn.Context;
            import java.io.File;
            import java.util.ArrayList;
            import java.util.List;
            import java.util.Map;

            public class Handler {
                public Object handle(Map<String, Object> event, Context context) {
                    context.logger().info("probe-line java");
                    List<String> tmp = new ArrayList<>();
                    String[] names = new File(System.getProperty("java.io.tmpdir")).list();
                    for (String n : names == null ? new String[0] : names) {
                        if (n.startsWith("nest-warmup")) tmp.add(n);
                    }
                    return Map.of("modules", List.of(), "env", List.copyOf(context.env().keySet()), "tmp", tmp);
                }
            }
            """;

    private final Logger logger = Logger.getLogger("dev.nest.sidecar.PoolPodFactory");
    private final Level level = logger.getLevel();
    final List<String> records = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r.getLevel() + " " + r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** Starts listening to the pool pod factory's records (before the node starts). */
    PoolWarmUpCheck() {
        logger.setLevel(Level.FINE);
        logger.addHandler(handler);
    }

    static JsonNode pool(Http http, String runtime) {
        for (JsonNode p : http.get("/api/v1/pools").json()) {
            if (p.path("runtime").asText().equals(runtime)) return p;
        }
        throw new AssertionError("no pool " + runtime);
    }

    /** Deploys a probe on {@code runtime} into a warmed pool pod and checks that it sees nothing of the warm-up. */
    void check(Http http, Path scratch, String runtime) {
        Poll.until("the " + runtime + " pool to fill", Duration.ofSeconds(120), () -> pool(http, runtime),
                p -> p.path("ready").asInt() == 1);
        assertTrue(records.stream().anyMatch(r -> r.contains("warmed up a " + runtime + " pool pod")),
                "the pool pod was warmed up (rebuild the runtime images from this tree if this fails on a container"
                        + " driver: distribution/images/build.sh): " + records);
        String name = "warm-probe-" + runtime;
        boolean java = runtime.equals("java");
        byte[] zip = Fixtures.zip(scratch, java ? Map.of("Handler.java", JAVA_PROBE) : Map.of("index.js", NODE_PROBE));
        http.deploy(name, Map.of("runtime", runtime, "deploy", "dedicated", "handler", java ? "Handler" : "index.handler",
                "timeout", "20s", "scaling", Map.of("keep-alive", "10m")), zip);
        Http.Response r = http.get("/fn/" + name);
        assertEquals(200, r.status(), r::toString);
        assertEquals("true", r.header("x-nest-cold").orElse(""), r::toString);
        String id = r.header("x-nest-invocation-id").orElseThrow();
        JsonNode phases = http.get("/api/v1/invocations/" + id).json().path("invocation").path("phases");
        assertTrue(phases.has("pool"), "served by the warmed pool pod: " + phases);
        assertEquals("[]", r.json().path("modules").toString(), "no module of the warm-up: " + r.text());
        assertEquals("[]", r.json().path("env").toString(), "no environment of the warm-up: " + r.text());
        assertEquals("[]", r.json().path("tmp").toString(), "no file of the warm-up: " + r.text());

        JsonNode logs = Poll.until("the probe's log line", () -> http.get("/api/v1/functions/" + name + "/logs?limit=1000")
                .json().path("logs"), l -> l.toString().contains("probe-line"));
        assertFalse(logs.toString().contains("warm-up") || logs.toString().contains("training")
                || logs.toString().contains("nest-warmup"), "only the function's own lines: " + logs);
        int lines = 0;
        for (JsonNode l : logs) {
            if (l.toString().contains("probe-line")) lines++;
        }
        assertEquals(1, lines, logs::toString);
        String metrics = http.get("/metrics").text();
        assertTrue(metrics.contains("nest_invocations_total{function=\"default/" + name + "\",status=\"200\"} 1\n"),
                "one invocation counted: " + metrics.lines().filter(s -> s.contains(name)).toList());
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setLevel(level);
    }
}
