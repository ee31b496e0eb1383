package dev.nest.host;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Consumer;

/**
 * The warm-up of a generic pool pod's Java host ({@code POST /warmup}; ADR 0031, addendum "Warm-up of pool pods").
 * The node agent asks once, after the pod is healthy and before the warm pool counts it as available. The host then
 * calls itself over HTTP as the node agent does: a {@code /load} of a small built-in function packaged as a jar in a
 * fresh temporary folder, {@link #ROUNDS} pairs of invocations (a POST with a JSON body and query, a GET), and an
 * {@code /unload}; so its HTTP server, {@code /load} (class path scan, jar, class loader, handler lookup), the event
 * building, logging framing and result encoding have run (their classes loaded and linked, their call sites bound,
 * their methods warmed for C1) before the first real function arrives.
 *
 * <p>What stays of it: nothing a function can see. Its instance is unloaded (its class loader closed) even when a
 * step fails, its folder is deleted, its log lines are never written ({@link #quiet}), its environment was its
 * instance's own, and the host counts no invocations. It runs at most once per host and only before the first real
 * {@code /load}; while it runs, a {@code /load} of another id is refused (409). A failure before its function was
 * loaded is {@link NotStarted} (the node agent then uses the pod as it is); any later failure is an
 * {@link IOException} or {@link RuntimeException} (the node agent then replaces the pod).
 *
 * <p>Threads: {@link #begin}, {@link #end} and the queries are synchronized; {@link #run} blocks the calling thread
 * while other threads of the host answer its requests.
 */
final class HostWarmUp {
    /** Pairs of invocations of the built-in function. */
    static final int ROUNDS = 32;

    private boolean running;
    private boolean done;
    private boolean loaded;
    private String id = "";

    /** The warm-up could not start and loaded nothing. */
    static final class NotStarted extends Exception {
        NotStarted(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Starts a warm-up when none ran and no function was ever loaded; returns why not otherwise (empty: started).
     *
     * @param idle whether the host holds no instance and loads none
     */
    synchronized String begin(boolean idle) {
        if (running || done) return "this host has run its warm-up; it runs once";
        if (loaded || !idle) return "this host has loaded a function; the warm-up runs only before the first /load";
        running = true;
        id = "nest-warmup-" + Long.toHexString(System.nanoTime()) + "-" + ProcessHandle.current().pid();
        return "";
    }

    /** Ends the warm-up {@link #begin} started. */
    synchronized void end() {
        running = false;
        done = true;
    }

    /** Whether a {@code /load} of {@code instanceId} is refused now (a warm-up runs and it is not its function). */
    synchronized boolean refuses(String instanceId) {
        return running && !instanceId.equals(id);
    }

    /** Records a real {@code /load} (one that is not the warm-up's): no warm-up runs after it. */
    synchronized void loading(String instanceId) {
        if (!(running && instanceId.equals(id))) loaded = true;
    }

    /** Whether {@code instanceId} is the running warm-up's function, whose log lines are dropped. */
    synchronized boolean quiet(String instanceId) {
        return running && instanceId.equals(id);
    }

    private synchronized String id() {
        return id;
    }

    /**
     * Runs the warm-up against the host at {@code address:port} and returns the invocations made.
     *
     * @param unload removes and unloads an instance by id if it is still loaded (after a failed step)
     */
    int run(InetAddress address, int port, String secret, Consumer<String> unload) throws NotStarted, IOException {
        String fn = id();
        Path dir;
        try {
            dir = Files.createTempDirectory("nest-warmup-");
        } catch (IOException | RuntimeException e) {
            throw new NotStarted("cannot create a temporary folder for the warm-up: " + e.getMessage(), e);
        }
        try {
            try {
                HostTraining.writeFunctionJar(dir.resolve("function.jar"));
            } catch (IOException | RuntimeException e) {
                throw new NotStarted("cannot write the warm-up function: " + e.getMessage(), e);
            }
            String load = "{\"id\":" + Json.write(fn) + ",\"function\":\"nest-warmup\",\"version\":\"1\",\"codeDir\":"
                    + Json.write(dir.toString()) + ",\"handler\":" + Json.write(HostTraining.Function.class.getName())
                    + ",\"env\":{\"K\":\"v\"},\"limits\":{\"memoryMb\":64,\"timeoutMs\":10000,\"concurrency\":1}}";
            expect("POST /load", HostTraining.request(address, port, secret, "POST", "/load", load));
            int invocations = 0;
            for (int i = 0; i < ROUNDS; i++) {
                expect("POST /invoke", HostTraining.request(address, port, secret, "POST",
                        "/invoke/" + fn + "/warm?n=" + i + "&a=b&a=c", "{\"n\":" + i + "}"));
                expect("GET /invoke", HostTraining.request(address, port, secret, "GET", "/invoke/" + fn + "/", ""));
                invocations += 2;
            }
            expect("POST /unload", HostTraining.request(address, port, secret, "POST", "/unload",
                    "{\"id\":" + Json.write(fn) + "}"));
            return invocations;
        } finally {
            unload.accept(fn);
            delete(dir);
        }
    }

    private static void expect(String what, int status) throws IOException {
        if (status != 200) throw new IOException(what + " of the warm-up function answered " + status);
    }

    private static void delete(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // a folder in the pod's own /tmp; nothing of it is loaded any more
        }
    }
}
