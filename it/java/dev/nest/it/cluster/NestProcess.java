package dev.nest.it.cluster;

import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Nest server in its own JVM (the test class path, {@code dev.nest.Main server --config FILE}), listening on
 * its own loopback address, with a config file that joins it to a ZooKeeper ensemble. {@link #kill} is
 * {@code kill -9} of the server and of its pods, as when a machine dies. Its {@link #http} client sends the
 * region's first admin token ({@link Fixtures#bootstrapToken()}, given to every node in {@code NEST_BOOTSTRAP_TOKEN}).
 */
final class NestProcess implements AutoCloseable {
    final String id;
    final String address;
    final int port;
    final String zone;
    final Path dir;
    final Http http;
    private Process process;

    private NestProcess(String id, String address, int port, String zone, Path dir) {
        this.id = id;
        this.address = address;
        this.port = port;
        this.zone = zone;
        this.dir = dir;
        this.http = new Http("http://" + address + ":" + port).withToken(Fixtures.bootstrapToken());
    }

    /**
     * Writes {@code dir/nest.yaml} and starts the server; returns once {@code /health} answers 200.
     *
     * @param podPorts the loopback port range of its pods ({@code sidecar.port-range}), distinct per node
     */
    static NestProcess start(String id, String address, int port, String zone, String region, String zookeeper,
                             String podPorts, Path dir) {
        NestProcess p = new NestProcess(id, address, port, zone, dir);
        try {
            Fixtures.writeNodeConfig(dir, id, address, port, zone, region, zookeeper, Duration.ofSeconds(4),
                    Duration.ofSeconds(3), podPorts);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        p.launch();
        return p;
    }

    /**
     * Starts the server with the {@code dir/nest.yaml} the caller wrote (e.g. {@link Fixtures#writeNodeConfig} with
     * more settings); returns once {@code /health} answers 200 over plain HTTP (the tests' loopback clients may).
     */
    static NestProcess startWritten(String id, String address, int port, String zone, Path dir) {
        NestProcess p = new NestProcess(id, address, port, zone, dir);
        p.launch();
        return p;
    }

    /** Starts (again) with the same config and data. */
    void launch() {
        List<String> argv = new ArrayList<>(List.of(Fixtures.javaBinary(), "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "dev.nest.Main", "server", "--config",
                dir.resolve("nest.yaml").toString()));
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()));
            // every node of the region knows the first admin token, so that the one that starts the region makes it
            pb.environment().put(Fixtures.BOOTSTRAP_ENV, Fixtures.bootstrapToken());
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node " + id + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!http.healthy()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("node " + id + " exited with " + process.exitValue() + ":\n" + logTail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node " + id + " did not become healthy within 90 s:\n" + logTail()
                        + "\n---- threads ----\n" + Fixtures.threadDump(process, dir.resolve("threads.txt")));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /**
     * {@code kill -STOP} of the server (its pods run on): it freezes without closing a socket, so its peers notice
     * only when its ZooKeeper session expires, as with a hung machine. {@link #kill} ends it.
     */
    void pause() {
        try {
            Process stop = new ProcessBuilder("kill", "-STOP", String.valueOf(process.pid())).inheritIO().start();
            if (stop.waitFor() != 0) {
                throw new IllegalStateException("kill -STOP " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code kill -9} of the server and its pods: nothing is cleaned up, the session just stops. */
    void kill() {
        Fixtures.killTree(process);
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("server.log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
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

    @Override
    public String toString() {
        return id + "@" + address + ":" + port;
    }
}
