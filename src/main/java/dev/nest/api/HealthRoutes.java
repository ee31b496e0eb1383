package dev.nest.api;

import dev.nest.cluster.Cluster;
import dev.nest.spi.DriverHealth;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.http.HttpRouting;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * {@code GET /health} ({@code ready} when the sandbox driver is healthy and ZooKeeper connected, else
 * {@code degraded}; always 200 once the node is up), {@code GET /health/ready} (the same decision as 200 or 503,
 * with no body, for load balancers and orchestrators; both open to anyone) and {@code GET /metrics} (Prometheus text
 * format 0.0.4, for a token with role viewer or above).
 */
record HealthRoutes(LocalNode node, ClusterView cluster, Supplier<String> metrics) implements ResourceRoutes {
    /** {@code GET /health}. */
    record Health(String status, String node, Driver driver, String cluster) {
    }

    /** The sandbox driver's name and health. */
    record Driver(String name, boolean healthy, String detail) {
    }

    @Override
    public String resource() {
        return "health";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get("/health", (req, res) -> Errors.json(res, 200, health()));
        r.get("/health/ready", (req, res) -> res.status(health().status().equals("ready") ? 200 : 503).send());
        r.get("/metrics", (req, res) -> {
            res.headers().contentType(HttpMediaType.create("text/plain; version=0.0.4; charset=utf-8"));
            res.send(metrics.get().getBytes(StandardCharsets.UTF_8));
        });
    }

    Health health() {
        DriverHealth driver = node.driverHealth();
        Cluster.State state = cluster.state();
        boolean ok = driver.healthy() && state == Cluster.State.CONNECTED;
        return new Health(ok ? "ready" : "degraded", cluster.nodeId(),
                new Driver(node.driverName(), driver.healthy(), driver.detail()), state.name());
    }
}
