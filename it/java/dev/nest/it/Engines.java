package dev.nest.it;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The real engines the integration tests need: Node.js, containerd (Docker: {@code docker.DockerEngines}).
 *
 * <p>Each {@code requireX()} returns when the engine is there. When it is not, the test fails if the
 * environment variable {@code NEST_REQUIRE_ENGINES=1} is set (CI, where a missing engine is a broken
 * machine), and otherwise is skipped with a loud line on stderr so that a skip is never mistaken for a pass.
 * Call it first in {@code @BeforeAll} (skips the class) or in a test (skips the test).
 *
 * <p>To add an engine, write a {@code requireX()} that finds it and calls {@link #require}.
 */
public final class Engines {
    /** Set to {@code 1} to turn a missing engine into a failure instead of a skip. */
    public static final String STRICT_ENV = "NEST_REQUIRE_ENGINES";

    private Engines() {
    }

    /** Node.js ({@code node} or {@code nodejs} on {@code PATH}). */
    public static void requireNode() {
        require("Node.js", onPath("node").or(() -> onPath("nodejs")).isPresent(),
                "install Node.js >= 18 and put 'node' on PATH");
    }

    /** containerd's socket for the tests: {@code NEST_CONTAINERD_ADDRESS}, default {@code /run/nest/containerd/containerd.sock}. */
    public static String containerdAddress() {
        return Optional.ofNullable(System.getenv("NEST_CONTAINERD_ADDRESS")).filter(s -> !s.isBlank())
                .orElse("/run/nest/containerd/containerd.sock");
    }

    /**
     * containerd: its socket ({@link #containerdAddress()}) is there and answers the version call within 5 s
     * ({@code answers} makes that call; the tests' gRPC client lives with the containerd tests).
     */
    public static void requireContainerd(java.util.function.Predicate<String> answers) {
        String address = containerdAddress();
        String problem = null;
        if (!Files.exists(Path.of(address))) {
            problem = "no socket at " + address;
        } else if (!answers.test(address)) {
            problem = "containerd at " + address + " does not answer";
        }
        require("containerd", problem == null, (problem == null ? "" : problem + "; ") + "start it and load the images: "
                + "distribution/setup-engines.sh (as root), or set NEST_CONTAINERD_ADDRESS to its socket");
    }

    /** The path of {@code name} if an executable of that name is on {@code PATH}. */
    public static Optional<Path> onPath(String name) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Fails or skips (see the class comment) unless {@code available}.
     *
     * @param engine what is missing, for the message ("Node.js", "Docker")
     * @param hint   what to do about it
     */
    public static void require(String engine, boolean available, String hint) {
        if (available) {
            return;
        }
        String message = engine + " required by this integration test but not found (" + hint + ")";
        if ("1".equals(System.getenv(STRICT_ENV))) {
            Assertions.fail(message + "; " + STRICT_ENV + "=1 forbids skipping");
        }
        System.err.println();
        System.err.println("*** SKIPPED: " + engine + " not found: " + message + " ***");
        System.err.println("*** Set " + STRICT_ENV + "=1 to make this a failure. ***");
        System.err.println();
        Assumptions.abort(message);
    }
}
