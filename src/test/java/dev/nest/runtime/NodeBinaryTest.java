package dev.nest.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nest.common.NestException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeBinaryTest {
    private static final Set<Path> EXECUTABLES = Set.of(Path.of("/opt/node24/bin/node"), Path.of("/usr/bin/node"),
            Path.of("/usr/local/bin/nodejs"));
    private static final Predicate<Path> EXEC = EXECUTABLES::contains;
    private static final Predicate<Path> REGULAR = p -> EXECUTABLES.contains(p) || p.equals(Path.of("/opt/plain-file"));

    private static Optional<NodeBinary.Choice> choose(String configured, String env, String path) {
        return NodeBinary.choose(Optional.ofNullable(configured), Optional.ofNullable(env), path, EXEC, REGULAR);
    }

    @Test
    void theKeyComesFirstThenTheVariableThenPath() {
        record Row(String configured, String env, String path, String chosen, String origin) { }
        for (Row r : List.of(
                new Row("/opt/node24/bin/node", "/usr/bin/node", "/usr/bin", "/opt/node24/bin/node", NodeBinary.KEY),
                new Row(" /opt/node24/bin/node ", null, "/usr/bin", "/opt/node24/bin/node", NodeBinary.KEY),
                new Row(null, "/opt/node24/bin/node", "/usr/bin", "/opt/node24/bin/node", NodeBinary.ENV),
                new Row(null, "", "/usr/bin", "/usr/bin/node", "PATH"),
                new Row(null, "  ", "/usr/bin", "/usr/bin/node", "PATH"),
                new Row(null, null, "/nowhere::/usr/bin", "/usr/bin/node", "PATH"),
                // node before nodejs, whichever directory comes first
                new Row(null, null, "/usr/local/bin:/usr/bin", "/usr/bin/node", "PATH"),
                new Row(null, null, "/usr/local/bin", "/usr/local/bin/nodejs", "PATH"))) {
            NodeBinary.Choice c = choose(r.configured(), r.env(), r.path()).orElseThrow(() -> new AssertionError(r.toString()));
            assertEquals(Path.of(r.chosen()), c.path(), r.toString());
            assertEquals(r.origin(), c.origin(), r.toString());
        }
        assertTrue(choose(null, null, "/nowhere:/opt").isEmpty());
    }

    @Test
    void aNamedBinaryThatIsNoExecutableFileIsRefusedNamingTheKey() {
        record Row(String configured, String env, String message) { }
        for (Row r : List.of(
                new Row("node", null, "key 'sidecar.drivers.process.node': value 'node' is not an absolute path"),
                new Row("", null, "key 'sidecar.drivers.process.node': value '' is not an absolute path"),
                new Row("/opt/missing/node", "/usr/bin/node", "key 'sidecar.drivers.process.node': value '/opt/missing/node' is not a file"),
                new Row("/opt/plain-file", null, "key 'sidecar.drivers.process.node': value '/opt/plain-file' is not executable"),
                new Row(null, "bin/node", "environment variable NEST_NODE: value 'bin/node' is not an absolute path"),
                new Row(null, "/opt/plain-file", "environment variable NEST_NODE: value '/opt/plain-file' is not executable"))) {
            NestException e = assertThrows(NestException.class, () -> choose(r.configured(), r.env(), "/usr/bin"), r.toString());
            assertEquals(400, e.status());
            assertTrue(e.getMessage().contains(r.message()), e.getMessage());
            assertTrue(e.getMessage().contains("Node.js 18 or newer"), e.getMessage());
        }
    }

    @Test
    void theVersionMustBeNodeEighteenOrNewer() {
        NodeBinary.Choice c = new NodeBinary.Choice(Path.of("/opt/n/bin/node"), NodeBinary.KEY);
        record Row(String out, String problem) { }
        for (Row r : List.of(
                new Row("v24.22.3\n", null),
                new Row("v18.0.0", null),
                new Row("v25.0.0-nightly20250101abc\n", null),
                new Row("v16.20.2\n", "sidecar.drivers.process.node (/opt/n/bin/node) is Node.js v16.20.2, older than 18"),
                new Row("Python 3.11.2", "answered --version with 'Python 3.11.2', which is not a Node.js version"),
                new Row("", "which is not a Node.js version"),
                new Row(null, "sidecar.drivers.process.node (/opt/n/bin/node) did not answer --version with a version"))) {
            Optional<String> p = NodeBinary.problem(c, Optional.ofNullable(r.out()));
            if (r.problem() == null) {
                assertTrue(p.isEmpty(), r + " -> " + p);
            } else {
                assertTrue(p.orElseThrow(() -> new AssertionError(r.toString())).contains(r.problem()), p.get());
            }
        }
        NodeBinary.Choice onPath = new NodeBinary.Choice(Path.of("/usr/bin/node"), "PATH");
        assertTrue(NodeBinary.problem(onPath, Optional.of("v16.1.0")).orElseThrow()
                .contains("Node.js on PATH (/usr/bin/node) is Node.js v16.1.0, older than 18; set sidecar.drivers.process.node"));
    }

    @Test
    void theCheckRunsOnceWhenItPassesAndAgainAfterAFailure() {
        AtomicInteger probes = new AtomicInteger();
        Path bin = Path.of("/opt/n/bin/node");
        String[] answer = {"v16.0.0"};
        NodeBinary node = new NodeBinary(Optional.of(new NodeBinary.Choice(bin, NodeBinary.ENV)), p -> {
            probes.incrementAndGet();
            return Optional.of(answer[0]);
        });
        NestException e = assertThrows(NestException.class, () -> node.verified("nodejs"));
        assertEquals(503, e.status());
        assertTrue(e.getMessage().contains("runtime 'nodejs': NEST_NODE (/opt/n/bin/node) is Node.js v16.0.0"), e.getMessage());
        assertThrows(NestException.class, () -> node.verified("nodejs"));
        assertEquals(2, probes.get());
        assertTrue(node.version().isEmpty());
        answer[0] = "v24.22.3\n";
        assertEquals(bin.toString(), node.verified("nodejs"));
        assertEquals(bin.toString(), node.verified("nodejs"));
        assertEquals(3, probes.get());
        assertEquals(Optional.of("v24.22.3"), node.version());
    }

    @Test
    void noNodeAtAllSaysHowToGetOne() {
        NodeBinary none = new NodeBinary(Optional.empty(), p -> Optional.of("v24.0.0"));
        NestException e = assertThrows(NestException.class, () -> none.verified("nodejs"));
        assertEquals(503, e.status());
        assertTrue(e.getMessage().contains("neither sidecar.drivers.process.node nor NEST_NODE names one"), e.getMessage());
    }

    @Test
    void aRealBinaryIsProbedAndAScriptThatIsNotNodeIsRefused(@TempDir Path tmp) throws IOException {
        Path fake = tmp.resolve("node");
        Files.writeString(fake, "#!/bin/sh\necho v12.22.0\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        NodeBinary old = NodeBinary.of(Optional.of(fake.toString()), Map.of("PATH", "/nowhere"));
        NestException e = assertThrows(NestException.class, () -> old.verified("nodejs"));
        assertTrue(e.getMessage().contains("is Node.js v12.22.0, older than 18"), e.getMessage());

        Path hangs = tmp.resolve("hangs");
        Files.writeString(hangs, "#!/bin/sh\nexit 3\n");
        Files.setPosixFilePermissions(hangs, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertTrue(NodeBinary.runVersion(hangs).isEmpty());

        Optional<String> onPath = RuntimeRegistry.nodeBinary();
        assumeTrue(onPath.isPresent(), "Node.js is on PATH");
        NodeBinary real = NodeBinary.of(Optional.empty(), Map.of("PATH", Path.of(onPath.get()).getParent().toString()));
        assertEquals(onPath.get(), real.verified("nodejs"));
        assertTrue(real.version().orElseThrow().startsWith("v"));
    }
}
