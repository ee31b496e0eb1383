package dev.nest.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks that a Node.js handler file parses, with {@code node --check}: Node compiles the file without running
 * it, so the function's code never runs at deploy. The file is found as the Node.js host finds it
 * ({@code file.export}: {@code file}, {@code file.js}, {@code file.cjs}, {@code file.mjs}, {@code file/index.js}).
 *
 * <p>Limits: the check runs with an empty environment (no {@code NODE_OPTIONS} can make Node load anything),
 * for at most {@code timeout}, and reads at most {@link #MAX_OUTPUT} bytes of Node's output. A check that does not
 * finish in time, or a Node that cannot be started, does not refuse the deploy (the host still reports a syntax
 * error when it loads the function); it is logged. Thread-safe: each call runs its own process.
 */
final class NodeSyntaxCheck {
    static final int MAX_OUTPUT = 16 * 1024;
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Logger LOG = Logger.getLogger(NodeSyntaxCheck.class.getName());
    private static final Pattern WHERE = Pattern.compile("^(.*):(\\d+)$");
    private static final Pattern ERROR = Pattern.compile("^([A-Za-z]*Error)(?:\\s*\\[[A-Z_]+])?: (.*)$");

    private final String node;
    private final Duration timeout;

    NodeSyntaxCheck(String node, Duration timeout) {
        this.node = node;
        this.timeout = timeout;
    }

    /** The file {@code handler} ({@code file.export}) names in {@code codeDir}, if there is one inside it. */
    static Optional<Path> handlerFile(Path codeDir, String handler) {
        int dot = handler.lastIndexOf('.');
        if (dot <= 0) {
            return Optional.empty();
        }
        Path root = codeDir.toAbsolutePath().normalize();
        Path base = root.resolve(handler.substring(0, dot)).normalize();
        if (!base.startsWith(root)) {
            return Optional.empty();
        }
        String b = base.toString();
        for (Path candidate : List.of(base, Path.of(b + ".js"), Path.of(b + ".cjs"), Path.of(b + ".mjs"),
                base.resolve("index.js"))) {
            String n = candidate.getFileName().toString();
            if ((n.endsWith(".js") || n.endsWith(".cjs") || n.endsWith(".mjs")) && Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Checks {@code file} (in {@code codeDir}).
     *
     * @return empty when it parses, else {@code file:line: SyntaxError: message} with the file relative to
     *     {@code codeDir}
     */
    Optional<String> check(Path codeDir, Path file) {
        Path root = codeDir.toAbsolutePath().normalize();
        String rel = root.relativize(file.toAbsolutePath().normalize()).toString();
        ProcessBuilder pb = new ProcessBuilder(node, "--check", rel).directory(root.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            LOG.warning("cannot run " + node + " --check (" + e.getMessage() + "); " + rel + " is deployed unchecked");
            return Optional.empty();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().name("nest-node-check").start(() -> drain(p.getInputStream(), out));
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                LOG.warning("node --check " + rel + " did not finish within " + timeout.toMillis() + " ms; deployed unchecked");
                return Optional.empty();
            }
            reader.join(1000);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        if (p.exitValue() == 0) {
            return Optional.empty();
        }
        String text;
        synchronized (out) {
            text = out.toString(StandardCharsets.UTF_8);
        }
        return Optional.of(describe(rel, root, text));
    }

    /** {@code file:line: SyntaxError: message} from Node's output, without any path of this server. */
    static String describe(String rel, Path root, String output) {
        List<String> lines = output.lines().toList();
        String line = "";
        String message = "";
        for (String l : lines) {
            Matcher w = WHERE.matcher(l);
            if (line.isEmpty() && w.matches() && w.group(1).endsWith(rel)) {
                line = w.group(2);
            }
            Matcher e = ERROR.matcher(l.strip());
            if (message.isEmpty() && e.matches()) {
                message = e.group(1) + ": " + e.group(2);
            }
        }
        if (message.isEmpty()) {
            message = lines.stream().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("node --check failed");
        }
        message = message.replace(root + "/", "");
        return rel + (line.isEmpty() ? "" : ":" + line) + ": " + message;
    }

    private static void drain(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                synchronized (out) {
                    int room = MAX_OUTPUT - out.size();
                    if (room > 0) {
                        out.write(buf, 0, Math.min(room, n));
                    }
                }
            }
        } catch (IOException e) {
            // the process ended or was killed: what was read is enough
        }
    }
}
