package dev.nest.gateway;

import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import dev.nest.sidecar.HostClient;
import dev.nest.sidecar.Lease;
import dev.nest.sidecar.NodeAgent;
import dev.nest.store.InvocationRecord;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Serves {@code ANY /fn/{name}[/{rest...}]} for functions of the {@code default} namespace and
 * {@code ANY /ns/{namespace}/fn/{name}[/{rest...}]} for the others.
 *
 * <p>The path of one invocation: resolve the function's live version from the in-memory catalog; check the
 * body size ({@code server.max-body}, 413 beyond it); take a {@link Lease} from the node agent (429 when the
 * queue is full, 503 when no instance frees up in time); forward the request with {@link HostClient} to
 * {@code /invoke/{instance}{rest}}; copy the answer back; release the lease; queue the invocation record.
 * At the function's {@code timeout} the caller gets 504 and the instance is recycled. Nothing on this path
 * touches ZooKeeper or the database synchronously.
 */
public final class Gateway {
    private static final io.helidon.http.HeaderName ID_HEADER = HeaderNames.create("x-nest-invocation-id");
    private static final io.helidon.http.HeaderName COLD_HEADER = HeaderNames.create("x-nest-cold");

    private final FunctionCatalog catalog;
    private final NodeAgent agent;
    private final Consumer<InvocationRecord> records;
    private final long maxBody;
    private final Clock clock;
    /** Validated ids of deployed functions by their URL prefix, so that the hot path skips validation. */
    private final java.util.concurrent.ConcurrentHashMap<String, FunctionId> ids = new java.util.concurrent.ConcurrentHashMap<>();

    public Gateway(FunctionCatalog catalog, NodeAgent agent, Consumer<InvocationRecord> records, long maxBody, Clock clock) {
        this.catalog = catalog;
        this.agent = agent;
        this.records = records;
        this.maxBody = maxBody;
        this.clock = clock;
    }

    /** Registers the invocation routes. */
    public void routing(HttpRouting.Builder routing) {
        routing.any("/fn/*", this::handle);
        routing.any("/ns/*", this::handle);
    }

    private void handle(ServerRequest req, ServerResponse res) {
        long t0 = System.nanoTime();
        Instant started = clock.instant();
        String invocationId = InvocationIds.next();
        String raw = req.path().rawPath();
        String namespace = FunctionId.DEFAULT_NAMESPACE;
        int nameStart;
        if (raw.startsWith("/ns/")) {
            int slash = raw.indexOf('/', 4);
            if (slash < 0 || !raw.startsWith("/fn/", slash)) {
                res.next();
                return;
            }
            namespace = raw.substring(4, slash);
            nameStart = slash + 4;
        } else {
            nameStart = 4;
        }
        int end = raw.indexOf('/', nameStart);
        String name = end < 0 ? raw.substring(nameStart) : raw.substring(nameStart, end);
        String rest = end < 0 ? "/" : raw.substring(end);
        FunctionId id = ids.get(raw.substring(0, end < 0 ? raw.length() : end));
        if (id == null) {
            try {
                id = FunctionId.of(namespace, name);
            } catch (IllegalArgumentException e) {
                error(res, invocationId, 404, "function not found", e.getMessage());
                return;
            }
            if (catalog.get(id).isPresent() && ids.size() < 100_000) {
                ids.put(raw.substring(0, end < 0 ? raw.length() : end), id);
            }
        }
        Optional<FunctionRecord> record = catalog.get(id);
        if (record.isEmpty()) {
            error(res, invocationId, 404, "function not found", "no function " + id + " is deployed; "
                    + "see GET /api/v1/functions or deploy it with 'nest fn deploy'");
            return;
        }
        Optional<FunctionVersion> live = record.get().liveVersion();
        if (live.isEmpty()) {
            error(res, invocationId, 404, "function not deployed", "function " + id + " has no live version yet; deploy code to it");
            return;
        }
        FunctionVersion version = live.get();
        byte[] body;
        try {
            body = readBody(req);
        } catch (NestException e) {
            error(res, invocationId, e.status(), e.error(), e.detail());
            return;
        }
        long timeoutNanos = version.spec().timeout().toNanos();
        long deadline = t0 + timeoutNanos;
        long deadlineEpoch = started.toEpochMilli() + version.spec().timeout().toMillis();
        Lease lease;
        try {
            lease = agent.acquire(version, deadline);
        } catch (NestException e) {
            error(res, invocationId, e.status(), e.error(), e.detail());
            record(invocationId, version, started, t0, e.status(), false, "", e.error() + ": " + e.detail(),
                    Map.of("queue", (System.nanoTime() - t0) / 1e6));
            return;
        }
        String query = req.query().rawValue();
        String target = "/invoke/" + lease.instance().id() + rest + (query.isEmpty() ? "" : "?" + query);
        long tForward = System.nanoTime();
        HostClient.Response r;
        try {
            r = lease.instance().client().forward(req.prologue().method().text(), target,
                    sink -> {
                        for (Header h : req.headers()) {
                            List<String> values = h.allValues();
                            for (int i = 0; i < values.size(); i++) {
                                sink.header(h.name(), values.get(i));
                            }
                        }
                    }, invocationId, deadlineEpoch, body, deadline);
        } catch (HostClient.TimeoutException e) {
            lease.recycle("invocation " + invocationId + " exceeded the timeout of " + version.spec().timeout().toMillis() + " ms");
            String detail = "function " + id + " did not answer within its timeout of "
                    + version.spec().timeout().toMillis() + " ms; the instance was recycled";
            error(res, invocationId, 504, "function timed out", detail);
            record(invocationId, version, started, t0, 504, lease.cold(), lease.instance().id(), "timeout: " + detail,
                    phases(lease, tForward, System.nanoTime()));
            return;
        } catch (IOException e) {
            lease.recycle("invocation " + invocationId + " failed: " + e.getMessage());
            String detail = "the instance of " + id + " failed during the invocation (" + e.getMessage()
                    + "); it was replaced, retry the request";
            error(res, invocationId, 502, "instance failed", detail);
            record(invocationId, version, started, t0, 502, lease.cold(), lease.instance().id(), detail,
                    phases(lease, tForward, System.nanoTime()));
            return;
        }
        long tDone = System.nanoTime();
        lease.release();
        res.status(Status.create(r.status()));
        List<String> hs = r.headers();
        String error = "";
        var headers = res.headers();
        for (int i = 0; i < hs.size(); i += 2) {
            String n = hs.get(i);
            if (n.regionMatches(true, 0, "x-nest-", 0, 7)) {
                if (n.equalsIgnoreCase("x-nest-error")) {
                    error = hs.get(i + 1);
                }
                continue;
            }
            headers.add(HeaderValues.create(n, hs.get(i + 1)));
        }
        headers.set(ID_HEADER, invocationId);
        if (lease.cold()) {
            headers.set(COLD_HEADER, "true");
        }
        res.send(r.body());
        if (!error.isEmpty()) {
            error = error + ": " + errorDetail(r.body());
        }
        record(invocationId, version, started, t0, r.status(), lease.cold(), lease.instance().id(), error,
                phases(lease, tForward, tDone));
    }

    private static String errorDetail(byte[] body) {
        try {
            return Json.tree(body, "error").path("detail").asText("");
        } catch (RuntimeException e) {
            return "";
        }
    }

    private byte[] readBody(ServerRequest req) {
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        var declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > maxBody) {
            throw tooLarge(declared.getAsLong());
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, maxBody + 1));
            if (b.length > maxBody) {
                throw tooLarge(b.length);
            }
            return b;
        } catch (IOException e) {
            throw new NestException(400, "bad request", "cannot read the request body: " + e.getMessage());
        }
    }

    private NestException tooLarge(long size) {
        return new NestException(413, "request body too large", "the body has " + size + " bytes; the limit is "
                + maxBody + " bytes (server.max-body); send large data by reference");
    }

    private static Map<String, Double> phases(Lease lease, long tForward, long tDone) {
        Map<String, Double> p = new LinkedHashMap<>();
        p.put("queue", lease.queueMillis());
        p.putAll(lease.startPhases());
        p.put("exec", (tDone - tForward) / 1e6);
        return p;
    }

    private void record(String id, FunctionVersion v, Instant started, long t0, int status, boolean cold,
                        String instance, String error, Map<String, Double> phases) {
        records.accept(new InvocationRecord(id, v.spec().id().toString(), v.version(), started,
                (System.nanoTime() - t0) / 1e6, status, cold, instance, error, phases));
    }

    private static void error(ServerResponse res, String invocationId, int status, String error, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("detail", detail);
        body.put("invocationId", invocationId);
        res.status(Status.create(status));
        res.headers().set(HeaderNames.CONTENT_TYPE, "application/json");
        res.headers().set(ID_HEADER, invocationId);
        res.send(Json.bytes(body));
    }
}
