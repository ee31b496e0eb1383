package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the Node.js runtime host's own test suite ({@code runtimes/nodejs/test}, node's built-in runner) with
 * real Node.js, so that {@code mvn verify} covers the host's contract tests too.
 */
class NodeHostIT {
    @Test
    void nodeHostContractTestsPass() throws Exception {
        Engines.requireNode();
        String node = Engines.onPath("node").or(() -> Engines.onPath("nodejs")).orElseThrow().toString();
        Process p = new ProcessBuilder(node, "--test", "runtimes/nodejs/test/")
                .directory(Path.of(".").toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "node --test did not finish");
        System.out.println(out.lines().filter(l -> l.startsWith("# ")).reduce("", (a, b) -> a + b + "\n"));
        assertEquals(0, p.exitValue(), "the Node.js host's tests failed:\n" + out);
        assertTrue(out.contains("# fail 0"), out);
    }
}
