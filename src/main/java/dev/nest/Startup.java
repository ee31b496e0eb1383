package dev.nest;

import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.config.ConfigException;
import dev.nest.config.NestConfig;
import dev.nest.gateway.Gateway;
import dev.nest.gateway.Tls;
import dev.nest.spi.DriverContext;
import dev.nest.spi.SandboxDriver;
import dev.nest.spi.SandboxDriverProvider;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Deque;
import java.util.Optional;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The steps of a node's start-up that are not modules of their own: the data directory's lock, a free port, the
 * driver chosen by {@code sidecar.driver}, warming up the admin server's classes, and the timing of each step for
 * the ready line of the log. Each fails with a message that says what to change.
 */
final class Startup {
    private static final Logger LOG = Logger.getLogger(Startup.class.getName());

    private Startup() {
    }

    /** Time per start-up step, for the ready line of the log. Single-threaded (the starting thread). */
    static final class Timer {
        private final long t0 = System.nanoTime();
        private long last = t0;
        private final StringBuilder steps = new StringBuilder();

        void mark(String step) {
            long now = System.nanoTime();
            steps.append(steps.isEmpty() ? "" : ", ").append(step).append(' ').append((now - last) / 1_000_000).append(" ms");
            last = now;
        }

        @Override
        public String toString() {
            return (System.nanoTime() - t0) / 1_000_000 + " ms (" + steps + ")";
        }
    }

    /** Waits for a start-up step; its failure becomes this start's failure. */
    static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new NestException(500, "cannot start", e.getCause().toString(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NestException(500, "cannot start", "interrupted");
        }
    }

    /**
     * {@code step}, whose result is closed with the node: {@link #closeAll} waits for the step and closes what it
     * made, also when the start fails before the step is joined. A step that failed has nothing to close (its failure
     * is the start's, through {@link #join}). Returns {@code step}.
     */
    static <T extends AutoCloseable> Future<T> closing(Deque<AutoCloseable> closers, Future<T> step) {
        closers.push(() -> {
            T made;
            try {
                made = step.get();
            } catch (ExecutionException | java.util.concurrent.CancellationException e) {
                return;
            }
            made.close();
        });
        return step;
    }

    /**
     * Loads the admin server's classes, and makes the mappers its requests use, while ZooKeeper and H2 start, on the
     * other core.
     */
    static void warmUpHelidon() {
        HttpRouting.Builder r = HttpRouting.builder();
        r.get("/", (req, res) -> res.send());
        WebServer.builder().host("127.0.0.1").port(0).addRouting(r).build();
        // the mappers every request's headers and query are read through: made on first use by Helidon's service
        // registry (about 200 classes and its metadata), which would otherwise be the first request's work
        io.helidon.service.registry.Services.get(io.helidon.common.mapper.Mappers.class);
        Json.mapper().createObjectNode();
    }

    /**
     * Compacts the heap once, as the last step of a start (after the gateway's, whose garbage is a third of the
     * start's; the first requests wait for it), so that a node starts with the heap it needs rather than the one its
     * start-up garbage made (ADR 0030): about 40 MiB less resident memory for a full
     * collection of some 20 MiB of live objects (tens of milliseconds). The JVM's ergonomics size a large first heap
     * (a 64th of the machine's memory) and keep what start-up touched; a jar cannot pass JVM options, but the two
     * free-ratio options G1 shrinks by are {@code manageable} (settable while running): they are lowered for this one
     * collection and then put back, so that the heap grows and shrinks as usual afterwards.
     *
     * <p>Once per process: the first node a JVM starts pays for it (a JVM running several nodes, as tests do, has
     * no start-up garbage of its own to drop the second time). Failure: on a JVM without these options (not
     * HotSpot) or when they cannot be set, nothing is collected and the start goes on; the reason is logged at FINE.
     */
    static void compactHeap() {
        if (!HEAP_COMPACTED.compareAndSet(false, true)) {
            return;
        }
        try {
            com.sun.management.HotSpotDiagnosticMXBean vm = java.lang.management.ManagementFactory
                    .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            String min = vm.getVMOption(MIN_FREE).getValue();
            String max = vm.getVMOption(MAX_FREE).getValue();
            vm.setVMOption(MIN_FREE, "10"); // lower first: Min may not exceed Max
            try {
                vm.setVMOption(MAX_FREE, "20");
                try {
                    System.gc();
                } finally {
                    vm.setVMOption(MAX_FREE, max); // raised before Min, for the same reason
                }
            } finally {
                vm.setVMOption(MIN_FREE, min);
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.FINE, "the heap is not compacted before ready", e);
        }
        trimNativeHeap();
    }

    /**
     * Gives back to the system the C heap that start-up's peak left free (the JIT compilers' arenas, mostly), as
     * {@code jcmd <pid> System.trim_native_heap} does ({@code malloc_trim} on glibc; nothing elsewhere): the JVM's
     * own diagnostic command, run in-process through {@code jdk.management}'s implementation, which the jar's
     * manifest opens ({@code Add-Opens}) and which needs no platform MBean server. Called after the heap compaction,
     * which has loaded the management library it uses. A few milliseconds; its answer (the resident size before
     * and after) is logged at FINE. Failure: on another JVM, a JDK without the command or a class path start
     * without the manifest's opening, nothing is trimmed and the start goes on; the reason is logged at FINE.
     */
    static void trimNativeHeap() {
        try {
            Class<?> impl = Class.forName("com.sun.management.internal.DiagnosticCommandImpl");
            java.lang.reflect.Method bean = impl.getDeclaredMethod("getDiagnosticCommandMBean");
            bean.setAccessible(true);
            java.lang.reflect.Method run = impl.getDeclaredMethod("executeDiagnosticCommand", String.class);
            run.setAccessible(true);
            Object answer = run.invoke(bean.invoke(null), "System.trim_native_heap");
            LOG.log(Level.FINE, () -> String.valueOf(answer).strip());
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.log(Level.FINE, "the native heap is not trimmed before ready", e);
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean HEAP_COMPACTED = new java.util.concurrent.atomic.AtomicBoolean();
    private static final String MIN_FREE = "MinHeapFreeRatio";
    private static final String MAX_FREE = "MaxHeapFreeRatio";

    /** Netty's pooled allocator's chunk size, as its {@code maxOrder} (page size 8 KiB shifted left by it). */
    static final String NETTY_MAX_ORDER = "io.netty.allocator.maxOrder";

    /**
     * Netty's pooled allocator with 1 MiB chunks instead of its default 4 MiB ({@code maxOrder} 7 instead of 9),
     * unless the JVM was given {@value #NETTY_MAX_ORDER}: the gateway's first request makes one chunk per arena it
     * uses, and a chunk of direct memory is zeroed, so resident, when made: 3 MiB less at ready (NMT "Other"
     * 4.5 -> 1.5 MiB, ADR 0030). Buffers up to 1 MiB stay pooled; a larger one (a request body above 1 MiB) is
     * allocated and freed on its own, a cost small beside copying that many bytes. Netty reads the property once,
     * when its allocator class loads (the gateway's start): set before it, as the first step of a start; in a JVM
     * where Netty has already loaded it changes nothing.
     */
    static void nettyChunks() {
        if (System.getProperty(NETTY_MAX_ORDER) == null) {
            System.setProperty(NETTY_MAX_ORDER, "7");
        }
    }

    /** {@code config} with a free port when it asks for port 0. */
    static NestConfig withPort(NestConfig config) throws IOException {
        if (config.server().port() != 0) {
            return config;
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return config.withPort(s.getLocalPort());
        }
    }

    /** Locks {@code data} for this process; closing the result releases it. */
    static AutoCloseable lock(Path data) throws IOException {
        FileChannel ch = FileChannel.open(data.resolve("nest.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = ch.tryLock();
        if (lock == null) {
            ch.close();
            throw new ConfigException("data directory " + data + " is in use by another Nest process; stop it or "
                    + "give this one its own directory with --data");
        }
        return () -> {
            lock.release();
            ch.close();
        };
    }

    /** The driver {@code sidecar.driver} names, among those on the class path. */
    static SandboxDriver driver(NestConfig config, String nodeId, Path data) {
        String name = config.sidecar().driver();
        List<SandboxDriverProvider> providers = ServiceLoader.load(SandboxDriverProvider.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        for (SandboxDriverProvider p : providers) {
            if (p.name().equals(name)) {
                return p.create(new DriverContext(nodeId, data, config.sidecar().drivers().getOrDefault(name, Map.of())));
            }
        }
        throw new ConfigException("key 'sidecar.driver': value '" + name + "' is not valid; allowed: "
                + String.join(", ", providers.stream().map(SandboxDriverProvider::name).toList()));
    }

    /** Starts the admin server on a loopback port: the gateway forwards {@code /api} to it. */
    static WebServer adminServer(HttpRouting.Builder routing, Duration shutdownGrace) {
        WebServer web = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .maxPayloadSize(-1)
                .shutdownGracePeriod(shutdownGrace)
                .addRouting(routing)
                .build()
                .start();
        if (!web.isRunning()) {
            web.stop();
            throw new ConfigException("cannot start the admin server on a loopback port");
        }
        return web;
    }

    /** Starts {@code gateway} on {@code server.host}:{@code server.port}, in front of the admin server. */
    /**
     * The public port's TLS ({@code server.tls}), read and checked now. With it on, every call between nodes uses
     * https with its peer trust (ADR 0014).
     */
    static Optional<Tls> tls(NestConfig config) {
        return Tls.load(config.server().tls());
    }

    /**
     * The gateway's event loops when {@code gateway.event-loops} is 0: one per two processors, at least one. The
     * runtime hosts the gateway forwards to run on the same processors; with pipelining, fewer loops each gather more
     * requests per wake-up (ADR 0028, addendum on one event loop with pipelining).
     */
    static int defaultEventLoops(int processors) {
        return Math.max(1, processors / 2);
    }

    static Gateway listen(Gateway gateway, NestConfig.Server server, int adminPort, Optional<Tls> tls) throws IOException {
        try {
            gateway.start(server.host(), server.port(), adminPort, defaultEventLoops(Runtime.getRuntime().availableProcessors()),
                    tls);
            return gateway;
        } catch (java.net.BindException e) {
            gateway.close();
            throw new ConfigException("cannot listen on " + server.host() + ":" + server.port()
                    + " (is another server using the port?); choose another with --port or server.port");
        }
    }

    /** Closes {@code closers} most recent first; a failure is logged and the rest still close. */
    static void closeAll(Deque<AutoCloseable> closers) {
        while (!closers.isEmpty()) {
            AutoCloseable c = closers.pop();
            try {
                c.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "error while stopping", e);
            }
        }
    }
}
