package dev.nest.sidecar;

import com.sun.net.httpserver.HttpServer;
import dev.nest.spi.DriverHealth;
import dev.nest.spi.Pod;
import dev.nest.spi.PodListener;
import dev.nest.spi.PodSpec;
import dev.nest.spi.SandboxDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Pods are JDK HTTP servers on the assigned loopback port that report healthy and load anything. Like a real host, a
 * pod whose port is in use exits at once with status 98 after a line naming {@code EADDRINUSE}; a pod started while
 * {@link #exitAtStart} holds a status exits at once with it.
 */
final class FakeSandboxDriver implements SandboxDriver {
    final List<PodSpec> started = new CopyOnWriteArrayList<>();
    final java.util.Queue<Integer> exitAtStart = new java.util.concurrent.ConcurrentLinkedQueue<>();
    final List<FakePod> pods = new CopyOnWriteArrayList<>();
    final List<PodListener> listeners = new CopyOnWriteArrayList<>();
    /** Pods whose host was asked to warm up (POST /warmup), by pod id. */
    final List<String> warmedUp = new CopyOnWriteArrayList<>();
    /** Statuses the next warm-ups answer (200 when empty). */
    final java.util.Queue<Integer> warmUpStatus = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** What every host answers to {@code GET /status} (a merged host's instance list). */
    final java.util.concurrent.atomic.AtomicReference<String> status =
            new java.util.concurrent.atomic.AtomicReference<>("{\"instances\":[]}");
    /** While set, a start of a pod other than a merged host waits for it (a slow start, to act during it). */
    final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CountDownLatch> dedicatedGate =
            new java.util.concurrent.atomic.AtomicReference<>();

    /** A pod whose host is an in-process HTTP server. */
    record FakePod(HttpServer server, CompletableFuture<Integer> exited) {
        /** The host dies by itself. */
        void kill() {
            server.stop(0);
            exited.complete(137);
        }

        boolean stopped() {
            return exited.isDone();
        }
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public Pod start(PodSpec spec, PodListener listener) {
        java.util.concurrent.CountDownLatch gate = dedicatedGate.get();
        if (gate != null && !spec.command().getFirst().endsWith("merged-host")) {
            try {
                gate.await(AgentFixture.BOUND_S, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        started.add(spec);
        listeners.add(listener);
        Integer exitCode = exitAtStart.poll();
        if (exitCode != null) {
            listener.line(spec.podId(), true, "fake host: cannot start");
            return exitedPod(spec, exitCode);
        }
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(spec.address(), spec.port()), 16);
        } catch (java.net.BindException e) {
            listener.line(spec.podId(), true, "fake host: cannot listen on " + spec.address() + ":" + spec.port()
                    + ": listen EADDRINUSE: address already in use");
            return exitedPod(spec, 98);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/warmup")) {
                warmedUp.add(spec.podId());
                Integer status = warmUpStatus.poll();
                byte[] answer = "{\"warmedUp\":true}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(status == null ? 200 : status, answer.length);
                exchange.getResponseBody().write(answer);
                exchange.close();
                return;
            }
            byte[] body = (path.equals("/health") ? "{\"ready\":true}"
                    : path.equals("/status") ? status.get() : "{\"timings\":{}}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        CompletableFuture<Integer> exited = new CompletableFuture<>();
        pods.add(new FakePod(server, exited));
        return new Pod() {
            @Override
            public String id() {
                return spec.podId();
            }

            @Override
            public CompletableFuture<Integer> exited() {
                return exited;
            }

            @Override
            public void stop(Duration grace) {
                server.stop(0);
                exited.complete(0);
            }

            @Override
            public String describe() {
                return "fake:" + spec.port();
            }
        };
    }

    /** A pod whose host exited at once with {@code code}. */
    private static Pod exitedPod(PodSpec spec, int code) {
        CompletableFuture<Integer> exited = CompletableFuture.completedFuture(code);
        return new Pod() {
            @Override
            public String id() {
                return spec.podId();
            }

            @Override
            public CompletableFuture<Integer> exited() {
                return exited;
            }

            @Override
            public void stop(Duration grace) {
            }

            @Override
            public String describe() {
                return "fake:" + spec.port() + " (exited " + code + ")";
            }
        };
    }

    @Override
    public DriverHealth health() {
        return DriverHealth.ok("fake");
    }

    @Override
    public int removeOrphans(String nodeId) {
        return 0;
    }

    @Override
    public String pathInPod(PodSpec spec, Path hostPath) {
        return hostPath.toString();
    }

    @Override
    public void close() {
    }
}
