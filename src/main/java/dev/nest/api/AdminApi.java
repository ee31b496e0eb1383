package dev.nest.api;

import dev.nest.async.AsyncLedger;
import dev.nest.auth.Authorizer;
import dev.nest.auth.PeerCredential;
import dev.nest.auth.TokenStore;
import dev.nest.cluster.Cluster;
import dev.nest.deploy.Deployer;
import dev.nest.deploy.FunctionFiles;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRegistry;
import dev.nest.history.LocalHistory;
import dev.nest.history.LogStream;
import dev.nest.history.RegionHistory;
import dev.nest.limits.Admission;
import dev.nest.limits.DegradeStatus;
import dev.nest.load.ClusterLoad;
import dev.nest.metrics.NodeMetrics;
import dev.nest.namespace.NamespaceStore;
import dev.nest.namespace.UsageSource;
import dev.nest.plugin.Plugins;
import dev.nest.pool.PoolStatus;
import dev.nest.release.Aliases;
import dev.nest.release.Releases;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.scaler.ScalerLoop;
import dev.nest.scaler.ScalingStatus;
import dev.nest.scheduler.Scheduler;
import dev.nest.sidecar.InstanceInfo;
import dev.nest.sidecar.NodeAgent;
import dev.nest.spi.DriverHealth;
import dev.nest.store.NodeStore;
import io.helidon.webserver.http.HttpRouting;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The admin API, {@code /api/v1}: functions (list, get, create, update, delete), versions, rollback, code
 * packages, instances, invocations, logs, runtimes, warm pools, the cluster's load, the cluster and nodes, tokens,
 * namespaces (quotas and rate limits);
 * plus {@code GET /health}, {@code GET /health/ready} and {@code GET /metrics} (Prometheus text), the OpenAPI
 * document ({@code /api/v1/openapi.json}), a version's code ({@code .../versions/{version}/code}) and the web
 * console's files ({@code /console/}). One route class
 * per resource; this class only composes them, in the order of {@link AdminRoutes#table()}, and the catch-all
 * 404s come last. Every route but the health probes needs a token: install {@link #filter} on the same routing.
 * Functions are addressed by name with {@code ?namespace=} (default {@code default}).
 * Every error is a JSON {@code {"error", "detail"}} through {@link Errors} (registered by the caller).
 * Handlers run on Helidon's request threads; the components they call are thread-safe.
 */
public final class AdminApi {
    /** Log followers ({@code /api/v1/logs?follow=true}) a node streams to at once. */
    public static final int MAX_FOLLOWERS = 64;
    private final List<ResourceRoutes> resources;

    /**
     * The admin API of a node: async invocations' ledger and dead letters ({@code async}), the namespaces' settings
     * with the usage across the region that {@code /api/v1/namespaces} shows ({@code usage}), the circuit breakers of
     * this node's gateway ({@code admission}), the node's plugins, shown in {@code /health}, and where versions' code
     * is read ({@code code}).
     */
    public AdminApi(FunctionRegistry registry, Deployer deployer, FunctionFiles files, NodeAgent agent, NodeStore store,
                    Cluster cluster, RuntimeRegistry runtimes, ScalerLoop scaler, Scheduler scheduler, String publicUrl,
                    NodeMetrics metrics, ClusterLoad load, Consumer<FunctionId> wake, TokenStore tokens, Clock clock,
                    AsyncLedger async, NamespaceStore namespaces, UsageSource usage, Admission admission,
                    Plugins plugins, TriggerView triggers, VersionCode code, RegionHistory history) {
        this(registry, deployer, files::problems, node(agent), store, cluster(cluster), runtimes,
                scaling(scaler, scheduler), publicUrl, metrics::render, load, wake, tokens, clock, async, namespaces,
                usage, admission::degrade, plugins, triggers, code, ConsoleFiles.classpath(), history);
    }

    AdminApi(FunctionRegistry registry, Deployer deployer, FileProblems files, LocalNode node, NodeStore store,
             ClusterView cluster, RuntimeRegistry runtimes, ScalingView scaling, String publicUrl,
             Supplier<String> metrics, ClusterLoad load, Consumer<FunctionId> wake, TokenStore tokens, Clock clock,
             AsyncLedger async, NamespaceStore namespaces, UsageSource usage,
             java.util.function.Function<FunctionId, Optional<DegradeStatus>> breakers, Plugins plugins,
             TriggerView triggers, VersionCode code, ConsoleFiles console) {
        this(registry, deployer, files, node, store, cluster, runtimes, scaling, publicUrl, metrics, load, wake, tokens,
                clock, async, namespaces, usage, breakers, plugins, triggers, code, console,
                RegionHistory.single(cluster.nodeId(), LocalHistory.of(store)));
    }

    AdminApi(FunctionRegistry registry, Deployer deployer, FileProblems files, LocalNode node, NodeStore store,
             ClusterView cluster, RuntimeRegistry runtimes, ScalingView scaling, String publicUrl,
             Supplier<String> metrics, ClusterLoad load, Consumer<FunctionId> wake, TokenStore tokens, Clock clock,
             AsyncLedger async, NamespaceStore namespaces, UsageSource usage,
             java.util.function.Function<FunctionId, Optional<DegradeStatus>> breakers, Plugins plugins,
             TriggerView triggers, VersionCode code, ConsoleFiles console, RegionHistory history) {
        FunctionViews views = new FunctionViews(publicUrl, node, files);
        this.resources = List.of(
                new HealthRoutes(node, cluster, metrics, plugins, triggers::problems),
                new FunctionRoutes(registry, deployer, files, node, views),
                new VersionRoutes(registry, deployer, views),
                new CodeRoutes(registry, code),
                new ScalingRoutes(registry, scaling, cluster),
                new DegradeRoutes(registry, breakers, cluster),
                new AliasRoutes(new Aliases(registry, store::audit, clock)),
                new ReleaseRoutes(new Releases(registry, store::audit, clock)),
                new TriggerRoutes(registry, triggers, cluster),
                new ArtifactRoutes(deployer),
                new InvocationRoutes(store, async, () -> history, clock, new LogStream(MAX_FOLLOWERS,
                        java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(15), d -> Thread.sleep(d))),
                new AsyncRoutes(async),
                new InstanceRoutes(node),
                new RuntimeRoutes(runtimes),
                new PoolRoutes(node, runtimes),
                new LoadRoutes(load, wake),
                new ClusterRoutes(cluster),
                new TokenRoutes(tokens, clock),
                new NamespaceRoutes(namespaces, registry, usage, clock),
                new OpenApiRoutes(AdminRoutes.table()),
                new ConsoleRoutes(console),
                new NotFoundRoutes());
    }

    private AdminApi(List<ResourceRoutes> resources) {
        this.resources = resources;
    }

    /** This API with {@code more} registered after the other resources and before the catch-all 404s. */
    private AdminApi with(ResourceRoutes more) {
        List<ResourceRoutes> out = new java.util.ArrayList<>(resources);
        out.add(out.size() - 1, more);
        return new AdminApi(List.copyOf(out));
    }

    /**
     * This API with the monitoring report's routes: the region's reports of functions and namespaces, and the peer
     * route that answers this node's buckets ({@code nodeId}'s {@code local} ones) and async {@code backlog}.
     */
    public AdminApi withReports(String nodeId, dev.nest.report.ClusterReports reports,
                                dev.nest.report.ClusterReports.LocalBuckets local, dev.nest.function.FunctionCatalog catalog,
                                java.util.function.Function<dev.nest.report.Scope, Optional<dev.nest.report.Backlog>> backlog) {
        return with(new ReportRoutes(nodeId, reports, local, catalog, backlog));
    }

    /**
     * This API with the alerts' routes: rules in {@code store}, states from {@code status}, webhooks checked by
     * {@code refusal} (the async destinations' allow-list).
     */
    public AdminApi withAlerts(dev.nest.alert.AlertStore store,
                               java.util.function.Function<String, Optional<dev.nest.alert.AlertStatus>> status,
                               java.util.function.Function<String, Optional<String>> refusal, Clock clock) {
        return with(new AlertRoutes(store, status, refusal, clock));
    }

    /**
     * This API with the peer stop route ({@code POST /api/v1/invocations/{id}/stop}, admins and peers): stops an
     * invocation this node holds through {@code stops}.
     */
    public AdminApi withStops(dev.nest.trigger.LocalStops stops) {
        return with(new StopRoutes(stops));
    }

    /**
     * The filter that authenticates and authorizes every request by {@link AdminRoutes#table()}: add it to the
     * routing before the routes ({@code routing.addFilter(AdminApi.filter(...))}).
     */
    public static AuthFilter filter(Authorizer authorizer, PeerCredential peers) {
        return new AuthFilter(authorizer, AdminRoutes.access(), peers);
    }

    /** Ends the open log-following streams (within a poll, 1 s) so that the admin server can stop. */
    public void endStreams() {
        resources.stream().filter(InvocationRoutes.class::isInstance).map(InvocationRoutes.class::cast)
                .forEach(InvocationRoutes::endStreams);
    }

    /** Registers every route of the admin API, the catch-all 404s last. */

    public void routing(HttpRouting.Builder r) {
        resources.forEach(resource -> resource.routing(r));
    }

    /** The route classes, in registration order. */
    List<ResourceRoutes> resources() {
        return resources;
    }

    private static LocalNode node(NodeAgent agent) {
        return new LocalNode() {
            @Override
            public List<InstanceInfo> instances() {
                return agent.instances();
            }

            @Override
            public List<InstanceInfo> instances(FunctionId id) {
                return agent.instances(id);
            }

            @Override
            public Optional<String> lastStartError(FunctionId id) {
                return agent.lastStartError(id);
            }

            @Override
            public List<PoolStatus> pools() {
                return agent.pool().status();
            }

            @Override
            public void resizePool(String runtime, int size) {
                agent.pool().resize(runtime, size);
            }

            @Override
            public String driverName() {
                return agent.driver().name();
            }

            @Override
            public DriverHealth driverHealth() {
                return agent.driverHealth();
            }
        };
    }

    private static ClusterView cluster(Cluster cluster) {
        return new ClusterView() {
            @Override
            public String nodeId() {
                return cluster.self().id();
            }

            @Override
            public Cluster.State state() {
                return cluster.state();
            }

            @Override
            public Optional<String> leaderId() {
                return cluster.leaderId();
            }

            @Override
            public Object describe() {
                return cluster.describe();
            }

            @Override
            public Object nodes(Optional<String> holding) {
                return cluster.describeNodes(holding);
            }
        };
    }

    private static ScalingView scaling(ScalerLoop scaler, Scheduler scheduler) {
        return new ScalingView() {
            @Override
            public boolean active() {
                return scaler.active();
            }

            @Override
            public Optional<ScalingStatus> status(FunctionId id) {
                return scaler.status(id);
            }

            @Override
            public Optional<Scheduler.Status> placement(FunctionId id) {
                return scheduler.status(id);
            }

            @Override
            public long noCapacityEvents() {
                return scheduler.noCapacityEvents();
            }
        };
    }
}
