package dev.nest.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.artifact.Artifact;
import dev.nest.artifact.Codec;
import dev.nest.cluster.Cluster;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.deploy.Deployer;
import dev.nest.deploy.FileProblem;
import dev.nest.deploy.FunctionFiles;
import dev.nest.function.FunctionCodec;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.SpecParser;
import dev.nest.metrics.NodeMetrics;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.scaler.ScalerLoop;
import dev.nest.scaler.ScalingEvent;
import dev.nest.scaler.ScalingStatus;
import dev.nest.scheduler.Scheduler;
import dev.nest.sidecar.NodeAgent;
import dev.nest.spi.DriverHealth;
import dev.nest.store.InvocationRecord;
import dev.nest.store.NodeStore;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The admin API, {@code /api/v1}: functions (list, get, create, update, delete), versions, rollback, code
 * packages, instances, invocations, logs, runtimes, the cluster and nodes, warm pools; plus {@code GET /health} and
 * {@code GET /metrics} (Prometheus text).
 * Functions are addressed by name with {@code ?namespace=} (default {@code default}).
 * Every error is a JSON {@code {"error", "detail"}} through {@link Errors}.
 */
public final class AdminApi {
    private static final String P = "/api/v1";

    private final FunctionRegistry registry;
    private final Deployer deployer;
    private final FunctionFiles files;
    private final NodeAgent agent;
    private final NodeStore store;
    private final Cluster cluster;
    private final RuntimeRegistry runtimes;
    private final ScalerLoop scaler;
    private final Scheduler scheduler;
    private final String publicUrl;
    private final NodeMetrics metrics;

    public AdminApi(FunctionRegistry registry, Deployer deployer, FunctionFiles files, NodeAgent agent, NodeStore store,
                    Cluster cluster, RuntimeRegistry runtimes, ScalerLoop scaler, Scheduler scheduler, String publicUrl,
                    NodeMetrics metrics) {
        this.registry = registry;
        this.deployer = deployer;
        this.files = files;
        this.agent = agent;
        this.store = store;
        this.cluster = cluster;
        this.runtimes = runtimes;
        this.scaler = scaler;
        this.scheduler = scheduler;
        this.publicUrl = publicUrl;
        this.metrics = metrics;
    }

    public void routing(HttpRouting.Builder r) {
        r.get("/health", this::health);
        r.get(P + "/functions", this::list);
        r.post(P + "/functions", this::create);
        r.get(P + "/functions/{name}", this::get);
        r.put(P + "/functions/{name}", this::update);
        r.delete(P + "/functions/{name}", this::delete);
        r.get(P + "/functions/{name}/versions", this::versions);
        r.post(P + "/functions/{name}/versions", this::deployVersion);
        r.post(P + "/functions/{name}/rollback", this::rollback);
        r.get(P + "/functions/{name}/instances", (req, res) -> Errors.json(res, 200, agent.instances(id(req))));
        r.get(P + "/functions/{name}/logs", this::logs);
        r.get(P + "/functions/{name}/scaling", this::scaling);
        r.post(P + "/artifacts", this::upload);
        r.put(P + "/artifacts/chunks/{sha256}", this::uploadChunk);
        r.get(P + "/artifacts/chunks/{sha256}", this::chunk);
        r.head(P + "/artifacts/chunks/{sha256}", this::chunk);
        r.post(P + "/artifacts/manifests", this::uploadManifest);
        r.get(P + "/artifacts/manifests/{digest}", this::manifest);
        r.get(P + "/invocations", this::invocations);
        r.get(P + "/invocations/{id}", this::invocation);
        r.get(P + "/instances", (req, res) -> Errors.json(res, 200, agent.instances()));
        r.get(P + "/runtimes", this::runtimes);
        r.get(P + "/cluster", (req, res) -> Errors.json(res, 200, cluster.describe()));
        r.get(P + "/nodes", (req, res) -> Errors.json(res, 200, cluster.describeNodes(
                req.query().first("package").asOptional().map(AdminApi::packageDigest))));
        poolsAndMetrics(r);
        r.any(P + "/*", (req, res) -> Errors.send(res, 404, "no such endpoint", req.prologue().method().text() + " "
                + req.path().rawPath() + " is not part of the API; see docs/API.md"));
        r.any("/*", (req, res) -> Errors.send(res, 404, "not found", req.prologue().method().text() + " "
                + req.path().rawPath() + " is not served here: functions are at /fn/{name} (or /ns/{namespace}/fn/{name}),"
                + " the admin API under /api/v1 (see docs/API.md)"));
    }

    /** A {@code ?package=} filter: {@code sha256:<64 hex>} or the bare hex. */
    private static String packageDigest(String given) {
        String hex = given.startsWith("sha256:") ? given.substring(7) : given;
        if (!hex.matches("[0-9a-f]{64}")) {
            throw NestException.badRequest("package '" + given + "' is not a package digest; give sha256:<64 lowercase hex "
                    + "digits> as the upload answered it");
        }
        return "sha256:" + hex;
    }

    // ---- health ----------------------------------------------------------------------------------------

    private void health(ServerRequest req, ServerResponse res) {
        DriverHealth driver = agent.driverHealth();
        ObjectNode n = Json.mapper().createObjectNode();
        boolean ok = driver.healthy() && cluster.state() == Cluster.State.CONNECTED;
        n.put("status", ok ? "ready" : "degraded");
        n.put("node", cluster.self().id());
        ObjectNode d = n.putObject("driver");
        d.put("name", agent.driver().name());
        d.put("healthy", driver.healthy());
        d.put("detail", driver.detail());
        n.put("cluster", cluster.state().name());
        Errors.json(res, 200, n);
    }

    // ---- functions -------------------------------------------------------------------------------------

    private static FunctionId id(ServerRequest req) {
        String ns = req.query().first("namespace").orElse(FunctionId.DEFAULT_NAMESPACE);
        try {
            return FunctionId.of(ns, req.path().pathParameters().get("name"));
        } catch (IllegalArgumentException e) {
            throw NestException.badRequest(e.getMessage());
        }
    }

    private void list(ServerRequest req, ServerResponse res) {
        Optional<String> ns = req.query().first("namespace").asOptional();
        Map<String, ObjectNode> out = new TreeMap<>();
        for (FunctionRecord r : registry.all()) {
            if (ns.isEmpty() || ns.get().equals(r.id().namespace())) {
                out.put(r.id().toString(), summary(r));
            }
        }
        for (FileProblem p : files.problems()) {
            if (ns.isPresent() && !ns.get().equals(p.namespace())) {
                continue;
            }
            String key = p.namespace() + "/" + p.name();
            ObjectNode n = out.computeIfAbsent(key, k -> {
                ObjectNode x = Json.mapper().createObjectNode();
                x.put("name", p.name());
                x.put("namespace", p.namespace());
                x.put("status", "error");
                return x;
            });
            n.put("error", p.error());
            n.put("file", p.file());
            if (n.path("status").asText().equals("ready")) {
                n.put("status", "error");
            }
        }
        Errors.json(res, 200, Map.of("functions", out.values()));
    }

    private ObjectNode summary(FunctionRecord r) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("name", r.id().name());
        n.put("namespace", r.id().namespace());
        Optional<FunctionVersion> live = r.liveVersion();
        n.put("runtime", live.map(v -> v.spec().runtime()).orElse(""));
        n.put("live", r.live());
        n.put("latest", r.latest());
        n.put("versions", r.versions().size());
        n.put("origin", r.origin());
        n.put("updatedAt", r.updatedAt().toString());
        n.put("url", publicUrl + invokePath(r.id()));
        String status = live.isEmpty() ? "no code" : "ready";
        Optional<String> startError = agent.lastStartError(r.id());
        if (startError.isPresent()) {
            status = "failing";
            n.put("error", startError.get());
        }
        files.problem(r.id()).ifPresent(p -> {
            n.put("error", p.error());
            n.put("file", p.file());
        });
        if (files.problem(r.id()).isPresent()) {
            status = "error";
        }
        n.put("status", status);
        return n;
    }

    static String invokePath(FunctionId id) {
        return id.namespace().equals(FunctionId.DEFAULT_NAMESPACE) ? "/fn/" + id.name()
                : "/ns/" + id.namespace() + "/fn/" + id.name();
    }

    private void get(ServerRequest req, ServerResponse res) {
        FunctionId id = id(req);
        Optional<FunctionRecord> r = registry.get(id);
        Optional<FileProblem> problem = files.problem(id);
        if (r.isEmpty() && problem.isEmpty()) {
            throw NestException.notFound("function", "no function " + id + "; see GET /api/v1/functions");
        }
        ObjectNode n;
        if (r.isPresent()) {
            n = summary(r.get());
            r.get().liveVersion().ifPresent(v -> n.set("spec", SpecParser.write(v.spec())));
            n.set("liveHistory", Json.mapper().valueToTree(r.get().liveHistory()));
            n.set("instances", Json.mapper().valueToTree(agent.instances(id)));
        } else {
            n = Json.mapper().createObjectNode();
            n.put("name", id.name());
            n.put("namespace", id.namespace());
            n.put("status", "error");
            n.put("error", problem.get().error());
            n.put("file", problem.get().file());
        }
        Errors.json(res, 200, n);
    }

    // ---- scaling ---------------------------------------------------------------------------------------

    /** The effective scaling config, the current metrics, the desired count and the recent decisions. */
    private void scaling(ServerRequest req, ServerResponse res) {
        FunctionId id = id(req);
        FunctionRecord r = registry.get(id).orElseThrow(() -> NestException.notFound("function",
                "no function " + id + "; see GET /api/v1/functions"));
        FunctionVersion live = r.liveVersion().orElseThrow(() -> NestException.notFound("function",
                "function " + id + " has no live version; deploy one"));
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("name", id.name());
        n.put("namespace", id.namespace());
        n.put("version", live.version());
        n.set("config", SpecParser.write(live.spec()).get("scaling"));
        Optional<ScalingStatus> st = scaler.status(id);
        n.put("active", scaler.active());
        n.put("leader", cluster.leaderId().orElse(""));
        if (st.isPresent()) {
            ScalingStatus s = st.get();
            ObjectNode eff = (ObjectNode) n.get("config");
            ArrayNode ms = eff.putArray("metrics");
            s.config().metrics().forEach(m -> ms.addObject().put("type", m.type().key()).put("target", m.target()));
            eff.put("stable-window", dev.nest.common.Durations.format(s.config().stableWindow()));
            eff.put("up-window", dev.nest.common.Durations.format(s.config().upWindow()));
            n.put("desired", s.desired());
            n.put("rule", s.rule() == null ? "" : s.rule().key());
            n.put("reason", s.reason());
            n.put("decidedAt", s.decidedAt() == null ? "" : s.decidedAt().toString());
            ObjectNode load = n.putObject("instances");
            load.put("ready", s.load().ready());
            load.put("busy", s.load().busy());
            load.put("starting", s.load().starting());
            load.put("inFlight", s.load().inFlight());
            load.put("queued", s.load().queued());
            load.put("served", s.load().served());
            load.put("cpu", Math.round(s.load().cpu() * 1000) / 1000.0);
            load.put("memoryMb", Math.round(s.load().memoryMb() * 10) / 10.0);
            load.put("measured", s.load().measured());
            n.set("metrics", Json.mapper().valueToTree(s.metrics()));
            n.put("idleSince", s.idleSince().map(Object::toString).orElse(""));
            ArrayNode ev = n.putArray("decisions");
            for (ScalingEvent e : s.events().reversed()) {
                ObjectNode o = ev.addObject();
                o.put("at", e.at().toString());
                o.put("from", e.from());
                o.put("to", e.to());
                o.put("rule", e.rule().key());
                o.put("reason", e.reason());
                o.set("metrics", Json.mapper().valueToTree(e.metrics()));
            }
        } else {
            n.put("reason", "the scaler has not seen this function yet (it decides every second on the leader)");
            n.putArray("decisions");
        }
        ObjectNode placement = n.putObject("placement");
        placement.put("noCapacityEvents", scheduler.noCapacityEvents());
        scheduler.status(id).ifPresent(p -> {
            placement.put("wanted", p.wanted());
            placement.put("placed", p.placed());
            placement.put("shortfall", p.shortfall());
            placement.set("perNode", Json.mapper().valueToTree(p.perNode()));
            placement.put("reason", p.reason());
        });
        Errors.json(res, 200, n);
    }

    private static byte[] body(ServerRequest req) {
        try (InputStream in = req.content().inputStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw NestException.badRequest("cannot read the request body: " + e.getMessage());
        }
    }

    /** Reads {"spec": {...}, "digest": "..."} (or a bare spec plus "digest"). */
    private record Deploy(FunctionSpec spec, Optional<String> digest) {
    }

    private static Deploy readDeploy(ServerRequest req, Optional<FunctionId> path) {
        JsonNode doc = Json.tree(body(req), "request body");
        if (!doc.isObject()) {
            throw NestException.badRequest("the request body must be a JSON object with 'spec' and 'digest'");
        }
        Optional<String> digest = Optional.ofNullable(doc.get("digest")).map(JsonNode::asText);
        JsonNode specNode = doc.has("spec") ? doc.get("spec") : ((ObjectNode) doc.deepCopy()).without("digest");
        if (path.isPresent() && specNode.isObject()) {
            ObjectNode s = (ObjectNode) specNode;
            String given = s.path("name").asText(path.get().name());
            if (!given.equals(path.get().name())) {
                throw NestException.badRequest("key 'spec.name': value '" + given + "' does not match the function in the path ('"
                        + path.get().name() + "'); leave it out or make them equal");
            }
            s.put("name", path.get().name());
            if (!s.has("namespace")) {
                s.put("namespace", path.get().namespace());
            }
        }
        FunctionSpec spec = SpecParser.parse(specNode, "request body 'spec'", "", SpecParser.Defaults.STANDARD).spec();
        return new Deploy(spec, digest);
    }

    private void create(ServerRequest req, ServerResponse res) {
        Deploy d = readDeploy(req, Optional.empty());
        if (registry.get(d.spec().id()).isPresent()) {
            throw NestException.conflict("function " + d.spec().id() + " exists; deploy a new version with POST "
                    + P + "/functions/" + d.spec().id().name() + "/versions");
        }
        deployed(res, 201, deployer.deploy(d.spec(), requireDigest(d), source(req), "api"));
    }

    private static String requireDigest(Deploy d) {
        return d.digest().orElseThrow(() -> NestException.badRequest("key 'digest': required: the digest returned by "
                + "POST /api/v1/artifacts for the function's code package"));
    }

    private void deployVersion(ServerRequest req, ServerResponse res) {
        Deploy d = readDeploy(req, Optional.of(id(req)));
        deployed(res, 201, deployer.deploy(d.spec(), requireDigest(d), source(req), "api"));
    }

    private void update(ServerRequest req, ServerResponse res) {
        Deploy d = readDeploy(req, Optional.of(id(req)));
        Deployer.Deployed result = d.digest().isPresent()
                ? deployer.deploy(d.spec(), d.digest().get(), source(req), "api")
                : deployer.updateSpec(d.spec(), source(req));
        deployed(res, 200, result);
    }

    private void deployed(ServerResponse res, int status, Deployer.Deployed d) {
        ObjectNode n = summary(d.record());
        n.put("version", d.version().version());
        n.put("changed", d.changed());
        n.put("digest", d.version().digest());
        Errors.json(res, status, n);
    }

    private static String source(ServerRequest req) {
        return req.headers().first(io.helidon.http.HeaderNames.USER_AGENT).filter(a -> a.startsWith("nest-cli"))
                .map(a -> "cli").orElse("api");
    }

    private void delete(ServerRequest req, ServerResponse res) {
        FunctionId id = id(req);
        if (!deployer.delete(id, source(req))) {
            throw NestException.notFound("function", "no function " + id);
        }
        Errors.json(res, 200, Map.of("deleted", id.toString()));
    }

    private void versions(ServerRequest req, ServerResponse res) {
        FunctionId id = id(req);
        FunctionRecord r = registry.get(id).orElseThrow(() -> NestException.notFound("function", "no function " + id));
        ArrayNode out = Json.mapper().createArrayNode();
        for (FunctionVersion v : r.versions().values()) {
            ObjectNode n = FunctionCodec.writeVersion(v);
            n.put("live", v.version() == r.live());
            out.add(n);
        }
        Errors.json(res, 200, Map.of("function", id.toString(), "live", r.live(), "versions", out));
    }

    private void rollback(ServerRequest req, ServerResponse res) {
        FunctionId id = id(req);
        Optional<Integer> to = Optional.empty();
        byte[] b = body(req);
        if (b.length > 0) {
            JsonNode n = Json.tree(b, "request body");
            if (n.has("to") && !n.get("to").isNull()) {
                if (!n.get("to").canConvertToInt() || n.get("to").asInt() < 1) {
                    throw NestException.badRequest("key 'to': value '" + n.get("to") + "' is not valid; allowed: a version number");
                }
                to = Optional.of(n.get("to").asInt());
            }
        }
        FunctionRecord r = deployer.rollback(id, to, source(req));
        ObjectNode n = summary(r);
        n.put("version", r.live());
        Errors.json(res, 200, n);
    }

    private void upload(ServerRequest req, ServerResponse res) {
        Optional<String> runtime = req.query().first("runtime").asOptional();
        Optional<Codec> codec = req.query().first("codec").asOptional().map(Codec::parse);
        Artifact a;
        try (InputStream in = req.content().inputStream()) {
            a = deployer.upload(in, runtime, codec);
        } catch (IOException e) {
            throw NestException.badRequest("cannot read the package: " + e.getMessage());
        }
        Errors.json(res, 201, Map.of("digest", a.digest(), "files", a.files(), "bytes", a.bytes()));
    }

    /** {@code PUT /artifacts/chunks/{sha256}}: one compressed chunk of a chunked upload, verified. */
    private void uploadChunk(ServerRequest req, ServerResponse res) {
        String sha = req.path().pathParameters().get("sha256");
        try (InputStream in = req.content().inputStream()) {
            deployer.uploadChunk(sha, in);
        } catch (IOException e) {
            throw NestException.badRequest("cannot read chunk " + sha + ": " + e.getMessage());
        }
        Errors.json(res, 201, Map.of("sha256", sha));
    }

    /** {@code GET|HEAD /artifacts/chunks/{sha256}}: a stored compressed chunk (for peers, and for the CLI to skip uploads). */
    private void chunk(ServerRequest req, ServerResponse res) {
        String sha = req.path().pathParameters().get("sha256");
        java.nio.file.Path f = deployer.uploadedChunk(sha).orElseThrow(() -> NestException.notFound("chunk",
                "no chunk " + sha + " is stored on this node"));
        res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "application/octet-stream");
        try {
            if (req.prologue().method() == io.helidon.http.Method.HEAD) {
                res.header(io.helidon.http.HeaderNames.CONTENT_LENGTH, String.valueOf(java.nio.file.Files.size(f)));
                res.send();
            } else {
                res.send(java.nio.file.Files.readAllBytes(f));
            }
        } catch (IOException e) {
            throw new NestException(500, "artifact store error", "cannot read chunk " + sha + ": " + e.getMessage(), e);
        }
    }

    /** {@code POST /artifacts/manifests[?runtime=java]}: completes a chunked upload; answers like a zip upload. */
    private void uploadManifest(ServerRequest req, ServerResponse res) {
        Artifact a = deployer.uploadManifest(body(req), req.query().first("runtime").asOptional());
        Errors.json(res, 201, Map.of("digest", a.digest(), "files", a.files(), "bytes", a.bytes()));
    }

    /** {@code GET /artifacts/manifests/{digest}}: a stored package's manifest (for peers). */
    private void manifest(ServerRequest req, ServerResponse res) {
        String digest = req.path().pathParameters().get("digest");
        byte[] m = deployer.uploadedManifest(digest).orElseThrow(() -> NestException.notFound("package",
                "no manifest of " + digest + " is stored on this node"));
        res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "application/json");
        res.send(m);
    }

    // ---- observability ---------------------------------------------------------------------------------

    private static int limit(ServerRequest req, int dflt) {
        String v = req.query().first("limit").orElse(String.valueOf(dflt));
        if (!v.matches("\\d{1,6}") || Integer.parseInt(v) < 1) {
            throw NestException.badRequest("query parameter 'limit': value '" + v + "' is not valid; allowed: 1 to 999999");
        }
        return Integer.parseInt(v);
    }

    private void invocations(ServerRequest req, ServerResponse res) {
        Optional<String> fn = req.query().first("function").asOptional().map(f -> {
            String ns = req.query().first("namespace").orElse(FunctionId.DEFAULT_NAMESPACE);
            return f.contains("/") ? FunctionId.parse(f).toString() : FunctionId.of(ns, f).toString();
        });
        store.flush();
        Errors.json(res, 200, Map.of("invocations", store.invocations(fn, limit(req, 50))));
    }

    private void invocation(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        store.flush();
        InvocationRecord r = store.invocation(id).orElseThrow(() -> NestException.notFound("invocation",
                "no invocation " + id + " on this node"));
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("invocation", r);
        n.put("logs", store.logs(Optional.empty(), Optional.of(id), 1000));
        Errors.json(res, 200, n);
    }

    private void logs(ServerRequest req, ServerResponse res) {
        FunctionId id = id(req);
        store.flush();
        Errors.json(res, 200, Map.of("function", id.toString(), "logs",
                store.logs(Optional.of(id.toString()), req.query().first("invocation").asOptional(), limit(req, 100))));
    }

    private void runtimes(ServerRequest req, ServerResponse res) {
        List<Map<String, Object>> out = new ArrayList<>();
        runtimes.all().forEach(r -> out.add(Map.of("name", r.name(), "image", r.image(), "memory", r.memoryMb(),
                "defaultHandler", r.defaultHandler())));
        Errors.json(res, 200, Map.of("runtimes", out, "problems", runtimes.problems()));
    }

    // ---- warm pools and metrics ------------------------------------------------------------------------

    private void poolsAndMetrics(HttpRouting.Builder r) {
        r.get(P + "/pools", (req, res) -> Errors.json(res, 200, agent.pool().status()));
        r.put(P + "/pools/{runtime}", this::resizePool);
        r.get("/metrics", (req, res) -> {
            res.headers().contentType(io.helidon.http.HttpMediaType.create("text/plain; version=0.0.4; charset=utf-8"));
            res.send(metrics.render().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        });
    }

    /** {@code PUT /pools/{runtime}} {@code {"size": n}}: the pool's size on this node until it restarts. */
    private void resizePool(ServerRequest req, ServerResponse res) {
        String runtime = req.path().pathParameters().get("runtime");
        JsonNode body;
        try (InputStream in = req.content().inputStream()) {
            body = Json.tree(in.readAllBytes(), "pool size");
        } catch (IOException | RuntimeException e) {
            throw NestException.badRequest("the body must be JSON like {\"size\": 2}: " + e.getMessage());
        }
        JsonNode size = body.path("size");
        if (!size.canConvertToInt() || !size.isIntegralNumber()) {
            throw NestException.badRequest("field 'size' must be a whole number of pods, like {\"size\": 2}; got "
                    + (size.isMissingNode() ? "nothing" : size.toString()));
        }
        try {
            agent.pool().resize(runtime, size.asInt());
        } catch (IllegalArgumentException e) {
            if (runtimes.find(runtime).isEmpty()) {
                throw NestException.notFound("runtime", e.getMessage());
            }
            throw NestException.badRequest(e.getMessage());
        }
        agent.pool().status().stream().filter(p -> p.runtime().equals(runtime)).findFirst()
                .ifPresent(p -> Errors.json(res, 200, p));
    }
}
