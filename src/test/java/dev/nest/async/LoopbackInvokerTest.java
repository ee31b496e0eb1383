package dev.nest.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Deliveries over a real loopback HTTP connection to a stand-in for the gateway. */
class LoopbackInvokerTest {
    private final BlockingQueue<String> seen = new ArrayBlockingQueue<>(10);
    private HttpServer gateway;
    private volatile int status = 200;
    private volatile String answer = "done";

    @BeforeEach
    void start() throws IOException {
        gateway = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        gateway.createContext("/", x -> {
            seen.add(x.getRequestMethod() + " " + x.getRequestURI() + " trace=" + x.getRequestHeaders().getFirst("traceparent")
                    + " delivery=" + x.getRequestHeaders().getFirst(AsyncIngress.DELIVERY)
                    + " body=" + new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] b = answer.getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(status, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        gateway.start();
    }

    @AfterEach
    void stop() {
        gateway.stop(0);
    }

    private Outcome deliver() throws Exception {
        AsyncIngress ingress = new AsyncIngress(null, AsyncConfig.DEFAULTS, Clock.systemUTC(), () -> { }, "tok");
        LoopbackInvoker invoker = new LoopbackInvoker("0.0.0.0", () -> gateway.getAddress().getPort(), ingress,
                Clock.systemUTC());
        FunctionSpec spec = new FunctionSpec(FunctionId.of("team", "f"), "nodejs", "", 128, Duration.ofSeconds(5), 1,
                Map.of(), new ScalingSpec(0, 2, Duration.ofMinutes(1)), QueueSpec.DEFAULT);
        FunctionVersion v = new FunctionVersion(1, "sha256:00", spec, Instant.EPOCH, "test");
        Event e = new Event(new NewEvent("id1", "team/f", "PUT", "/a/b", "x=1", List.of("traceparent", "00-t-s-01"),
                "in".getBytes(StandardCharsets.UTF_8), Optional.empty(), Instant.EPOCH), 0, 0, Instant.EPOCH);
        return invoker.deliver(e, v).get(10, TimeUnit.SECONDS);
    }

    @Test
    void sendsTheStoredRequestToTheFunctionsUrlMarkedAsADelivery() throws Exception {
        Outcome.Answered a = assertInstanceOf(Outcome.Answered.class, deliver());
        assertEquals(200, a.status());
        assertEquals("done", new String(a.body(), StandardCharsets.UTF_8));
        assertEquals("PUT /ns/team/fn/f/a/b?x=1 trace=00-t-s-01 delivery=id1 tok body=in", seen.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void nestsOwnRefusalIsAdmission() throws Exception {
        status = 429;
        answer = "{\"error\":\"too many requests\",\"detail\":\"queue full\"}";
        assertInstanceOf(Outcome.Refused.class, deliver());
    }

    @Test
    void noGatewayIsUnreachable() throws Exception {
        gateway.stop(0);
        Outcome.Unreachable u = assertInstanceOf(Outcome.Unreachable.class, deliver());
        assertTrue(u.error().contains("no answer"), u.error());
    }
}
