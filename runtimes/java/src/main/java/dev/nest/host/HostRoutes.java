package dev.nest.host;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java host's HTTP surface ({@code runtimes/CONTRACT.md}): checks the {@code X-Nest-Secret} of every request,
 * routes it by path and method ({@code /invoke/{id}/...} to {@link HostInvoker}; {@code /load}, {@code /unload} and
 * {@code /warmup} to {@link HostInstances}; {@code /health} and, in a merged pod, {@code /status} here), and writes
 * every reply the host produces: JSON errors with {@code X-Nest-Error}, always an exact {@code Content-Length}.
 *
 * <p>Failure: a request without the secret gets 401, an unknown path 404, a wrong method 405 with {@code Allow}; a
 * failure while answering (the client gone, a bug) is written to the host's stderr and the exchange is closed, so the
 * serving thread never dies of it.
 *
 * <p>Threads: {@link #handle} runs on one virtual thread per request (the port's and the socket's listeners alike);
 * this class keeps no per-request state. The cached pid is written racily but always to the same value.
 */
final class HostRoutes {

    static final String JSON = "application/json";
    private static final String RUNTIME = "java";

    private final JavaHost host;
    private final HostInstances instances;
    private final HostInvoker invoker;
    private final byte[] secret;
    private final boolean merged;
    private final PrintStream err;
    private long pid = -1;

    HostRoutes(JavaHost host, HostInstances instances, HostInvoker invoker, byte[] secret, boolean merged,
            PrintStream err) {
        this.host = host;
        this.instances = instances;
        this.invoker = invoker;
        this.secret = secret;
        this.merged = merged;
        this.err = err;
    }

    /** Answers one request and closes the exchange; never throws. */
    void handle(HttpExchange ex) {
        try {
            String method = ex.getRequestMethod();
            if (!authorized(ex)) {
                error(ex, 401, "unauthorized", "unauthorized",
                        "the request has no valid X-Nest-Secret header; send the host's NEST_HOST_SECRET");
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            if (path == null) path = "/";
            if (path.startsWith("/invoke/")) {
                invoker.invoke(ex, method, path);
            } else if (path.equals("/health")) {
                if (!method.equals("GET") && !method.equals("HEAD")) {
                    methodNotAllowed(ex, "GET");
                } else {
                    reply(ex, 200, JSON, Json.writeBytes(health()));
                }
            } else if (path.equals("/status") && merged) {
                if (!method.equals("GET")) methodNotAllowed(ex, "GET");
                else reply(ex, 200, JSON, Json.writeBytes(MergedStatus.status(pid(), rss(0), instances.values())));
            } else if (path.equals("/load")) {
                if (!method.equals("POST")) methodNotAllowed(ex, "POST");
                else instances.load(ex);
            } else if (path.equals("/unload")) {
                if (!method.equals("POST")) methodNotAllowed(ex, "POST");
                else instances.unload(ex);
            } else if (path.equals("/warmup")) {
                if (!method.equals("POST")) methodNotAllowed(ex, "POST");
                else instances.warmUp(ex, host.address());
            } else {
                error(ex, 404, "bad-request", "not found", "no such endpoint " + path
                        + "; the host serves /health, /load, /unload, /warmup and /invoke/{id}/...");
            }
        } catch (Throwable t) {
            err.println("nest java host: failed to answer " + ex.getRequestMethod() + " " + ex.getRequestURI()
                    + ": " + t);
        } finally {
            ex.close();
        }
    }

    private boolean authorized(HttpExchange ex) {
        String given = ex.getRequestHeaders().getFirst("X-Nest-Secret");
        return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), secret);
    }

    private static void methodNotAllowed(HttpExchange ex, String allowed) throws IOException {
        ex.getResponseHeaders().set("Allow", allowed);
        error(ex, 405, "bad-request", "method not allowed",
                ex.getRequestMethod() + " is not supported here; use " + allowed);
    }

    /** A host-produced error: JSON body, {@code X-Nest-Error} header. */
    static void error(HttpExchange ex, int status, String kind, String error, String detail)
            throws IOException {
        Map<String, Object> m = new LinkedHashMap<>(4);
        m.put("error", error);
        m.put("detail", detail);
        errorBody(ex, status, kind, m);
    }

    static void errorBody(HttpExchange ex, int status, String kind, Map<String, Object> body)
            throws IOException {
        ex.getResponseHeaders().set("X-Nest-Error", kind);
        reply(ex, status, JSON, Json.writeBytes(body));
    }

    static void reply(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        if (contentType != null) ex.getResponseHeaders().set("Content-Type", contentType);
        send(ex, status, body);
    }

    /** Sends the status and body, always with an exact {@code Content-Length} (never chunked). */
    static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        if (status == 204 || status == 304 || status < 200) {
            ex.sendResponseHeaders(status, -1);
        } else if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
            ex.sendResponseHeaders(status, -1);
        } else if (body.length == 0) {
            ex.sendResponseHeaders(status, -1); // -1: no body, "Content-Length: 0" (0 would mean chunked)
        } else {
            ex.sendResponseHeaders(status, body.length);
            OutputStream os = ex.getResponseBody();
            os.write(body);
            os.close();
        }
    }

    // ------------------------------------------------------------------ /health

    private Map<String, Object> health() {
        Map<String, Object> m = new LinkedHashMap<>(8);
        m.put("ready", host.ready());
        m.put("runtime", RUNTIME);
        m.put("pid", pid());
        m.put("inFlight", invoker.inFlight());
        m.put("preloaded", host.preloaded());
        Runtime rt = Runtime.getRuntime();
        long heapUsed = rt.totalMemory() - rt.freeMemory();
        Map<String, Object> mem = new LinkedHashMap<>(4);
        mem.put("rssBytes", rss(rt.totalMemory()));
        mem.put("heapUsedBytes", heapUsed);
        m.put("memory", mem);
        if (merged) {
            m.put("merged", true);
            m.put("instances", MergedStatus.instances(instances.values()));
            return m;
        }
        List<Object> list = new ArrayList<>(instances.size());
        for (Instance s : instances.values()) {
            Map<String, Object> sm = new LinkedHashMap<>(6);
            sm.put("id", s.id);
            sm.put("function", s.function);
            sm.put("version", s.version);
            sm.put("inFlight", s.inFlight());
            sm.put("healthy", s.unhealthy().isEmpty());
            s.unhealthy().ifPresent(why -> sm.put("unhealthy", why));
            list.add(sm);
        }
        m.put("instances", list);
        return m;
    }

    private long pid() {
        long p = pid;
        if (p < 0) {
            p = ProcessHandle.current().pid();
            pid = p;
        }
        return p;
    }

    /** This process's resident set size from {@code /proc/self/statm}, or {@code fallback} where there is none. */
    static long rss(long fallback) {
        try {
            String statm = new String(Files.readAllBytes(Path.of("/proc/self/statm")), StandardCharsets.US_ASCII);
            int a = statm.indexOf(' ');
            int b = statm.indexOf(' ', a + 1);
            if (a > 0 && b > a) return Long.parseLong(statm.substring(a + 1, b)) * 4096L;
        } catch (IOException | RuntimeException ignored) {
            // not Linux: fall back
        }
        return fallback;
    }
}
