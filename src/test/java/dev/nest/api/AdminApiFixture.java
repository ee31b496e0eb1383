package dev.nest.api;

import dev.nest.function.InMemoryFunctionRegistry;
import dev.nest.artifact.ArtifactStore;
import dev.nest.async.AsyncLedger;
import dev.nest.async.H2EventQueue;
import dev.nest.artifact.PackageLimits;
import dev.nest.auth.Authorizer;
import dev.nest.auth.InMemoryTokenStore;
import dev.nest.auth.Role;
import dev.nest.auth.PeerCredential;
import dev.nest.load.ClusterLoad;
import dev.nest.deploy.Deployer;
import dev.nest.deploy.FileProblem;
import dev.nest.function.FunctionId;
import dev.nest.namespace.InMemoryNamespaceStore;
import dev.nest.namespace.NamespaceUsage;
import dev.nest.plugin.Plugins;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.store.NodeStore;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The admin API over fakes of the cluster, the node agent and the scaler, and real light components: an
 * in-memory function registry, a deployer over an artifact store in {@code dir}, a runtime registry with one
 * runtime {@code fake}, an H2 node store and an in-memory token store. {@link #start()} serves it, behind the
 * authentication filter, on a loopback port chosen by the system; requests carry the token {@link #admin} unless a
 * test gives another {@code Authorization}.
 */
final class AdminApiFixture implements AutoCloseable {
    static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");
    static final String URL = "http://nest.test:8080";

    final Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
    final InMemoryFunctionRegistry registry = new InMemoryFunctionRegistry();
    final FakeLocalNode node = new FakeLocalNode();
    final FakeClusterView cluster = new FakeClusterView();
    final FakeScalingView scaling = new FakeScalingView();
    final List<FileProblem> problems = new ArrayList<>();
    final RuntimeRegistry runtimes;
    final Deployer deployer;
    final NodeStore store;
    final H2EventQueue asyncQueue;
    /** Invocation ids the fake gateway stop finds running (stopped once: removed). */
    final java.util.Set<String> stoppable = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final java.util.function.BiFunction<String, String, java.util.concurrent.CompletableFuture<Boolean>> gatewayStops;
    final InMemoryTokenStore tokens = new InMemoryTokenStore(clock);
    final InMemoryNamespaceStore namespaces = new InMemoryNamespaceStore(clock);
    final Map<String, NamespaceUsage> usage = new java.util.concurrent.ConcurrentHashMap<>();
    final PeerCredential peer = PeerCredential.of("X-Nest-Cluster-Auth", "peer-v1", "peer-v1"::equals);
    final ClusterLoad load = new ClusterLoad("node-1", Map::of, () -> 0L);
    final List<FunctionId> woken = new ArrayList<>();
    /** The secret of an admin token. */
    final String admin = tokens.create("root", Role.ADMIN, List.of("*"), Optional.empty()).secret().reveal();
    /** This node's report buckets as the report routes see them. */
    final List<dev.nest.report.Bucket> reportBuckets = new java.util.concurrent.CopyOnWriteArrayList<>();
    final dev.nest.report.ClusterReports.LocalBuckets localBuckets = (scope, res, from, until) -> reportBuckets.stream()
            .filter(b -> scope.covers(b.function()) && b.resolution() == res.seconds() && b.at() >= from && b.at() < until)
            .toList();
    /** The alert rules the alert routes keep. */
    final dev.nest.alert.InMemoryAlertStore alerts = new dev.nest.alert.InMemoryAlertStore();
    /** Where versions' code is read: the deployer's artifact store. */
    final VersionCode code;
    /** The console's files (none unless a test puts some). */
    final Map<String, byte[]> consoleFiles = new java.util.concurrent.ConcurrentHashMap<>();
    final ConsoleFiles console = path -> Optional.ofNullable(consoleFiles.get(path));
    final AdminApi api;
    private final HttpClient http = HttpClient.newHttpClient();
    private WebServer server;

    AdminApiFixture(Path dir) {
        try {
            Path runtime = Files.createDirectories(dir.resolve("runtimes/fake"));
            Files.writeString(runtime.resolve("runtime.yaml"), "name: fake\nlaunch: [fake-host]\nmemory: 64\n"
                    + "default-handler: index.handler\nimage: fake:1\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        runtimes = RuntimeRegistry.load(dir.resolve("runtimes"));
        ArtifactStore artifacts = new ArtifactStore(dir.resolve("artifacts"), PackageLimits.DEFAULT);
        deployer = new Deployer(registry, artifacts, runtimes, audit -> { }, clock);
        code = (digest, runtime) -> artifacts.find(digest).map(dev.nest.artifact.Artifact::codeDir);
        store = NodeStore.open(dir.resolve("store"), clock, Duration.ofDays(1), 4096);
        asyncQueue = H2EventQueue.open(store.jdbcUrl(), clock);
        gatewayStops = (id, reason) -> java.util.concurrent.CompletableFuture.completedFuture(stoppable.remove(id));
        api = AdminApi.builder().registry(registry).deployer(deployer).files(() -> List.copyOf(problems)).node(node)
                .store(store).cluster(cluster).runtimes(runtimes).scaling(scaling).publicUrl(URL)
                .metrics(() -> "nest_up 1\n").load(load, woken::add).tokens(tokens).clock(clock)
                .async(AsyncLedger.of(asyncQueue, () -> { }))
                .namespaces(namespaces, ns -> usage.getOrDefault(ns, NamespaceUsage.NONE))
                .breakers(id -> Optional.empty()).plugins(Plugins.none()).triggers(TriggerView.NONE).code(code)
                .console(console).build()
                .withReports("node-1", new dev.nest.report.ClusterReports(localBuckets, List::of, (b, s, r, f, u) -> {
                    throw new java.io.IOException("no peers");
                }, clock, Duration.ofSeconds(1), s -> Optional.of(new dev.nest.report.Backlog(2, 7.5))), localBuckets,
                        registry, s -> Optional.of(new dev.nest.report.Backlog(2, 7.5)))
                .withAlerts(alerts, name -> Optional.ofNullable(alerts.states().get(name)),
                        new dev.nest.async.Destinations(List.of("hooks.example.com"))::refusal, clock)
                .withStops(new dev.nest.trigger.LocalStops(AsyncLedger.of(asyncQueue, () -> { }, (id, reason) ->
                        java.util.concurrent.CompletableFuture.completedFuture(asyncQueue.cancel(id, reason))),
                        gatewayStops));
    }

    /** Serves the API, with the error mapping, on a free loopback port. */
    AdminApiFixture start() {
        HttpRouting.Builder routing = HttpRouting.builder();
        Errors.register(routing);
        routing.addFilter(AdminApi.filter(new Authorizer(tokens), peer));
        api.routing(routing);
        server = WebServer.builder().host("127.0.0.1").port(0).addRouting(routing).build().start();
        return this;
    }

    HttpResponse<String> send(String method, String path, String body) {
        HttpRequest.BodyPublisher publisher = body.isEmpty() ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        return send(HttpRequest.newBuilder(uri(path)).method(method, publisher).build());
    }

    /** Sends {@code request} with the admin token unless it has an {@code Authorization} header. */
    HttpResponse<String> send(HttpRequest request) {
        if (request.headers().firstValue("Authorization").isEmpty()) {
            request = HttpRequest.newBuilder(request, (n, v) -> true).header("Authorization", "Bearer " + admin).build();
        }
        return sendAsIs(request);
    }

    /** Sends {@code request} as it is (no token added). */
    HttpResponse<String> sendAsIs(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> get(String path) {
        return send("GET", path, "");
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop();
        }
        asyncQueue.close();
        store.close();
    }
}
