package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.nest.it.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.security.SecureRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A runtime host started directly, without Nest, as the node agent would start it: the {@code launch} argv of
 * {@code runtimes/<name>/runtime.yaml} (same heap and JVM flags), the contract's environment variables, then
 * {@code GET /health} until ready and {@code POST /load}. This is the "direct" baseline of the warm path.
 */
final class RuntimeHost implements AutoCloseable {
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z]+)}");

    private final ChildProcesses children;
    private final Process process;
    private final int port;
    private final String secret;
    private final Path log;
    private final List<String> argv;
    private final BenchHttp http = new BenchHttp();

    private RuntimeHost(ChildProcesses children, Process process, int port, String secret, Path log, List<String> argv) {
        this.children = children;
        this.process = process;
        this.port = port;
        this.secret = secret;
        this.log = log;
        this.argv = argv;
    }

    /**
     * Starts the host of {@code runtime} for a function of {@code memoryMb} and waits until it is ready.
     *
     * @param hostClasspath the jar holding {@code dev.nest.host} (the Java host's {@code ${hostClasspath}})
     */
    static RuntimeHost start(ChildProcesses children, Path runtimesDir, String runtime, int memoryMb, Path java,
                             Path hostClasspath, Path logDir) {
        Path dir = runtimesDir.resolve(runtime);
        JsonNode yaml;
        try {
            yaml = new ObjectMapper(new YAMLFactory()).readTree(dir.resolve("runtime.yaml").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve("runtime.yaml"), e);
        }
        List<String> argv = new ArrayList<>();
        for (JsonNode a : yaml.path("launch")) {
            Matcher m = VAR.matcher(a.asText());
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String value = switch (m.group(1)) {
                    case "runtimeDir" -> dir.toString();
                    case "heapMb" -> String.valueOf(Math.max(8, memoryMb * 3 / 4));
                    case "java" -> java.toString();
                    case "hostClasspath" -> hostClasspath.toString();
                    case "node" -> nodeBinary();
                    default -> throw new IllegalStateException(dir.resolve("runtime.yaml") + ": unknown variable ${"
                            + m.group(1) + "} in launch");
                };
                m.appendReplacement(sb, Matcher.quoteReplacement(value));
            }
            m.appendTail(sb);
            argv.add(sb.toString());
        }
        if (argv.isEmpty()) {
            throw new IllegalStateException(dir.resolve("runtime.yaml") + " has no launch argv");
        }
        int port = Fixtures.freePort();
        byte[] s = new byte[16];
        new SecureRandom().nextBytes(s);
        String secret = HexFormat.of().formatHex(s);
        Path log = logDir.resolve("host-" + runtime + "-" + port + ".log");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NEST_HOST_PORT", String.valueOf(port));
        env.put("NEST_HOST_ADDRESS", "127.0.0.1");
        env.put("NEST_HOST_SECRET", secret);
        env.put("NEST_POD_ID", "bench-direct-" + runtime);
        env.put("NEST_PRELOAD", "");
        Process p = children.start(runtime + " host", argv, env, dir, log);
        RuntimeHost host = new RuntimeHost(children, p, port, secret, log, argv);
        host.awaitReady(Duration.ofSeconds(30));
        return host;
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("host " + argv + " exited with " + process.exitValue() + ":\n"
                        + ChildProcesses.tail(log, 30));
            }
            var r = http.probe(base() + "/health", Map.of("X-Nest-Secret", secret));
            if (r.isPresent() && r.get().status() == 200 && r.get().json().path("ready").asBoolean(false)) {
                return;
            }
            BenchHttp.sleep(20);
        }
        throw new IllegalStateException("host " + argv + " was not ready within " + timeout.toSeconds() + " s:\n"
                + ChildProcesses.tail(log, 30));
    }

    /** Loads one sandbox with {@code concurrency} and the given code; fails with the host's answer. */
    void load(String sandboxId, String function, Path codeDir, String handler, int memoryMb, int concurrency) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", sandboxId);
        body.put("function", function);
        body.put("version", "1");
        body.put("codeDir", codeDir.toAbsolutePath().toString());
        body.put("handler", handler);
        body.put("env", Map.of());
        body.put("limits", Map.of("memoryMb", memoryMb, "timeoutMs", 30_000, "concurrency", concurrency));
        try {
            var r = http.send("POST", base() + "/load", Map.of("X-Nest-Secret", secret, "Content-Type", "application/json"),
                    BenchHttp.JSON.writeValueAsBytes(body), Duration.ofSeconds(30));
            BenchHttp.expect(r, 200, "POST /load of " + function + " into the " + argv.get(0) + " host");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    String secret() {
        return secret;
    }

    String invokeUrl(String sandboxId) {
        return base() + "/invoke/" + sandboxId + "/";
    }

    /** The argv the host was started with, for the report. */
    List<String> argv() {
        return argv;
    }

    /**
     * The Node.js Nest's own hosts run on when started from this environment ({@code NEST_NODE}, else {@code node}
     * on PATH: {@link dev.nest.runtime.NodeBinary}), checked to be Node.js 18+: the direct and the plain baselines
     * run on the same binary as the hosts behind Nest.
     */
    static String nodeBinary() {
        return node().verified("nodejs");
    }

    /** The benchmark's one {@link dev.nest.runtime.NodeBinary} (checked once). */
    static dev.nest.runtime.NodeBinary node() {
        return Node.BINARY;
    }

    private static final class Node {
        static final dev.nest.runtime.NodeBinary BINARY = dev.nest.runtime.NodeBinary.fromEnvironment();
    }

    @Override
    public void close() {
        children.stop(process, Duration.ofSeconds(10));
    }
}
