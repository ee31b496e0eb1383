package dev.nest;

import dev.nest.alert.AlertEvaluator;
import dev.nest.alert.Webhooks;
import dev.nest.api.AdminApi;
import dev.nest.api.Errors;
import dev.nest.api.TriggerView;
import dev.nest.artifact.ArtifactStore;
import dev.nest.auth.Action;
import dev.nest.auth.Authorizer;
import dev.nest.auth.Bootstrap;
import dev.nest.auth.PeerCredential;
import dev.nest.auth.Principal;
import dev.nest.artifact.PackageLimits;
import dev.nest.cluster.Cluster;
import dev.nest.cluster.ClusterCredential;
import dev.nest.cluster.EmbeddedZooKeeper;
import dev.nest.cluster.NamespaceUsages;
import dev.nest.cluster.NodeInfo;
import dev.nest.cluster.ReadyCounts;
import dev.nest.cluster.ZooKeeperAlertStore;
import dev.nest.cluster.ZooKeeperNamespaceStore;
import dev.nest.cluster.ZooKeeperTokenStore;
import dev.nest.common.InvocationIds;
import dev.nest.common.NestException;
import dev.nest.common.Peer;
import dev.nest.config.NestConfig;
import dev.nest.deploy.ArtifactReplicator;
import dev.nest.deploy.CodeFetcher;
import dev.nest.deploy.CodePrefetcher;
import dev.nest.deploy.Deployer;
import dev.nest.deploy.FunctionFiles;
import dev.nest.deploy.ReferencedCode;
import dev.nest.function.FunctionCatalog;
import dev.nest.async.AsyncInvocations;
import dev.nest.async.EventQueueProvider;
import dev.nest.async.H2Backlog;
import dev.nest.plugin.Plugins;
import dev.nest.gateway.ChunkFiles;
import dev.nest.gateway.EventIngress;
import dev.nest.gateway.Gateway;
import java.util.stream.Stream;
import dev.nest.trigger.TriggerSourceProvider;
import dev.nest.function.SpecCheck;
import dev.nest.gateway.InvocationSpan;
import dev.nest.gateway.InvokeAuth;
import dev.nest.gateway.Tls;
import dev.nest.history.LocalHistory;
import dev.nest.history.PeerReader;
import dev.nest.history.RegionHistory;
import dev.nest.limits.Admission;
import dev.nest.limits.Caller;
import dev.nest.limits.GatewayCount;
import dev.nest.metrics.NodeMetrics;
import dev.nest.placement.ClusterNodes;
import dev.nest.placement.PlacedMinimumCatalog;
import dev.nest.release.ReleaseController;
import dev.nest.release.Releases;
import dev.nest.release.TrafficCounters;
import dev.nest.report.Backlog;
import dev.nest.report.ClusterReports;
import dev.nest.report.InstanceSample;
import dev.nest.report.ReportStore;
import dev.nest.report.Scope;
import dev.nest.runtime.NodeBinary;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.sidecar.NodeAgent;
import dev.nest.spi.SandboxDriver;
import dev.nest.store.NodeStore;
import dev.nest.tracing.SpanExport;
import dev.nest.trigger.LocalStops;
import dev.nest.trigger.PeerStops;
import dev.nest.trigger.QueueInvocationSink;
import dev.nest.trigger.RegionStops;
import dev.nest.trigger.StopResult;
import dev.nest.trigger.TriggerCalls;
import dev.nest.trigger.TriggerManager;
import dev.nest.trigger.TriggerTypes;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;

/**
 * One Nest node: the composition root. {@link #start} builds every module in dependency order and starts serving;
 * {@link #close} stops them in reverse. The data plane (store, artifact store, driver, cluster membership, node agent
 * and its pools, deployer, admin server, gateway) runs on every node; the {@link ControlPlane} (scaler, scheduler,
 * placements, load, node probes) decides while this node leads. No decisions are made here.
 *
 * <p>Authentication: the region's tokens live in ZooKeeper (started once the cluster is), the first admin token is
 * written to {@code <data>/admin.token} on a new region ({@link Bootstrap}), and every admin route but the health
 * probes passes the admin API's filter. Nodes call each other's peer routes with the cluster's
 * {@link PeerCredential}.
 *
 * <p>Async invocations ({@link AsyncInvocations}): the queue opens in the store's database after the store and closes
 * before it; the admin API reads its ledger and dead letters; the gateway hands it async requests; the dispatcher
 * starts once the gateway listens and delivers through it.
 */
public final class NestServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NestServer.class.getName());

    private final Deque<AutoCloseable> closers;
    private final int port;
    private final NestConfig config;
    private final Cluster cluster;
    private final FunctionFiles files;

    private NestServer(Deque<AutoCloseable> closers, NestConfig config, Cluster cluster, FunctionFiles files, int port) {
        this.closers = closers;
        this.config = config;
        this.cluster = cluster;
        this.files = files;
        this.port = port;
    }

    /**
     * Starts a node. Fails fast, with a message that says what to change, when the data directory is in use,
     * the port is taken, the driver is unknown or ZooKeeper cannot be reached.
     */
    public static NestServer start(NestConfig requested) {
        Clock clock = Clock.systemUTC();
        Startup.nettyChunks(); // before the gateway loads Netty's allocator
        Deque<AutoCloseable> closers = new ArrayDeque<>();
        Startup.Timer timer = new Startup.Timer();
        try {
            NestConfig config = Startup.withPort(requested);
            Optional<Tls> tls = Startup.tls(config); // fails fast, naming the key and file
            Path data = Files.createDirectories(config.dataDir().toAbsolutePath().normalize());
            closers.push(Startup.lock(data));
            timer.mark("lock");
            ClusterCredential credential = ClusterCredential.resolve(config.cluster(), data);

            // Independent steps start in parallel: most of their time is class loading and file I/O. On platform
            // threads: a virtual thread that loads a class the JVM resolves is pinned to its carrier, and one blocked
            // on a jar's lock held by an unmounted virtual thread keeps its carrier; with as many such threads as
            // carriers (two on a two-core machine) the start hung for good.
            ExecutorService boot = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name("nest-start-", 0)
                    .daemon(true).factory());
            Future<?> warmHelidon = boot.submit(Startup::warmUpHelidon);
            Optional<Future<EmbeddedZooKeeper>> embeddedZk = config.cluster().embedded() ? Optional.of(boot.submit(
                    () -> EmbeddedZooKeeper.start(data.resolve("zookeeper"), config.cluster().embeddedPort())))
                    : Optional.empty();
            Future<NodeStore> storeF = boot.submit(() -> NodeStore.open(data, clock, config.store().retention(),
                    config.store().maxLogLineBytes(), config.store().maxBytes()));
            Future<Plugins> pluginsF = boot.submit(() -> Plugins.load(config.pluginsDir()));
            Future<RuntimeRegistry> runtimesF = boot.submit(() -> RuntimeRegistry.load(config.runtimesDir().toAbsolutePath().normalize(),
                    NodeBinary.of(Optional.ofNullable(config.sidecar().drivers()
                            .getOrDefault("process", Map.of()).get("node")), System.getenv())));
            // the nodes' calls to each other carry the cluster's credential (the one line that chooses it)
            PeerCredential peer = PeerCredential.of(ClusterCredential.HEADER, credential.header(), credential::verify);
            Supplier<Map<String, String>> peerHeaders = () -> Map.of(peer.headerName(), peer.headerValue());
            // with server.tls, the nodes call each other's public port over https, trusting what PeerCall trusts
            Optional<SSLContext> peerTls = tls.map(Tls::peerContext);
            Optional<EmbeddedZooKeeper> embedded = embeddedZk.map(Startup::join);
            embedded.ifPresent(closers::push);
            String zk = embedded.map(EmbeddedZooKeeper::connectString).orElse(config.cluster().zookeeper());
            timer.mark("zookeeper");

            // ---- data plane: every node ----
            NodeStore store = push(closers, Startup.join(storeF));
            timer.mark("store");
            RuntimeRegistry runtimes = Startup.join(runtimesF);
            ReferencedCode referenced = new ReferencedCode(); // pins everything until the catalog is known
            ArtifactStore artifacts = push(closers, new ArtifactStore(data.resolve("artifacts"), PackageLimits.DEFAULT,
                    ArtifactStore.DEFAULT_CACHE_BYTES, referenced, ArtifactStore.UNPACK_PARALLELISM, peerHeaders, peerTls));
            String nodeId = config.nodeId();
            InvocationIds.useNode(nodeId); // invocation ids name the node that made them
            SandboxDriver driver = Startup.driver(config, nodeId, data);
            timer.mark("runtimes+driver");

            Map<String, String> capacity = ClusterNodes.capacity(config.sidecar().maxPods());
            Map<String, String> labels = new HashMap<>(capacity);
            labels.put(NodeInfo.SCHEME, config.server().tls().scheme()); // peers call this node with it
            labels.put(NodeInfo.PACKAGE_FORMATS, dev.nest.artifact.PackageFormats.READS); // gates format-2 packages
            NodeInfo self = new NodeInfo(nodeId, config.node().address(), config.server().port(), config.node().zone(),
                    config.node().region(), driver.name(), clock.instant(), Map.copyOf(labels));
            Cluster cluster = push(closers, Cluster.start(zk, config.cluster(), credential, self, clock));
            referenced.attach(cluster.functions());
            artifacts.useFormats(cluster.packageFormat(config.artifacts().packageFormat()));
            timer.mark("cluster");
            // the namespaces' and the alert rules' mirrors load while the tokens do: each waits for ZooKeeper's
            // round trips (and its log's fsyncs), not for each other; a failure is still this start's, when joined
            Future<ZooKeeperNamespaceStore> namespacesF = Startup.closing(closers, boot.submit(() ->
                    ZooKeeperNamespaceStore.start(cluster, clock, config.cluster().operationTimeout())));
            Future<ZooKeeperAlertStore> alertStoreF = Startup.closing(closers, boot.submit(() ->
                    ZooKeeperAlertStore.start(cluster, config.cluster().operationTimeout())));
            ZooKeeperTokenStore tokens = push(closers, ZooKeeperTokenStore.start(cluster, clock,
                    config.cluster().operationTimeout()));
            new Bootstrap(tokens, data, name -> Optional.ofNullable(System.getenv(name))).run();
            Authorizer authorizer = new Authorizer(tokens);
            ZooKeeperNamespaceStore namespaces = Startup.join(namespacesF);
            timer.mark("tokens");

            // code this node lacks comes from a holder; a holder of the live version's code prefetches a new version's
            CodeFetcher code = new CodeFetcher(artifacts, cluster.artifactHolders(), runtimes::prepare);
            CodePrefetcher prefetcher = push(closers, new CodePrefetcher(code::ensureLocal, artifacts::digests));
            cluster.functions().addListener(prefetcher);
            // with an external ensemble, scaling.min is kept cluster-wide through placements, not on every node
            FunctionCatalog agentCatalog = config.cluster().embedded() ? cluster.functions()
                    : new PlacedMinimumCatalog(cluster.functions());
            // async invocations: their queue is in the store's database (opened after it, closed before it);
            // deliveries go through the gateway, whose port is known once it listens (the dispatcher starts then)
            AtomicInteger gatewayPort = new AtomicInteger();
            Plugins plugins = push(closers, Startup.join(pluginsF)); // a plugin that fails is in /health, not fatal
            AsyncInvocations async = push(closers, AsyncInvocations.open(config.async(),
                    plugins.services(EventQueueProvider.class), nodeId, store.jdbcUrl(), agentCatalog,
                    config.server().host(), gatewayPort::get, clock));
            timer.mark("async");
            NodeAgent agent = push(closers, new NodeAgent(config.sidecar(), nodeId, data,
                    data.resolve("artifacts").resolve("code"), driver, runtimes, code::codeDir, store::log, agentCatalog, clock));
            // the monitoring report's tables open beside the steps up to the admin API, which wait for ZooKeeper
            Future<ReportStore> reportStoreF = Startup.closing(closers, boot.submit(() ->
                    ReportStore.open(store.jdbcUrl(), clock, () -> agent.instances().stream().map(i ->
                            new InstanceSample(i.function(), i.version(), i.inFlight())).toList())));
            // deploys return once the package is on enough nodes
            ArtifactReplicator replicator = new ArtifactReplicator(artifacts, cluster.artifactHolders(),
                    config.cluster().artifactReplicas(), peerHeaders, peerTls);
            cluster.membership().onNodesChanged(replicator::prepare);
            replicator.prepare();
            // trigger types: Nest's own and the plugins'; deploys check trigger settings and HTTP destinations
            TriggerTypes triggerTypes = TriggerTypes.of(plugins.services(TriggerSourceProvider.class));
            SpecCheck specCheck = spec -> Stream.concat(triggerTypes.problems(spec).stream(),
                    config.async().destinations().problems(spec.async()).stream()).toList();
            Deployer deployer = new Deployer(cluster.functions(), artifacts, runtimes, store::audit, clock, replicator,
                    namespaces, specCheck);
            FunctionFiles files = push(closers, new FunctionFiles(config.functionsDir(), deployer, cluster.functions(), 2_000, List.of(data),
                    new Releases(cluster.functions(), store::audit, clock)::startFromFile));
            files.start();
            timer.mark("functions");
            agent.enforceQuotas(namespaces, NamespaceUsages.elsewhere(cluster, cluster.functions()));
            agent.start(false); // the warm pools fill once the node is ready (below), not while it starts
            // ready instances for the routing tables; warm pool pods and unpacked packages for the scheduler
            cluster.publishReady(() -> ReadyCounts.of(agent.instances()), () -> ReadyCounts.warmPods(agent.pool().status()));
            cluster.publishCached(artifacts::digests);
            timer.mark("agent");

            // ---- control plane: decides while this node leads ----
            TrafficCounters traffic = new TrafficCounters(); // per-version requests, for the leader's canary releases
            ControlPlane control = push(closers, ControlPlane.start(cluster, agent, capacity, config.cluster().nodeProbe(),
                    config.cluster().nodeProbeStartGrace(), clock,
                    peerHeaders, peerTls, namespaces, traffic::snapshot, config.sidecar().merged().mergeBelow(),
                    ControlPlane.mergedShapes(runtimes, config.sidecar().merged().acrossNamespaces(),
                            config.sidecar().merged().hostMemoryMb()), config.cluster().burstRelease()));
            push(closers, new ReleaseController(cluster.functions(), control.load()::traffic, store::audit, clock,
                    cluster.leadership()::isLeader)).start();
            timer.mark("scaler");

            // ---- data plane: the admin server, then the gateway in front of it ----
            String url = config.server().tls().scheme() + "://" + config.node().address() + ":" + config.server().port();
            // rate limits (functions', namespaces' from the store's in-memory mirror, tokens') and circuit breakers;
            // each gateway enforces its share of a limit
            Admission admission = new Admission(namespaces, GatewayCount.cached(
                    () -> cluster.membership().nodes().size(), cluster.membership()::onNodesChanged), clock, System::nanoTime);
            NodeMetrics metrics = new NodeMetrics(agent.pool()::status, agent::instances, admission::rateLimited,
                    admission::breakers);
            // the monitoring report: roll-ups of every record in this node's H2, gathered from every live node
            ReportStore reportStore = Startup.join(reportStoreF);
            // the async backlog per function (the h2 queue's table; other back ends do not tell)
            Optional<H2Backlog> h2Backlog = config.async().queue().equals("h2")
                    ? H2Backlog.open(store.jdbcUrl()) : Optional.empty();
            h2Backlog.ifPresent(closers::push);
            Function<Scope, Optional<Backlog>> backlog = scope ->
                    h2Backlog.flatMap(b -> b.of(scope.name(), !scope.function())).map(b -> new Backlog(
                            b.depth(), b.oldest().map(t -> Math.max(0, Duration.between(t, clock.instant())
                            .toMillis() / 1000.0)).orElse(0.0)));
            timer.mark("report");
            ClusterReports reports = new ClusterReports(reportStore::buckets,
                    () -> cluster.membership().nodes().stream().filter(n -> !n.id().equals(nodeId)).map(n ->
                            new Peer(n.id(), URI.create(n.url()))).toList(),
                    ClusterReports.http(peerHeaders, peerTls, Duration.ofSeconds(3)), clock,
                    Duration.ofSeconds(4), backlog);
            TriggerCalls triggerCalls = new TriggerCalls();
            // stopping an invocation by id (cron concurrency: replace): here, or on the node its id names
            AtomicReference<Gateway> gatewayRef = new AtomicReference<>();
            LocalStops localStops = new LocalStops(async.ledger(), (id, why) ->
                    gatewayRef.get() == null ? CompletableFuture.completedFuture(false)
                            : gatewayRef.get().stop(id, why));
            PeerStops peerStops = PeerStops.http(peerHeaders, peerTls,
                    Duration.ofSeconds(25));
            Supplier<List<RegionStops.Node>> stopPeers = () -> cluster.membership().nodes().stream()
                    .filter(n -> !n.id().equals(nodeId))
                    .map(n -> new RegionStops.Node(n.id(), URI.create(n.url()))).toList();
            TriggerManager triggers = push(closers, new TriggerManager(cluster.functions(), triggerTypes,
                    new QueueInvocationSink(cluster.functions(), async.ingress(), async.ledger(), gatewayPort::get,
                            triggerCalls, new RegionStops(nodeId, localStops, stopPeers, peerStops)),
                    cluster.triggerStates(), () -> cluster.leadership().epoch().isPresent(), clock));
            AdminApi api = AdminApi.builder().registry(cluster.functions()).deployer(deployer).files(files).node(agent)
                    .store(store).cluster(cluster).runtimes(runtimes).scaling(control.scaler(), control.scheduler())
                    .publicUrl(url).metrics(metrics).load(control.load(), control.wake()).tokens(tokens).clock(clock)
                    .async(async.ledger()).namespaces(namespaces, NamespaceUsages.region(cluster, cluster.functions(),
                    () -> ReadyCounts.of(agent.instances()))).breakers(admission).plugins(plugins)
                    .triggers(TriggerView.of(triggers::describe, triggers::problems))
                    .code(code::ensureLocal)
                    .history(push(closers, new RegionHistory(nodeId, LocalHistory.of(store),
                            () -> cluster.membership().nodes().stream().filter(n -> !n.id().equals(nodeId))
                                    .map(n -> new Peer(n.id(), URI.create(n.url()))).toList(),
                            PeerReader.http(peerHeaders, peerTls, HISTORY_PEER_TIMEOUT),
                            HISTORY_PEER_TIMEOUT)))
                    .build();
            api = api.withReports(nodeId, reports, reportStore::buckets, cluster.functions(), backlog);
            api = api.withStops(localStops); // the peer stop route
            // alerts: rules in ZooKeeper, judged by the leader from the reports; webhooks only to allowed hosts
            ZooKeeperAlertStore alertStore = Startup.join(alertStoreF);
            Webhooks webhooks = push(closers, new Webhooks(Webhooks.http(),
                    Thread::sleep, config.async().destinations()::refusal));
            webhooks.start();
            AlertEvaluator alerts = push(closers, new AlertEvaluator(alertStore, reports::report,
                    (fn, since) -> async.ledger().deadLetters(fn, 1_000).stream().filter(e -> e.finishedAt()
                            .filter(t -> !t.isBefore(since)).isPresent()).count(), triggers::describe, webhooks,
                    cluster.leadership()::isLeader, clock));
            alerts.start();
            api = api.withAlerts(alertStore, alerts::status, config.async().destinations()::refusal, clock);
            timer.mark("api+alerts");
            metrics.addSamples(triggers::metrics); // what trigger sources publish: Kafka lag, records, failures
            Startup.join(warmHelidon);
            boot.shutdown();
            timer.mark("helidon-warm");
            HttpRouting.Builder routing = HttpRouting.builder();
            Errors.register(routing);
            routing.addFilter(AdminApi.filter(authorizer, peer)); // every request, before routing
            api.routing(routing);
            WebServer web = Startup.adminServer(routing, config.server().shutdownGrace());
            closers.push(web::stop);
            closers.push(api::endStreams); // runs before web::stop: the server waits for open streams
            timer.mark("admin");
            // optional OTLP export of the gateway's invocation spans; closed after the gateway, flushing its queue
            Consumer<InvocationSpan> spans = s -> { };
            if (config.tracing().enabled()) {
                SpanExport export = push(closers, SpanExport.otlp(config.tracing(),
                        nodeId, clock));
                metrics.addSamples(export::samples);
                spans = export;
            }
            Gateway gateway = push(closers, Startup.listen(new Gateway(agentCatalog, agent, r -> {
                store.record(r);
                metrics.record(r);
                admission.record(r);
                traffic.accept(r);
                reportStore.accept(r);
            }, config.server().maxBody(), clock, cluster.routes(),
                    InvokeAuth.identifying((authorization, namespace) -> {
                        Principal p = authorizer.authorize(authorization, Action.INVOKE, Optional.of(namespace));
                        return new Caller(p.name(), p.rate());
                    }),
                    Optional.of(async.ingress()), config.gateway(), admission, Optional.of(peer)).events(new EventIngress(
                    triggerCalls::marked, System::nanoTime)).spans(spans).chunkFiles(sha -> {
                        Optional<java.nio.channels.FileChannel> f = artifacts.openChunk(sha);
                        return f.isEmpty() ? Optional.empty() : Optional.of(ChunkFiles.Opened.of(f.get()));
                    }), config.server(), web.port(), tls));
            gatewayPort.set(gateway.port());
            gatewayRef.set(gateway);
            // a forwarded invocation is stopped on the peer serving it, through its peer stop route
            gateway.stopsForwardedWith((p, id, why) -> peerStops.stop(stopPeers.get().stream()
                    .filter(n -> n.id().equals(p.node())).findFirst().map(RegionStops.Node::url)
                    .orElse(URI.create(config.server().tls().scheme() + "://" + p.host() + ":" + p.port())),
                    id, why).thenApply(r -> r.outcome() == StopResult.Outcome.STOPPED));
            async.stopsWith(gateway::stop); // a cancelled event's run is stopped at its instance
            async.start();
            // triggers fire once the gateway listens: leader-only sources start and stop with the leadership
            cluster.leadership().onLeadership(triggers::leadershipChanged);
            triggers.start();
            timer.mark("gateway");
            // last, once the gateway's start has made its garbage too: the first requests wait for this one collection
            Startup.compactHeap(); // the garbage of start-up is not kept as resident memory (ADR 0030)
            timer.mark("heap");
            LOG.info("Nest node " + nodeId + " ready on " + url + " (driver " + driver.name() + ", ZooKeeper " + zk
                    + (config.cluster().embedded() ? " embedded" : "") + ", data " + data + "); start-up " + timer);
            agent.startPools();
            return new NestServer(closers, config, cluster, files, gateway.port());
        } catch (RuntimeException | IOException e) {
            Startup.closeAll(closers);
            if (e instanceof NestException ne) {
                throw ne;
            }
            throw new NestException(500, "cannot start", e.getMessage(), e);
        }
    }

    /** How long a node answering for the region waits for each other node's records or lines. */
    private static final Duration HISTORY_PEER_TIMEOUT = Duration.ofSeconds(3);

    private static <T extends AutoCloseable> T push(Deque<AutoCloseable> closers, T c) {
        closers.push(c);
        return c;
    }

    /** The public port (gateway and API). */
    public int port() {
        return port;
    }

    public NestConfig config() {
        return config;
    }

    public Cluster cluster() {
        return cluster;
    }

    /** Re-reads the functions directory now (tests; the watcher does this by itself). */
    public void rescanFunctions() {
        files.scan();
    }

    @Override
    public void close() {
        Startup.closeAll(closers);
    }
}
