package dev.nest.host;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.nest.fn.HttpEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The Java runtime host: speaks {@code runtimes/CONTRACT.md} over HTTP/1.1 and runs Java functions, each
 * version in its own class loader (an instance).
 *
 * <p>{@link #main} reads its settings from the environment; {@link #start} runs a host in-process.
 */
public final class JavaHost implements HttpHandler, AutoCloseable {

    private static final String RUNTIME = "java";
    private static final String JSON = "application/json";
    private static final long DRAIN_MILLIS = 5_000;
    /** The exit status when the port is in use: the node agent starts the pod again on another port. */
    static final int EXIT_PORT_IN_USE = 98;

    private final HostSettings settings;
    private final byte[] secret;
    private final PrintStream out;
    private final PrintStream err;
    private final HttpServer server;
    private final ExecutorService executor;
    private final ConcurrentHashMap<String, Instance> instances = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Boolean> loading = new ConcurrentHashMap<>();
    private final AtomicLong localIds = new AtomicLong();
    /** The pool's warm-up of this host (POST /warmup). */
    private final HostWarmUp warmUp = new HostWarmUp();
    private static final PrintStream DISCARD = new PrintStream(OutputStream.nullOutputStream(), true,
            StandardCharsets.UTF_8);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private int inFlight;
    private volatile boolean ready;
    private volatile List<String> preloaded = List.of();
    private volatile boolean stopping;
    private long pid = -1;
    /** A merged pod's host (NEST_HOST_MODE=merged): each instance runs on its own measured threads. */
    private final boolean merged;
    private final ThreadMeter meter;
    /** The listener on {@code NEST_HOST_SOCKET}, if bound; set once by {@link #start} before it serves. */
    private volatile UnixSocketHttpServer unix;

    private JavaHost(HostSettings settings, HttpServer server, ExecutorService executor, boolean merged) {
        this.merged = merged;
        this.meter = merged ? ThreadMeter.jvm() : ThreadMeter.NONE;
        this.settings = settings;
        this.secret = settings.secret().getBytes(StandardCharsets.UTF_8);
        this.out = settings.out() != null ? settings.out() : LogRouter.rawOut();
        this.err = settings.err() != null ? settings.err() : LogRouter.rawErr();
        this.server = server;
        this.executor = executor;
    }

    /**
     * Runs a host from {@code NEST_HOST_*} environment variables (and the secret from stdin when
     * {@code NEST_HOST_SECRET_STDIN=1}, in which case the end of stdin ends the host); exits non-zero if it cannot
     * start.
     */
    public static void main(String[] args) {
        // before anything makes a temporary file (the JDK reads java.io.tmpdir once, on first use)
        HostSettings.tmpDir(System.getenv()).filter(t -> java.nio.file.Files.isDirectory(java.nio.file.Path.of(t)))
                .ifPresent(t -> System.setProperty("java.io.tmpdir", t));
        HostSettings settings;
        boolean stdinLink = HostSettings.secretOnStdin(System.getenv());
        try {
            settings = HostSettings.fromEnv(System.getenv(), System.in);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            System.err.println("nest java host: " + e.getMessage());
            System.exit(2);
            return;
        }
        JavaHost host;
        try {
            String socket = System.getenv("NEST_HOST_SOCKET");
            host = start(settings, "merged".equals(System.getenv("NEST_HOST_MODE")),
                    socket == null || socket.isBlank() ? java.util.Optional.empty()
                            : java.util.Optional.of(java.nio.file.Path.of(socket.trim())));
        } catch (IOException | RuntimeException e) {
            boolean inUse = e instanceof java.net.BindException;
            System.err.println("nest java host: cannot listen on " + settings.address() + ":" + settings.port()
                    + ": " + e + (inUse ? " (EADDRINUSE)" : ""));
            System.exit(inUse ? EXIT_PORT_IN_USE : 1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(new Task(Task.SHUTDOWN, host), "nest-host-shutdown"));
        if (stdinLink) {
            exitWhenClosed(System.in, () -> {
                LogRouter.rawErr().println("nest java host: stdin closed: the node agent is gone; exiting");
                Runtime.getRuntime().halt(0);
            });
        }
        StringBuilder line = new StringBuilder("nest java host listening on ").append(settings.address())
                .append(':').append(host.port());
        host.socket().ifPresent(p -> line.append(" and on ").append(p));
        if (!settings.podId().isEmpty()) line.append(" (pod ").append(settings.podId()).append(')');
        LogRouter.rawOut().println(line);
    }

    /**
     * Starts a daemon thread that reads {@code link} to its end and then runs {@code onEnd}: the node agent holds
     * the other end of the host's stdin, so its end means the agent died and nobody is left to call this host.
     */
    static Thread exitWhenClosed(java.io.InputStream link, Runnable onEnd) {
        return Thread.ofPlatform().daemon().name("nest-host-stdin").start(() -> {
            byte[] buf = new byte[256];
            try {
                while (link.read(buf) >= 0) {
                    // anything after the secret line is ignored
                }
            } catch (IOException ignored) {
                // a broken pipe is an end too
            }
            onEnd.run();
        });
    }

    /**
     * Binds, starts serving, pre-loads {@link HostSettings#preload()} and returns the running host.
     * Installs the {@code System.out}/{@code System.err} routing (once per JVM).
     *
     * @throws IOException if the address cannot be bound
     */
    public static JavaHost start(HostSettings settings) throws IOException {
        return start(settings, false);
    }

    /**
     * {@link #start(HostSettings)}, as a merged pod's host when {@code merged}: each loaded instance then gets its own
     * threads ({@link FunctionThreads}), its CPU time and allocation are reported, and {@code GET /status} answers.
     */
    public static JavaHost start(HostSettings settings, boolean merged) throws IOException {
        return start(settings, merged, java.util.Optional.empty());
    }

    /**
     * {@link #start(HostSettings, boolean)}, also listening on the Unix domain socket {@code socket} when given
     * ({@code NEST_HOST_SOCKET}, ADR 0032): bound before the port, so that a {@code /health} answer on the port means
     * the socket is there too; served by the same handler ({@link UnixSocketHttpServer}). A socket that cannot be
     * bound is logged and the host serves on TCP only.
     */
    public static JavaHost start(HostSettings settings, boolean merged, java.util.Optional<java.nio.file.Path> socket)
            throws IOException {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        LogRouter.install();
        // warm the first request's code paths (virtual threads, Date header, JSON) while the server is set up
        Thread warm = new Thread(new Task(Task.WARM_UP, null), "nest-host-warmup");
        warm.setDaemon(true);
        warm.start();
        UnixSocketHttpServer unix = null;
        if (socket.isPresent()) {
            try {
                unix = UnixSocketHttpServer.bind(socket.get(), LogRouter.rawErr());
            } catch (IOException | RuntimeException e) {
                LogRouter.rawErr().println("nest java host: cannot listen on the socket " + socket.get() + " (" + e
                        + "); serving on TCP only");
            }
        }
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(settings.address(), settings.port()), 1024);
        } catch (IOException | RuntimeException e) {
            if (unix != null) unix.close();
            throw e;
        }
        ExecutorService executor = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("nest-host-", 0).factory());
        JavaHost host = new JavaHost(settings, server, executor, merged);
        host.unix = unix;
        server.createContext("/", host);
        server.setExecutor(executor);
        server.start();
        if (unix != null) unix.start(host, executor);
        host.preload(settings.preload());
        host.ready = true;
        return host;
    }

    /** The Unix domain socket the host also listens on, if it bound one. */
    public java.util.Optional<java.nio.file.Path> socket() {
        UnixSocketHttpServer u = unix;
        return u == null ? java.util.Optional.empty() : java.util.Optional.of(u.path());
    }

    /** The port the host listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Whether pre-loading is done. */
    public boolean ready() {
        return ready;
    }

    /**
     * Stops: refuses new invocations, waits up to 5 s for in-flight ones, stops the server and closes the
     * instances' class loaders.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        stopping = true;
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS);
            while (inFlight > 0 && nanos > 0) nanos = idle.awaitNanos(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        server.stop(0);
        UnixSocketHttpServer u = unix;
        if (u != null) u.close();
        executor.shutdown();
        for (String id : new ArrayList<>(instances.keySet())) {
            Instance s = instances.remove(id);
            if (s != null) s.unload(0);
        }
    }

    private void preload(List<String> names) {
        ClassLoader cl = JavaHost.class.getClassLoader();
        List<String> done = new ArrayList<>(names.size());
        for (String name : names) {
            try {
                Class.forName(name, true, cl);
                done.add(name);
            } catch (Throwable t) {
                err.println("nest java host: preload of " + name + " failed: " + t);
            }
        }
        preloaded = List.copyOf(done);
    }

    /** The host's small background jobs (a named class rather than lambdas: keeps start-up lean). */
    private static final class Task implements Runnable {
        static final int WARM_UP = 0;
        static final int SHUTDOWN = 1;
        static final int NOTHING = 2;

        private final int what;
        private final JavaHost host;

        Task(int what, JavaHost host) {
            this.what = what;
            this.host = host;
        }

        @Override
        public void run() {
            switch (what) {
                case WARM_UP -> warmUp();
                case SHUTDOWN -> host.close();
                default -> { }
            }
        }

        private static void warmUp() {
            try {
                Thread.ofVirtual().start(new Task(NOTHING, null));
                java.time.format.DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss zzz", Locale.US)
                        .withZone(java.time.ZoneId.of("GMT")).format(java.time.Instant.now());
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("ready", Boolean.TRUE);
                m.put("pid", ProcessHandle.current().pid());
                m.put("rssBytes", rss(0));
                m.put("list", new ArrayList<>(List.of("a\u0001")));
                Json.parse(Json.writeBytes(m));
                MessageDigest.isEqual(new byte[1], new byte[1]);
            } catch (Throwable ignored) {
                // only a warm-up
            }
        }
    }

    // ------------------------------------------------------------------ HTTP

    @Override
    public void handle(HttpExchange ex) {
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
                invoke(ex, method, path);
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
                else load(ex);
            } else if (path.equals("/unload")) {
                if (!method.equals("POST")) methodNotAllowed(ex, "POST");
                else unload(ex);
            } else if (path.equals("/warmup")) {
                if (!method.equals("POST")) methodNotAllowed(ex, "POST");
                else warmUp(ex);
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

    private void methodNotAllowed(HttpExchange ex, String allowed) throws IOException {
        ex.getResponseHeaders().set("Allow", allowed);
        error(ex, 405, "bad-request", "method not allowed",
                ex.getRequestMethod() + " is not supported here; use " + allowed);
    }

    /** A host-produced error: JSON body, {@code X-Nest-Error} header. */
    private static void error(HttpExchange ex, int status, String kind, String error, String detail)
            throws IOException {
        Map<String, Object> m = new LinkedHashMap<>(4);
        m.put("error", error);
        m.put("detail", detail);
        errorBody(ex, status, kind, m);
    }

    private static void errorBody(HttpExchange ex, int status, String kind, Map<String, Object> body)
            throws IOException {
        ex.getResponseHeaders().set("X-Nest-Error", kind);
        reply(ex, status, JSON, Json.writeBytes(body));
    }

    private static void reply(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        if (contentType != null) ex.getResponseHeaders().set("Content-Type", contentType);
        send(ex, status, body);
    }

    /** Sends the status and body, always with an exact {@code Content-Length} (never chunked). */
    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
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
        m.put("ready", ready);
        m.put("runtime", RUNTIME);
        m.put("pid", pid());
        m.put("inFlight", inFlight());
        m.put("preloaded", preloaded);
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

    private static long rss(long fallback) {
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

    private int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    private void begin() {
        lock.lock();
        try {
            inFlight++;
        } finally {
            lock.unlock();
        }
    }

    private void end() {
        lock.lock();
        try {
            if (--inFlight == 0) idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ /load and /unload

    private Map<?, ?> jsonBody(HttpExchange ex) throws IOException {
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

    private void load(HttpExchange ex) throws IOException {
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

    /** POST /warmup: see {@link HostWarmUp}. 200 warmed, 409 refused, 503 not started, 500 failed. */
    private void warmUp(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        String refused = warmUp.begin(instances.isEmpty() && loading.isEmpty());
        if (!refused.isEmpty()) {
            error(ex, 409, "bad-request", "warm-up refused", refused);
            return;
        }
        long t0 = System.nanoTime();
        try {
            InetSocketAddress bound = server.getAddress();
            InetAddress to = bound.getAddress() == null || bound.getAddress().isAnyLocalAddress()
                    ? InetAddress.getLoopbackAddress() : bound.getAddress();
            int invocations = warmUp.run(to, bound.getPort(), settings.secret(), id -> {
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

    private void unload(HttpExchange ex) throws IOException {
        Map<?, ?> req = jsonBody(ex);
        if (req == null) return;
        String id = text(req, "id");
        Instance s = id == null ? null : instances.remove(id);
        if (s == null) {
            error(ex, 404, "not-loaded", "not loaded", "instance " + id + " is not loaded");
            return;
        }
        s.unload(DRAIN_MILLIS);
        Map<String, Object> m = new LinkedHashMap<>(2);
        m.put("id", id);
        reply(ex, 200, JSON, Json.writeBytes(m));
    }

    // ------------------------------------------------------------------ /invoke

    private void invoke(HttpExchange ex, String method, String rawPath) throws IOException {
        int slash = rawPath.indexOf('/', 8);
        String id = slash < 0 ? rawPath.substring(8) : rawPath.substring(8, slash);
        String rest = slash < 0 ? "/" : rawPath.substring(slash);
        Instance sb = instances.get(id);
        if (stopping) {
            error(ex, 503, "not-loaded", "shutting down", "the host is stopping; instance " + id + " takes no more invocations");
            return;
        }
        if (sb == null || !sb.acquire()) {
            error(ex, 404, "not-loaded", "not loaded", "instance " + id + " is not loaded in this host");
            return;
        }
        begin();
        try {
            invoke(ex, sb, method, rest);
        } finally {
            sb.release();
            end();
        }
    }

    private void invoke(HttpExchange ex, Instance sb, String method, String rest) throws IOException {
        byte[] raw = ex.getRequestBody().readAllBytes();
        Headers rh = ex.getRequestHeaders();

        String invocationId = rh.getFirst("X-Nest-Invocation-Id");
        invocationId = invocationId == null || invocationId.isEmpty()
                ? "local-" + localIds.incrementAndGet() : sanitize(invocationId);
        long deadline = Long.MAX_VALUE;
        String dl = rh.getFirst("X-Nest-Deadline");
        if (dl != null) {
            try {
                deadline = Long.parseLong(dl.trim());
            } catch (NumberFormatException ignored) {
                dl = null;
            }
        }
        if (dl == null && sb.timeoutMs > 0) deadline = System.currentTimeMillis() + sb.timeoutMs;

        // headers: lower-case names, X-Nest-* removed
        int n = rh.size();
        Map<String, String> headers = new LinkedHashMap<>(n * 2);
        Map<String, List<String>> multiHeaders = new LinkedHashMap<>(n * 2);
        for (Map.Entry<String, List<String>> e : rh.entrySet()) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (name.startsWith("x-nest-")) continue;
            List<String> values = e.getValue();
            if (values == null || values.isEmpty()) continue;
            multiHeaders.put(name, values);
            headers.put(name, values.size() == 1 ? values.get(0)
                    : String.join(name.equals("cookie") ? "; " : ", ", values));
        }

        // query
        String rawQuery = ex.getRequestURI().getRawQuery();
        boolean hasQuery = rawQuery != null && !rawQuery.isEmpty();
        Map<String, String> query = new LinkedHashMap<>();
        Map<String, List<String>> multiQuery = new LinkedHashMap<>();
        if (hasQuery) parseQuery(rawQuery, query, multiQuery);

        // body
        String body = null;
        boolean base64 = false;
        if (raw.length > 0) {
            if (isTextual(headers.get("content-type"))) {
                body = new String(raw, StandardCharsets.UTF_8);
            } else {
                body = Base64.getEncoder().encodeToString(raw);
                base64 = true;
            }
        }

        Map<String, Object> event = null;
        HttpEvent httpEvent = null;
        String rawBody = null;
        if (sb.wantsMap()) {
            event = new LinkedHashMap<>(16);
            event.put("method", method);
            event.put("httpMethod", method);
            event.put("path", rest);
            event.put("query", query);
            event.put("queryStringParameters", hasQuery ? query : null);
            event.put("multiValueQueryStringParameters", hasQuery ? multiQuery : null);
            event.put("headers", headers);
            event.put("multiValueHeaders", multiHeaders);
            event.put("body", body);
            event.put("isBase64Encoded", base64);
            Map<String, Object> rc = new LinkedHashMap<>(4);
            rc.put("requestId", invocationId);
            rc.put("httpMethod", method);
            rc.put("path", rest);
            event.put("requestContext", rc);
        } else if (sb.wantsEvent()) {
            httpEvent = new HttpEvent(method, rest, query, multiQuery, headers, multiHeaders, body, base64);
        } else if (sb.wantsBody()) {
            rawBody = raw.length == 0 ? null : base64 ? new String(raw, StandardCharsets.UTF_8) : body;
        }

        Invocation inv = sb.quiet ? new Invocation(sb, invocationId, deadline, DISCARD, DISCARD)
                : new Invocation(sb, invocationId, deadline, out, err);
        inv.traceparent(rh.getFirst("traceparent"));
        InvocationWork work = new InvocationWork(sb, inv, event, httpEvent, rawBody);
        FunctionThreads own = sb.threads;
        DeadlineRun<InvocationWork> run = own != null
                ? DeadlineRun.runOn(own, work, deadline, System.currentTimeMillis(), DeadlineRun.INTERRUPT_GRACE_MILLIS)
                : DeadlineRun.run(work, deadline, System.currentTimeMillis(), DeadlineRun.INTERRUPT_GRACE_MILLIS,
                        "nest-invoke-" + invocationId);
        Headers responseHeaders = ex.getResponseHeaders();
        if (run.outcome() == DeadlineRun.Outcome.STUCK) {
            sb.markUnhealthy("invocation " + invocationId + " ignored its interruption at the deadline for "
                    + DeadlineRun.INTERRUPT_GRACE_MILLIS + " ms and still runs");
            inv.log(err, Invocation.ERROR, "the invocation still runs " + DeadlineRun.INTERRUPT_GRACE_MILLIS
                    + " ms after it was interrupted at its deadline: the instance is unhealthy and will be replaced");
        }
        sb.unhealthy().ifPresent(why -> responseHeaders.set(INSTANCE_HEALTH, "unhealthy"));
        switch (run.outcome()) {
            case TIMED_OUT, STUCK -> {
                String detail = "function " + sb.function + " did not finish within its timeout"
                        + (sb.timeoutMs > 0 ? " of " + sb.timeoutMs + " ms" : "")
                        + "; the host interrupted it and ended the invocation. Make the function faster or raise its timeout";
                inv.log(err, Invocation.ERROR, "timed out: " + detail);
                Map<String, Object> m = new LinkedHashMap<>(6);
                m.put("error", "function timed out");
                m.put("detail", detail);
                if (sb.timeoutMs > 0) m.put("timeoutMs", sb.timeoutMs);
                m.put("invocationId", invocationId);
                errorBody(ex, 504, "timeout", m);
                return;
            }
            case INTERRUPTED -> {
                error(ex, 503, "not-loaded", "shutting down", "the host stopped while invocation " + invocationId + " ran");
                return;
            }
            case DONE -> { }
        }
        if (run.failure() != null) {
            // the work catches what the function throws; anything else is the host's own failure
            throw new IOException("invocation " + invocationId + " failed in the host", run.failure());
        }
        InvocationWork done = run.value();
        Throwable failure = done.failure;
        if (failure != null) {
            inv.logStackTrace(failure);
            Map<String, Object> m = new LinkedHashMap<>(6);
            m.put("error", "function error");
            m.put("detail", failure.getMessage() != null ? failure.getMessage() : failure.getClass().getName());
            m.put("type", failure.getClass().getName());
            m.put("invocationId", invocationId);
            errorBody(ex, 500, "function-error", m);
        } else if (done.responseError != null) {
            inv.log(err, Invocation.ERROR, "invalid response: " + done.responseError);
            Map<String, Object> m = new LinkedHashMap<>(6);
            m.put("error", "invalid response");
            m.put("detail", done.responseError);
            m.put("invocationId", invocationId);
            errorBody(ex, 502, "response-error", m);
        } else {
            responseHeaders.putAll(done.headers);
            send(ex, done.reply.status(), done.reply.body());
        }
    }

    /** The header that tells the node agent an instance must be replaced once its in-flight requests end. */
    static final String INSTANCE_HEALTH = "X-Nest-Instance-Health";

    private static String sanitize(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) return s.replaceAll("[\\x00-\\x1f\\x7f]", "_");
        }
        return s;
    }

    static void parseQuery(String raw, Map<String, String> last, Map<String, List<String>> all) {
        int i = 0;
        int len = raw.length();
        while (i <= len) {
            int amp = raw.indexOf('&', i);
            if (amp < 0) amp = len;
            if (amp > i) {
                int eq = raw.indexOf('=', i);
                String k;
                String v;
                if (eq < 0 || eq > amp) {
                    k = decode(raw.substring(i, amp));
                    v = "";
                } else {
                    k = decode(raw.substring(i, eq));
                    v = decode(raw.substring(eq + 1, amp));
                }
                last.put(k, v);
                List<String> values = all.get(k);
                if (values == null) {
                    values = new ArrayList<>(2);
                    all.put(k, values);
                }
                values.add(v);
            }
            i = amp + 1;
        }
    }

    private static String decode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // malformed escape: keep it as sent
        }
    }

    /** Whether a body of this content type is passed as a UTF-8 string (otherwise base64). */
    static boolean isTextual(String contentType) {
        if (contentType == null) return true;
        int semi = contentType.indexOf(';');
        String t = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        return t.isEmpty() || t.startsWith("text/") || t.equals("application/json") || t.endsWith("+json")
                || t.equals("application/xml") || t.endsWith("+xml") || t.equals("application/javascript")
                || t.equals("application/x-www-form-urlencoded");
    }
}
