package dev.nest.it;

import dev.nest.NestServer;
import dev.nest.config.NestConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One in-process Nest node for a test class: started before the class's first test, closed after its last, on a
 * free port with its own data, functions and scratch directories in a fresh temporary directory. Tests reach it
 * through {@link #http()}, a client that is bound as soon as the node runs and sends the node's first admin token
 * (read from {@code <data>/admin.token}, which the node writes when it starts a region) on admin calls.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final NestServerExtension node = NestServerExtension.node()
 *         .requires(Engines::requireNode)
 *         .settings("sidecar:\n  pool: {nodejs: 1}\n")
 *         .functions(dir -> Fixtures.nodeFunction(dir, "echo", "", ECHO_JS));
 * static final Http http = node.http();
 * }</pre>
 *
 * <p>The configuration is {@link NestConfig#defaults()} unless {@link #settings} (the text of a {@code nest.yaml})
 * or {@link #config} gives another; either way the port, the data, functions and runtimes directories are the
 * fixture's. The requirements run first, so a missing engine skips (or fails, see {@link Engines}) the class before
 * anything starts. A node that fails to start fails the class; one closed early by a test ({@link #close()}) is not
 * closed again. The temporary directory is removed afterwards as far as possible; what cannot be removed (files a
 * container wrote as another user) is left and named on stderr.
 *
 * <p>Registered on a static field, the extension serves the tests of one class, which JUnit runs on one thread;
 * {@link #http()} may be used from any thread.
 */
public final class NestServerExtension implements BeforeAllCallback, AfterAllCallback {
    private final List<Runnable> requirements = new ArrayList<>();
    private Supplier<NestConfig> config = NestConfig::defaults;
    private Optional<String> settings = Optional.empty();
    private Consumer<Path> functions = dir -> { };
    private final Http http = new Http(() -> "http://127.0.0.1:" + server().port(), this::adminToken);

    private Path root;
    private NestServer server;
    private boolean closed;

    private NestServerExtension() {
    }

    /** A node with the defaults, no requirement and an empty functions directory. */
    public static NestServerExtension node() {
        return new NestServerExtension();
    }

    /** Checks run before the node starts, e.g. {@code Engines::requireNode}. */
    public NestServerExtension requires(Runnable requirement) {
        requirements.add(requirement);
        return this;
    }

    /** The node's configuration as the text of a {@code nest.yaml} (driver, pools, limits, ...). */
    public NestServerExtension settings(String nestYaml) {
        this.settings = Optional.of(nestYaml);
        return this;
    }

    /** The node's configuration, made when the node starts (instead of {@link #settings}). */
    public NestServerExtension config(Supplier<NestConfig> config) {
        this.config = config;
        this.settings = Optional.empty();
        return this;
    }

    /** Writes the functions directory's contents (function files and code) before the node starts. */
    public NestServerExtension functions(Consumer<Path> writer) {
        this.functions = writer;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        requirements.forEach(Runnable::run);
        root = Files.createTempDirectory("nest-it-" + context.getRequiredTestClass().getSimpleName() + "-");
        Files.createDirectories(functions());
        Files.createDirectories(scratch());
        functions.accept(functions());
        NestConfig c = settings.map(yaml -> NestConfig.load(Fixtures.write(root, "nest.yaml", yaml))).orElseGet(config);
        server = Fixtures.startNode(c, Files.createDirectories(root.resolve("data")), functions());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            close();
        } finally {
            if (root != null) {
                deleteTree(root);
            }
        }
    }

    /** The running node; fails before it has started. */
    public NestServer server() {
        if (server == null) {
            throw new IllegalStateException("the node has not started: use it from a test or a @BeforeAll method"
                    + " of the class that registers this extension");
        }
        return server;
    }

    /** A client of the node, usable once the node has started (it may be kept in a static field before). */
    public Http http() {
        return http;
    }

    /** The admin token the node wrote to {@code <data>/admin.token} when it started, if it did. */
    public Optional<String> adminToken() {
        return root == null ? Optional.empty() : Http.adminToken(root.resolve("data"));
    }

    /** The functions directory the node watches. */
    public Path functions() {
        return root().resolve("functions");
    }

    /** A directory for the test's own files (packages, configs). */
    public Path scratch() {
        return root().resolve("scratch");
    }

    /** Stops the node now (a test of what closing does); it is not closed again after the class. Idempotent. */
    public void close() {
        if (server != null && !closed) {
            closed = true;
            server.close();
        }
    }

    private Path root() {
        if (root == null) {
            throw new IllegalStateException("the node's directories are made when the class starts");
        }
        return root;
    }

    private static void deleteTree(Path dir) {
        List<Path> left = new ArrayList<>();
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    left.add(p);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            left.add(dir);
        }
        if (!left.isEmpty()) {
            System.err.println("NestServerExtension: could not remove " + left.size() + " path(s) under " + dir
                    + ", e.g. " + left.get(0));
        }
    }
}
