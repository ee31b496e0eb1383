package dev.nest.host;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Java runtime host: speaks {@code runtimes/CONTRACT.md} over HTTP/1.1 and runs Java functions, each
 * version in its own class loader (an instance).
 *
 * <p>{@link #main} reads its settings from the environment; {@link #start} runs a host in-process. This class is the
 * host's lifecycle: binding the port (and the socket), pre-loading, serving and stopping. Each request goes through
 * {@link #handle} to {@link HostRoutes}, which serves {@code /health} and hands {@code /invoke} to
 * {@link HostInvoker} and {@code /load}, {@code /unload}, {@code /warmup} to {@link HostInstances}.
 *
 * <p>Failure: a start that cannot bind the port throws (and {@link #main} exits, with {@link #EXIT_PORT_IN_USE} when
 * the port is taken); a socket that cannot be bound is logged and the host serves on TCP only; a class that cannot be
 * pre-loaded is logged and left out of {@code preloaded}.
 *
 * <p>Threads: requests are served on virtual threads, one per request; {@link #close} may be called from any thread
 * (the shutdown hook does), more than once.
 */
public final class JavaHost implements HttpHandler, AutoCloseable {

    /** How long {@link #close} waits for in-flight invocations, and {@code /unload} for an instance's. */
    static final long DRAIN_MILLIS = 5_000;
    /** The exit status when the port is in use: the node agent starts the pod again on another port. */
    static final int EXIT_PORT_IN_USE = 98;

    private final PrintStream err;
    private final HttpServer server;
    private final ExecutorService executor;
    private final HostInstances instances;
    private final HostInvoker invoker;
    private final HostRoutes routes;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean ready;
    private volatile List<String> preloaded = List.of();
    /** The listener on {@code NEST_HOST_SOCKET}, if bound; set once by {@link #start} before it serves. */
    private volatile UnixSocketHttpServer unix;

    private JavaHost(HostSettings settings, HttpServer server, ExecutorService executor, boolean merged) {
        PrintStream out = settings.out() != null ? settings.out() : LogRouter.rawOut();
        this.err = settings.err() != null ? settings.err() : LogRouter.rawErr();
        this.server = server;
        this.executor = executor;
        this.instances = new HostInstances(settings.secret(), merged, err);
        this.invoker = new HostInvoker(instances, out, err);
        this.routes = new HostRoutes(this, instances, invoker, settings.secret().getBytes(StandardCharsets.UTF_8),
                merged, err);
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

    /** The classes {@link HostSettings#preload()} named that loaded. */
    List<String> preloaded() {
        return preloaded;
    }

    /** The address the port is bound to. */
    InetSocketAddress address() {
        return server.getAddress();
    }

    /** Serves one request of the port or the socket ({@link HostRoutes#handle}); never throws. */
    @Override
    public void handle(HttpExchange ex) {
        routes.handle(ex);
    }

    /**
     * Stops: refuses new invocations, waits up to 5 s for in-flight ones, stops the server and closes the
     * instances' class loaders.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        invoker.stop(DRAIN_MILLIS);
        server.stop(0);
        UnixSocketHttpServer u = unix;
        if (u != null) u.close();
        executor.shutdown();
        instances.unloadAll();
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
                m.put("rssBytes", HostRoutes.rss(0));
                m.put("list", new ArrayList<>(List.of("a\u0001")));
                Json.parse(Json.writeBytes(m));
                MessageDigest.isEqual(new byte[1], new byte[1]);
            } catch (Throwable ignored) {
                // only a warm-up
            }
        }
    }
}
