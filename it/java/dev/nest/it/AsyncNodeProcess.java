package dev.nest.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A single Nest node in its own JVM ({@code dev.nest.Main server --config home/nest.yaml}, the current class path)
 * with the embedded ZooKeeper, the process driver and the H2 async queue, for runs that {@code kill -9} the node and
 * start it again on the same data directory and port. Its first admin token is {@link Fixtures#bootstrapToken()}
 * (given in {@code NEST_BOOTSTRAP_TOKEN}).
 *
 * <p>Failure: {@link #launch} throws when the process exits or {@code /health} does not answer 200 within 90 s, with
 * the tail of {@code home/server.log}. Not thread-safe: one thread starts and kills it.
 */
public final class AsyncNodeProcess implements AutoCloseable {
    private final Path home;
    private final int port;
    private final Http http;
    private Process process;

    private AsyncNodeProcess(Path home, int port) {
        this.home = home;
        this.port = port;
        this.http = new Http(base()).withToken(Fixtures.bootstrapToken());
    }

    /** Writes {@code home/nest.yaml} (data and functions under {@code home}, a free loopback port) without starting. */
    public static AsyncNodeProcess create(Path home) {
        return create(home, "async-node", "");
    }

    /** As {@link #create(Path)}, with the node's id and more {@code nest.yaml} lines (top-level keys, e.g. {@code async:}). */
    public static AsyncNodeProcess create(Path home, String nodeId, String moreYaml) {
        AsyncNodeProcess node = new AsyncNodeProcess(home, Fixtures.freePort());
        try {
            Files.createDirectories(home.resolve("functions"));
            Files.writeString(home.resolve("nest.yaml"), """
                    data-dir: %s
                    functions-dir: %s
                    runtimes-dir: %s
                    server:
                      host: 127.0.0.1
                      port: %d
                      shutdown-grace: 1s
                    node:
                      id: %s
                      address: 127.0.0.1
                    sidecar:
                      driver: process
                    """.formatted(home.resolve("data"), home.resolve("functions"), Fixtures.runtimesDir(), node.port,
                    nodeId) + moreYaml,
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return node;
    }

    public Path functionsDir() {
        return home.resolve("functions");
    }

    public String base() {
        return "http://127.0.0.1:" + port;
    }

    /** A client with the region's first admin token. */
    public Http http() {
        return http;
    }

    /** Starts the server (again, on the same config and data); returns once {@code /health} answers 200. */
    public void launch() {
        List<String> argv = List.of(Fixtures.javaBinary(), "-Xmx384m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), "dev.nest.Main", "server", "--config",
                home.resolve("nest.yaml").toString());
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("server.log").toFile()));
            pb.environment().put(Fixtures.BOOTSTRAP_ENV, Fixtures.bootstrapToken());
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the node: " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!http.healthy()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the node exited with " + process.exitValue() + ":\n" + logTail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the node did not become healthy within 90 s:\n" + logTail()
                        + "\n---- threads ----\n" + Fixtures.threadDump(process, home.resolve("threads.txt")));
            }
            sleep(50);
        }
    }

    /** The server's process id (once launched). */
    public long pid() {
        return process.pid();
    }

    public Path log() {
        return home.resolve("server.log");
    }

    /** {@code kill -9} of the server and of its pods; returns once the server process is gone. */
    public void kill() {
        Fixtures.killTree(process);
    }

    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(home.resolve("server.log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (process == null || !process.isAlive()) {
            return;
        }
        List<ProcessHandle> pods = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pods.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
}
