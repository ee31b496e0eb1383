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
import java.util.function.Function;
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

    private AdminApi(Builder b) {
        FunctionViews views = new FunctionViews(b.publicUrl, b.node, b.files);
        RegionHistory history = b.history;
        this.resources = List.of(
                new HealthRoutes(b.node, b.cluster, b.metrics, b.plugins, b.triggers::problems),
                new FunctionRoutes(b.registry, b.deployer, b.files, b.node, views),
                new VersionRoutes(b.registry, b.deployer, views),
                new CodeRoutes(b.registry, b.code),
                new ScalingRoutes(b.registry, b.scaling, b.cluster),
                new DegradeRoutes(b.registry, b.breakers, b.cluster),
                new AliasRoutes(new Aliases(b.registry, b.store::audit, b.clock)),
                new ReleaseRoutes(new Releases(b.registry, b.store::audit, b.clock)),
                new TriggerRoutes(b.registry, b.triggers, b.cluster),
                new ArtifactRoutes(b.deployer),
                new InvocationRoutes(b.store, b.async, () -> history, b.clock, new LogStream(MAX_FOLLOWERS,
                        java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(15), d -> Thread.sleep(d))),
                new AsyncRoutes(b.async),
                new InstanceRoutes(b.node),
                new RuntimeRoutes(b.runtimes),
                new PoolRoutes(b.node, b.runtimes),
                new LoadRoutes(b.load, b.wake),
                new ClusterRoutes(b.cluster),
                new TokenRoutes(b.tokens, b.clock),
                new NamespaceRoutes(b.namespaces, b.registry, b.usage, b.clock),
                new OpenApiRoutes(AdminRoutes.table()),
                new ConsoleRoutes(b.console),
                new NotFoundRoutes());
    }

    /** A builder of the admin API: every collaborator is required but the console's files and the history. */
    public static Builder builder() {
        return new Builder();
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

    /**
     * The collaborators of an {@link AdminApi}. The public setters take a node's components and adapt them to the
     * narrow views the routes use; the package-private ones take those views (tests). {@link #build} fails with an
     * {@link IllegalStateException} naming the first collaborator not set. Not thread-safe; build once.
     */
    public static final class Builder {
        private FunctionRegistry registry;
        private Deployer deployer;
        private FileProblems files;
        private LocalNode node;
        private NodeStore store;
        private ClusterView cluster;
        private RuntimeRegistry runtimes;
        private ScalingView scaling;
        private String publicUrl;
        private Supplier<String> metrics;
        private ClusterLoad load;
        private Consumer<FunctionId> wake;
        private TokenStore tokens;
        private Clock clock;
        private AsyncLedger async;
        private NamespaceStore namespaces;
        private UsageSource usage;
        private Function<FunctionId, Optional<DegradeStatus>> breakers;
        private Plugins plugins;
        private TriggerView triggers;
        private VersionCode code;
        private ConsoleFiles console;
        private RegionHistory history;

        private Builder() {
        }

        public Builder registry(FunctionRegistry registry) {
            this.registry = registry;
            return this;
        }

        public Builder deployer(Deployer deployer) {
            this.deployer = deployer;
            return this;
        }

        /** The functions directory, whose files' problems the function views show. */
        public Builder files(FunctionFiles files) {
            return files(files::problems);
        }

        Builder files(FileProblems files) {
            this.files = files;
            return this;
        }

        /** This node's agent: its instances, warm pools and driver. */
        public Builder node(NodeAgent agent) {
            return node(AdminApi.node(agent));
        }

        Builder node(LocalNode node) {
            this.node = node;
            return this;
        }

        public Builder store(NodeStore store) {
            this.store = store;
            return this;
        }

        public Builder cluster(Cluster cluster) {
            return cluster(AdminApi.cluster(cluster));
        }

        Builder cluster(ClusterView cluster) {
            this.cluster = cluster;
            return this;
        }

        public Builder runtimes(RuntimeRegistry runtimes) {
            this.runtimes = runtimes;
            return this;
        }

        /** The leader's scaler and scheduler, whose decisions the scaling routes show. */
        public Builder scaling(ScalerLoop scaler, Scheduler scheduler) {
            return scaling(AdminApi.scaling(scaler, scheduler));
        }

        Builder scaling(ScalingView scaling) {
            this.scaling = scaling;
            return this;
        }

        /** The URL the function views' invoke URLs start with. */
        public Builder publicUrl(String publicUrl) {
            this.publicUrl = publicUrl;
            return this;
        }

        /** {@code GET /metrics}. */
        public Builder metrics(NodeMetrics metrics) {
            return metrics(metrics::render);
        }

        Builder metrics(Supplier<String> metrics) {
            this.metrics = metrics;
            return this;
        }

        /** The cluster's load, and {@code wake}, which starts a function scaled to zero. */
        public Builder load(ClusterLoad load, Consumer<FunctionId> wake) {
            this.load = load;
            this.wake = wake;
            return this;
        }

        public Builder tokens(TokenStore tokens) {
            this.tokens = tokens;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Async invocations' ledger and dead letters. */
        public Builder async(AsyncLedger async) {
            this.async = async;
            return this;
        }

        /** The namespaces' settings, with the usage across the region that {@code /api/v1/namespaces} shows. */
        public Builder namespaces(NamespaceStore namespaces, UsageSource usage) {
            this.namespaces = namespaces;
            this.usage = usage;
            return this;
        }

        /** The circuit breakers of this node's gateway. */
        public Builder breakers(Admission admission) {
            return breakers(admission::degrade);
        }

        Builder breakers(Function<FunctionId, Optional<DegradeStatus>> breakers) {
            this.breakers = breakers;
            return this;
        }

        /** The node's plugins, shown in {@code /health}. */
        public Builder plugins(Plugins plugins) {
            this.plugins = plugins;
            return this;
        }

        public Builder triggers(TriggerView triggers) {
            this.triggers = triggers;
            return this;
        }

        /** Where versions' code is read. */
        public Builder code(VersionCode code) {
            this.code = code;
            return this;
        }

        /** The web console's files; by default those on the class path. */
        Builder console(ConsoleFiles console) {
            this.console = console;
            return this;
        }

        /** Invocation records and log lines of the region; by default this node's only. */
        public Builder history(RegionHistory history) {
            this.history = history;
            return this;
        }

        /** @throws IllegalStateException if a required collaborator is not set */
        public AdminApi build() {
            Object[][] required = {{"registry", registry}, {"deployer", deployer}, {"files", files}, {"node", node},
                {"store", store}, {"cluster", cluster}, {"runtimes", runtimes}, {"scaling", scaling},
                {"publicUrl", publicUrl}, {"metrics", metrics}, {"load", load}, {"wake", wake}, {"tokens", tokens},
                {"clock", clock}, {"async", async}, {"namespaces", namespaces}, {"usage", usage},
                {"breakers", breakers}, {"plugins", plugins}, {"triggers", triggers}, {"code", code}};
            for (Object[] r : required) {
                if (r[1] == null) {
                    throw new IllegalStateException("AdminApi.Builder: " + r[0] + " is not set");
                }
            }
            if (console == null) console = ConsoleFiles.classpath();
            if (history == null) history = RegionHistory.single(cluster.nodeId(), LocalHistory.of(store));
            return new AdminApi(this);
        }
    }
}
