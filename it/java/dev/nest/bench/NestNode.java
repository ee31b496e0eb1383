package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.artifact.PackageWriter;
import dev.nest.it.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Nest server as a child process ({@code java <options> -jar nest.jar server --port P --data D --functions
 * F --runtimes R}) with a fresh data and an empty functions directory, and the admin calls the benchmark makes.
 * The working directory is a scratch folder, so no {@code config/nest.yaml} is picked up: embedded defaults.
 */
final class NestNode implements AutoCloseable {
    private static final Pattern STARTED = Pattern.compile("started in (\\d+) ms");

    private final ChildProcesses children;
    private final Process process;
    private final int port;
    private final Path log;
    private final List<String> argv;
    private final long readyNanos;
    private final double cpuAtReady;
    private final BenchHttp http = new BenchHttp();

    private NestNode(ChildProcesses children, Process process, int port, Path log, List<String> argv, long readyNanos,
                     double cpuAtReady) {
        this.children = children;
        this.process = process;
        this.port = port;
        this.log = log;
        this.argv = argv;
        this.readyNanos = readyNanos;
        this.cpuAtReady = cpuAtReady;
    }

    /** Starts a node in {@code dir} (which gets data/, functions/ and server.log) and waits for /health 200. */
    static NestNode start(ChildProcesses children, BenchHttp probe, Path java, List<String> jvmOptions, Path jar,
                          Path runtimesDir, Path dir) {
        // the jar's self-applied AOT cache (ADR 0033) in the benchmark's own directory, beside dir: the benchmark's
        // copy of the jar gets one cache per run (made by the startup part when it runs first), not one more file
        // in the user's cache for every run's copy
        return start(children, probe, java, jvmOptions, Map.of("NEST_AOT_DIR",
                dir.toAbsolutePath().getParent().resolve("aot-cache").toString()), jar, runtimesDir, dir);
    }

    /** The same with {@code env} added to the child's environment. */
    static NestNode start(ChildProcesses children, BenchHttp probe, Path java, List<String> jvmOptions,
                          Map<String, String> env, Path jar, Path runtimesDir, Path dir) {
        Path data = dir.resolve("data");
        Path functions = dir.resolve("functions");
        try {
            Files.createDirectories(data);
            Files.createDirectories(functions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int port = Fixtures.freePort();
        List<String> argv = new ArrayList<>();
        argv.add(java.toString());
        argv.addAll(jvmOptions);
        argv.addAll(List.of("-jar", jar.toString(), "server", "--port", String.valueOf(port), "--data", data.toString(),
                "--functions", functions.toString(), "--runtimes", runtimesDir.toString()));
        Path log = dir.resolve("server.log");
        String health = "http://127.0.0.1:" + port + "/health";
        long t0 = System.nanoTime();
        Map<String, String> childEnv = new java.util.HashMap<>(BenchAuth.childEnv());
        childEnv.putAll(env);
        Process p = children.start("nest server", argv, childEnv, dir, log);
        long deadline = t0 + Duration.ofSeconds(60).toNanos();
        while (true) {
            var r = probe.probe(health, Map.of());
            if (r.isPresent() && r.get().status() == 200) {
                long ready = System.nanoTime() - t0;
                return new NestNode(children, p, port, log, argv, ready, cpuSeconds(p.pid()));
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("nest server exited with " + p.exitValue() + ":\n"
                        + ChildProcesses.tail(log, 40));
            }
            if (System.nanoTime() > deadline) {
                children.stop(p, Duration.ofSeconds(5));
                throw new IllegalStateException("nest server did not answer /health within 60 s:\n"
                        + ChildProcesses.tail(log, 40));
            }
            BenchHttp.sleep(5);
        }
    }

    /** Launch to the first {@code /health} 200, as seen from here. */
    double readyMillis() {
        return readyNanos / 1e6;
    }

    /**
     * The process's CPU time (user + system, all its threads, also before a re-execution: same process) when it first
     * answered {@code /health} 200; steadier than wall time on a shared machine. -1 where there is no /proc.
     */
    double cpuAtReady() {
        return cpuAtReady;
    }

    private static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in USER_HZ (100 on Linux)
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Whether the server's log says it runs with the AOT cache it applied itself (ADR 0033). */
    boolean selfAppliedAotCache() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8).contains("AOT cache in use: ");
        } catch (IOException e) {
            return false;
        }
    }

    /** The server's own "started in N ms" log line, when it wrote one. */
    OptionalLong loggedStartMillis() {
        try {
            Matcher m = STARTED.matcher(Files.readString(log, StandardCharsets.UTF_8));
            return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    List<String> argv() {
        return argv;
    }

    Path log() {
        return log;
    }

    long pid() {
        return process.pid();
    }

    /** Zips {@code dir} with Nest's PackageWriter and uploads it; returns the digest. */
    String upload(Path dir, Optional<String> runtime) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PackageWriter.zip(dir, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var r = http.send("POST", base() + "/api/v1/artifacts" + runtime.map(x -> "?runtime=" + x).orElse(""),
                Map.of("Content-Type", "application/zip"), out.toByteArray(), Duration.ofSeconds(120));
        return BenchHttp.expect(r, 201, "uploading " + dir).json().path("digest").asText();
    }

    /** POST /api/v1/functions: creates the function with version 1. */
    void create(ObjectNode spec, String digest) {
        ObjectNode body = BenchHttp.JSON.createObjectNode();
        body.set("spec", spec);
        body.put("digest", digest);
        BenchHttp.expect(http.sendJson("POST", base() + "/api/v1/functions", body), 201,
                "creating function " + spec.path("name").asText());
    }

    /** PUT /api/v1/functions/{name} with a new spec (same code): a new live version. */
    BenchHttp.Response update(String name, ObjectNode spec) {
        ObjectNode body = BenchHttp.JSON.createObjectNode();
        body.set("spec", spec);
        var r = BenchHttp.expect(http.sendJson("PUT", base() + "/api/v1/functions/" + name, body), 200,
                "deploying a new version of " + name);
        if (!r.json().path("changed").asBoolean(true)) {
            throw new IllegalStateException("PUT /api/v1/functions/" + name + " made no new version: " + r);
        }
        return r;
    }

    /** DELETE /api/v1/functions/{name}: the function and its instances go. */
    void delete(String name) {
        BenchHttp.expect(http.send("DELETE", base() + "/api/v1/functions/" + name, Map.of(), null,
                Duration.ofSeconds(30)), 200, "deleting function " + name);
    }

    BenchHttp.Response invoke(String path) {
        return http.get(base() + path);
    }

    /** GET /api/v1/invocations/{id}: the record (retries briefly while it is being written). */
    JsonNode invocation(String id) {
        BenchHttp.Response last = null;
        for (int i = 0; i < 50; i++) {
            last = http.get(base() + "/api/v1/invocations/" + id);
            if (last.status() == 200) {
                return last.json().path("invocation");
            }
            BenchHttp.sleep(100);
        }
        throw new IllegalStateException("GET /api/v1/invocations/" + id + ": " + last);
    }

    /**
     * After a failure, before the server is stopped: saves its instances, functions, recent invocations and a
     * thread dump ({@code jcmd <pid> Thread.print}) under {@code dir}; best effort.
     */
    void saveDiagnostics(Path dir, Path javaBinary) {
        try {
            Files.createDirectories(dir);
            for (String api : List.of("instances", "functions", "invocations?limit=20")) {
                String file = api.replaceAll("[^a-z]+.*", "") + ".json";
                try {
                    Files.writeString(dir.resolve(file), http.send("GET", base() + "/api/v1/" + api, Map.of(), null,
                            Duration.ofSeconds(10)).text());
                } catch (RuntimeException e) {
                    Files.writeString(dir.resolve(file), "GET /api/v1/" + api + " failed: " + e);
                }
            }
            String jcmd = javaBinary.resolveSibling("jcmd").toString();
            String pid = String.valueOf(process.pid());
            // Thread.print shows locks of platform threads; dump_to_file also lists the virtual threads
            for (List<String> argv : List.of(List.of(jcmd, pid, "Thread.print", "-l"),
                    List.of(jcmd, pid, "Thread.dump_to_file", "-format=text", dir.resolve("all-threads.txt").toString()))) {
                Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("threads.txt").toFile())).start();
                if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("bench: cannot save the server's diagnostics: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code VmRSS} and {@code VmHWM} of the server process, in KiB. */
    long[] residentKb() {
        long rss = -1;
        long hwm = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                } else if (line.startsWith("VmHWM:")) {
                    hwm = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read /proc/" + process.pid() + "/status: " + e, e);
        }
        return new long[] {rss, hwm};
    }

    @Override
    public void close() {
        children.stop(process, Duration.ofSeconds(20));
    }
}
