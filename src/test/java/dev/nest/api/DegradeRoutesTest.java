package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.common.Rate;
import dev.nest.function.DegradeSpec;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.LimitsSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/v1/functions/{name}/degrade} before any call reached the breaker (its state is the gateway's). */
class DegradeRoutesTest {
    @TempDir
    Path dir;
    private AdminApiFixture api;

    @BeforeEach
    void start() {
        api = new AdminApiFixture(dir).start();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private void deploy(FunctionId id, LimitsSpec limits, Optional<DegradeSpec> degrade) {
        FunctionSpec spec = new FunctionSpec(id, "fake", "", 128, Duration.ofSeconds(5), 1, Map.of(),
                new ScalingSpec(0, 1, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(5)))
                .withProtection(limits, degrade);
        api.registry.put(FunctionRecord.empty(id, "api", AdminApiFixture.T0)
                .withNewVersion("sha256:" + "b".repeat(64), spec, "api", AdminApiFixture.T0, true));
    }

    @Test
    void showsTheConfiguredBreakerAndLimitClosedUntilCalled() throws Exception {
        deploy(FunctionId.of("shop", "cart"), LimitsSpec.of(Rate.parse("100/s")), Optional.of(new DegradeSpec(
                OptionalInt.of(50), Optional.empty(), 99, Duration.ofSeconds(30), 20, Duration.ofSeconds(30), 3,
                Optional.empty())));
        HttpResponse<String> r = api.send("GET", "/api/v1/functions/cart/degrade?namespace=shop", "");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode b = Json.mapper().readTree(r.body());
        assertEquals("closed", b.get("state").asText());
        assertEquals("50%", b.get("config").get("error-rate").asText());
        assertEquals("100/s", b.get("limits").get("rate").asText());
        assertEquals(0, b.get("transitions").size());
        assertTrue(b.has("node"));
    }

    @Test
    void aFunctionWithoutABreakerSaysNoneAndAnUnknownOneIs404() throws Exception {
        deploy(FunctionId.of("default", "plain"), LimitsSpec.NONE, Optional.empty());
        HttpResponse<String> r = api.send("GET", "/api/v1/functions/plain/degrade", "");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("none", Json.mapper().readTree(r.body()).get("state").asText());
        assertTrue(Json.mapper().readTree(r.body()).get("config").isNull());
        assertEquals(404, api.send("GET", "/api/v1/functions/nope/degrade", "").statusCode());
    }
}
