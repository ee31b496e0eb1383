package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The web console in a real browser: starts one node (process driver), creates a developer token of namespace
 * {@code default}, and runs the Playwright suite in {@code it/console} against the node's public port with Debian's
 * Chromium ({@code /usr/bin/chromium}, or {@code NEST_CHROMIUM}). Fails when any browser test fails; skips loudly
 * (fails under {@code NEST_REQUIRE_ENGINES=1}) without Node.js, Chromium or Playwright's npm package (installed by
 * {@code distribution/setup.sh}, or here by {@code npm ci} in {@code it/console} when the registry is reachable).
 *
 * <p>Screenshots go to a temporary folder, or to the folder {@code NEST_CONSOLE_SCREENSHOTS} names (the README's
 * come from {@code NEST_CONSOLE_SCREENSHOTS=docs/console}; a relative path is taken from the checkout's root).
 */
class ConsoleIT {
    private static final Path HOME = Path.of(System.getProperty("nest.home", ".")).toAbsolutePath().normalize();
    private static final Path SUITE = HOME.resolve("it/console");

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(ConsoleIT::requireBrowser);
    static final Http admin = node.http();

    static Path chromium() {
        return Path.of(Optional.ofNullable(System.getenv("NEST_CHROMIUM")).filter(s -> !s.isBlank()).orElse("/usr/bin/chromium"));
    }

    static Path playwright() {
        return SUITE.resolve("node_modules/@playwright/test/cli.js");
    }

    static void requireBrowser() {
        Engines.requireNode();
        Engines.require("Chromium", Files.isExecutable(chromium()), "apt-get install chromium (distribution/setup.sh"
                + " does), or set NEST_CHROMIUM to a Chromium binary; not found at " + chromium());
        if (!Files.isRegularFile(playwright())) {
            npmCi();
        }
        Engines.require("Playwright", Files.isRegularFile(playwright()), "run 'npm ci' in " + SUITE
                + " (distribution/setup.sh does)");
    }

    private static void npmCi() {
        try {
            Process p = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(SUITE.toFile())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            System.err.println("ConsoleIT: npm ci in " + SUITE + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void theBrowserSuitePasses() throws Exception {
        Http.Response created = admin.postJson("/api/v1/tokens", Map.of("name", "console-e2e", "role", "developer",
                "namespaces", List.of("default"), "expires", "1d"));
        assertEquals(201, created.status(), created::toString);
        String token = created.json().path("secret").asText();
        assertTrue(token.startsWith("nest_"), created::toString);

        Path shots = Optional.ofNullable(System.getenv("NEST_CONSOLE_SCREENSHOTS")).filter(s -> !s.isBlank())
                .map(s -> HOME.resolve(s)).orElse(node.scratch().resolve("screenshots"));
        ProcessBuilder pb = new ProcessBuilder("node", playwright().toString(), "test", "--config",
                SUITE.resolve("playwright.config.mjs").toString()).directory(SUITE.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("NEST_URL", admin.base());
        env.put("NEST_TOKEN", token);
        env.put("NEST_CONSOLE_SCREENSHOTS", shots.toString());
        env.put("NEST_CONSOLE_RESULTS", node.scratch().toString());
        env.put("NEST_CHROMIUM", chromium().toString());
        env.put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        env.put("CI", "1");
        Process p = pb.start();
        // the suite's output goes through System.out: the forked test JVM's own stdout belongs to Failsafe
        Thread copy = Thread.ofVirtual().start(() -> {
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8))) {
                lines.lines().forEach(l -> System.out.println("[playwright] " + l));
            } catch (IOException e) {
                System.out.println("[playwright] output lost: " + e.getMessage());
            }
        });
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the browser suite did not finish within 10 minutes");
        }
        copy.join(10_000);
        assertEquals(0, p.exitValue(), "the console's browser tests failed (their output is above); screenshots in " + shots);
        System.out.println("ConsoleIT: screenshots in " + shots);
    }
}
