package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs the Node.js runtime host's own test suite ({@code runtimes/nodejs/test}, node's built-in runner) with
 * real Node.js, so that {@code mvn verify} covers the host's contract tests too: on the Node.js the hosts run on
 * ({@code NEST_NODE}, else PATH's: {@link dev.nest.runtime.NodeBinary}) and, when it is another binary, on the
 * machine's {@code node} as well (the fallback when no pinned Node.js is provisioned).
 */
class NodeHostIT {
    @Test
    void nodeHostContractTestsPass() throws Exception {
        Engines.requireNode();
        Set<String> nodes = new LinkedHashSet<>();
        nodes.add(dev.nest.runtime.NodeBinary.fromEnvironment().verified("nodejs"));
        nodes.add(Engines.onPath("node").or(() -> Engines.onPath("nodejs")).orElseThrow().toString());
        List<String> files;
        try (Stream<Path> s = Files.list(Path.of("runtimes/nodejs/test"))) {
            files = s.map(Path::toString).filter(f -> f.endsWith(".test.js")).sorted().toList();
        }
        assertTrue(files.size() > 0, "no tests in runtimes/nodejs/test");
        for (String node : nodes) {
            // the files by name (Node.js 22+ takes a directory argument as a module), TAP output on every version
            List<String> argv = new ArrayList<>(List.of(node, "--test", "--test-reporter=tap"));
            argv.addAll(files);
            Process p = new ProcessBuilder(argv)
                    .directory(Path.of(".").toFile())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(5, TimeUnit.MINUTES), "node --test did not finish");
            System.out.println(node + ":\n" + out.lines().filter(l -> l.startsWith("# ")).reduce("", (a, b) -> a + b + "\n"));
            assertEquals(0, p.exitValue(), "the Node.js host's tests failed on " + node + ":\n" + out);
            assertTrue(out.contains("# fail 0"), out);
        }
    }
}
