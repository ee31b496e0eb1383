package dev.nest.api;

import dev.nest.cluster.Cluster;
import dev.nest.plugin.PluginFailure;
import dev.nest.plugin.Plugins;
import dev.nest.spi.DriverHealth;
import dev.nest.trigger.TriggerProblem;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.http.HttpRouting;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code GET /health} ({@code ready} when the sandbox driver is healthy and ZooKeeper connected, else
 * {@code degraded}; always 200 once the node is up), {@code GET /health/ready} (the same decision as 200 or 503,
 * with no body, for load balancers and orchestrators; both open to anyone) and {@code GET /metrics} (Prometheus text
 * format 0.0.4, for a token with role viewer or above). {@code /health} also lists the node's plugins: each one
 * loaded (with the services it provides) or failed (with why); a failed plugin does not make the node degraded
 * (a feature it would provide, such as {@code async.queue: kafka}, fails the node's start instead).
 */
record HealthRoutes(LocalNode node, ClusterView cluster, Supplier<String> metrics, Plugins plugins,
                    Supplier<List<TriggerProblem>> triggerProblems)
        implements ResourceRoutes {
    HealthRoutes(LocalNode node, ClusterView cluster, Supplier<String> metrics) {
        this(node, cluster, metrics, Plugins.none());
    }

    HealthRoutes(LocalNode node, ClusterView cluster, Supplier<String> metrics, Plugins plugins) {
        this(node, cluster, metrics, plugins, List::of);
    }

    /**
     * {@code GET /health}; {@code triggers} lists the triggers that do not work on this node (unknown type, settings
     * refused, a source failing to start or stopping by itself) and trigger types that failed to load. Like a failed
     * plugin, they do not make the node degraded: the node serves everything else.
     */
    record Health(String status, String node, Driver driver, String cluster, List<PluginState> plugins,
                  List<TriggerState> triggers) {
    }

    /** A trigger that does not work here: function and trigger empty for a type that failed to load. */
    record TriggerState(String function, String trigger, String type, String problem, int failures) {
        static TriggerState of(TriggerProblem p) {
            return new TriggerState(p.function().orElse(""), p.trigger().orElse(""), p.type(), p.problem(),
                    p.failures());
        }
    }

    /** A plugin: {@code loaded} with its services, or {@code failed} with its error. */
    record PluginState(String name, String source, String state, List<String> services, String error) {
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
        List<PluginState> ps = new ArrayList<>();
        plugins.loaded().forEach(p -> ps.add(new PluginState(p.name(), p.source().toString(), "loaded", p.services(), "")));
        for (PluginFailure f : plugins.failures()) {
            ps.add(new PluginState(f.name(), f.source().toString(), "failed", List.of(), f.error()));
        }
        return new Health(ok ? "ready" : "degraded", cluster.nodeId(),
                new Driver(node.driverName(), driver.healthy(), driver.detail()), state.name(), ps,
                triggerProblems.get().stream().map(TriggerState::of).toList());
    }
}
