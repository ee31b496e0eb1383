package dev.nest.host;

import static dev.nest.host.HostRoutes.JSON;
import static dev.nest.host.HostRoutes.error;
import static dev.nest.host.HostRoutes.reply;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The instances a Java host has loaded, by id, and the routes that change them: {@code POST /load} (a function
 * version in its own class loader, {@link Instance#load}), {@code POST /unload} (drains it, then closes its class
 * loader) and {@code POST /warmup} ({@link HostWarmUp}). In a merged pod's host each loaded instance also gets its own
 * measured threads ({@link FunctionThreads}).
 *
 * <p>Failure: a body that is not a JSON object, a bad id or a missing {@code codeDir} is 400; a second load of a
 * loaded (or loading) id is 409, as is a load while the warm-up runs; a function that cannot be loaded (no class,
 * a failing constructor or init) is 422 and leaves nothing behind; unloading an unknown id is 404. A failed warm-up is
 * 503 when it loaded nothing, else 500, and its instance is unloaded either way.
 *
 * <p>Threads: safe for concurrent requests; the maps are concurrent and a load reserves its id in {@code loading}
 * first, so two loads of one id cannot both succeed.
 */
final class HostInstances {

    private final ConcurrentHashMap<String, Instance> instances = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Boolean> loading = new ConcurrentHashMap<>();
    /** The pool's warm-up of this host (POST /warmup). */
    private final HostWarmUp warmUp = new HostWarmUp();
    private final String secret;
    /** A merged pod's host (NEST_HOST_MODE=merged): each instance runs on its own measured threads. */
    private final boolean merged;
    private final ThreadMeter meter;
    private final PrintStream err;

    HostInstances(String secret, boolean merged, PrintStream err) {
        this.merged = merged;
        this.meter = merged ? ThreadMeter.jvm() : ThreadMeter.NONE;
        this.secret = secret;
        this.err = err;
    }

    /** The loaded instance {@code id}, or null. */
    Instance get(String id) {
        return instances.get(id);
    }

    /** A live view of the loaded instances. */
    Collection<Instance> values() {
        return instances.values();
    }

    int size() {
        return instances.size();
    }

    /** Unloads every instance at once (no drain): the host is stopping. */
    void unloadAll() {
        for (String id : new ArrayList<>(instances.keySet())) {
            Instance s = instances.remove(id);
            if (s != null) s.unload(0);
        }
    }

    private static Map<?, ?> jsonBody(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        Object v;
        try {
            v = Json.parse(body);
        } catch (Json.JsonException e) {
            error(ex, 400, "bad-request", "invalid JSON", e.getMessage());
            return null;
        }
        if (!(v instanceof Map<?, ?> m)) {
            error(ex, 400, "bad-request", "invalid request", "the body must be a JSON object");
            return null;
        }
        return m;
    }

    private static String text(Map<?, ?> m, String key) {
        Object v = m.get(key);
        return v == null ? null : v instanceof String s ? s : v instanceof Map || v instanceof List ? null
                : String.valueOf(v);
    }

    static boolean validId(String id) {
        if (id == null || id.isEmpty() || id.length() > 128) return false;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '~' || c == '-')) return false;
        }
        return true;
    }

    /** POST /load. */
    void load(HttpExchange ex) throws IOException {
        Map<?, ?> req = jsonBody(ex);
        if (req == null) return;
        String id = text(req, "id");
        if (!validId(id)) {
            error(ex, 400, "bad-request", "invalid id", "id must match [A-Za-z0-9._~-]{1,128}, got " + id);
            return;
        }
        String codeDir = text(req, "codeDir");
        if (codeDir == null || codeDir.isEmpty()) {
            error(ex, 400, "bad-request", "invalid request", "codeDir is required");
            return;
        }
        Path dir;
        try {
            dir = Path.of(codeDir).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            error(ex, 400, "bad-request", "invalid request", "codeDir is not a valid path: " + e.getMessage());
            return;
        }
        String handler = text(req, "handler");
        if (handler == null || handler.isBlank()) handler = "Handler";
        handler = handler.trim();
        String function = text(req, "function");
        String version = text(req, "version");
        Map<String, String> env = new LinkedHashMap<>();
        if (req.get("env") instanceof Map<?, ?> e) {
            for (Map.Entry<?, ?> en : e.entrySet()) {
                if (en.getValue() != null) env.put(String.valueOf(en.getKey()), String.valueOf(en.getValue()));
            }
        }
        int memoryMb = (int) (Runtime.getRuntime().maxMemory() >> 20);
        long timeoutMs = 0;
        int concurrency = 1;
        if (req.get("limits") instanceof Map<?, ?> limits) {
            if (limits.get("concurrency") instanceof Number n) concurrency = n.intValue();
            if (limits.get("memoryMb") instanceof Number n) memoryMb = n.intValue();
            if (limits.get("timeoutMs") instanceof Number n) timeoutMs = n.longValue();
        }

        if (warmUp.refuses(id)) {
            error(ex, 409, "bad-request", "warming up",
                    "the host is running its warm-up (POST /warmup); load after it has answered");
            return;
        }
        warmUp.loading(id);
        if (instances.containsKey(id) || loading.putIfAbsent(id, Boolean.TRUE) != null) {
            error(ex, 409, "bad-request", "already loaded", "instance " + id + " is already loaded; unload it first");
            return;
        }
        try {
            if (instances.containsKey(id)) {
                error(ex, 409, "bad-request", "already loaded",
                        "instance " + id + " is already loaded; unload it first");
                return;
            }
            Instance s;
            try {
                s = Instance.load(id, function == null ? "" : function, version == null ? "" : version, dir, handler,
                        Collections.unmodifiableMap(env), memoryMb, timeoutMs);
            } catch (Instance.LoadException e) {
                error(ex, 422, "load-failed", "load failed", e.getMessage());
                return;
            }
            if (merged) s.threads = new FunctionThreads(id, concurrency, meter);
            s.quiet = warmUp.quiet(id);
            instances.put(id, s);
            Map<String, Object> timings = new LinkedHashMap<>(4);
            timings.put("loadMs", s.loadMs);
            timings.put("initMs", s.initMs);
            Map<String, Object> m = new LinkedHashMap<>(4);
            m.put("id", id);
            m.put("timings", timings);
            reply(ex, 200, JSON, Json.writeBytes(m));
        } finally {
            loading.remove(id);
        }
    }

    /**
     * POST /warmup: see {@link HostWarmUp}; the host calls itself at {@code bound} (its port's address). 200 warmed,
     * 409 refused, 503 not started, 500 failed.
     */
    void warmUp(HttpExchange ex, InetSocketAddress bound) throws IOException {
        ex.getRequestBody().readAllBytes();
        String refused = warmUp.begin(instances.isEmpty() && loading.isEmpty());
        if (!refused.isEmpty()) {
            error(ex, 409, "bad-request", "warm-up refused", refused);
            return;
        }
        long t0 = System.nanoTime();
        try {
            InetAddress to = bound.getAddress() == null || bound.getAddress().isAnyLocalAddress()
                    ? InetAddress.getLoopbackAddress() : bound.getAddress();
            int invocations = warmUp.run(to, bound.getPort(), secret, id -> {
                Instance s = instances.remove(id);
                if (s != null) s.unload(0);
            });
            Map<String, Object> m = new LinkedHashMap<>(4);
            m.put("warmedUp", true);
            m.put("invocations", invocations);
            m.put("ms", (System.nanoTime() - t0) / 1000 / 1000.0);
            reply(ex, 200, JSON, Json.writeBytes(m));
        } catch (HostWarmUp.NotStarted e) {
            error(ex, 503, "warm-up-unavailable", "warm-up not started", e.getMessage());
        } catch (IOException | RuntimeException e) {
            err.println("nest java host: warm-up failed: " + e);
            error(ex, 500, "warm-up-failed", "warm-up failed", "the host's warm-up failed: " + e.getMessage());
        } finally {
            warmUp.end();
        }
    }

    /** POST /unload: drains the instance's in-flight invocations (up to {@link JavaHost#DRAIN_MILLIS}), then unloads. */
    void unload(HttpExchange ex) throws IOException {
        Map<?, ?> req = jsonBody(ex);
        if (req == null) return;
        String id = text(req, "id");
        Instance s = id == null ? null : instances.remove(id);
        if (s == null) {
            error(ex, 404, "not-loaded", "not loaded", "instance " + id + " is not loaded");
            return;
        }
        s.unload(JavaHost.DRAIN_MILLIS);
        Map<String, Object> m = new LinkedHashMap<>(2);
        m.put("id", id);
        reply(ex, 200, JSON, Json.writeBytes(m));
    }
}
