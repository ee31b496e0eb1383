package dev.nest.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Finding a handler's file, reading Node's answer, and the bounds on time and output. */
class NodeSyntaxCheckTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            index.handler         | index.js
            src/app.handler       | src/app.mjs
            lib/v1.2/app.handler  | lib/v1.2/app.cjs
            pkg.handler           | pkg/index.js
            missing.handler       | -
            ../outside.handler    | -
            nodot                 | -
            data.handler          | -
            """)
    void findsTheHandlersFileAsTheHostDoes(String handler, String file) throws IOException {
        for (String f : new String[] {"index.js", "src/app.mjs", "lib/v1.2/app.cjs", "pkg/index.js", "data.json"}) {
            Files.createDirectories(tmp.resolve("code").resolve(f).getParent());
            Files.writeString(tmp.resolve("code").resolve(f), "x");
        }
        Files.writeString(tmp.resolve("outside.js"), "x");
        Optional<Path> found = NodeSyntaxCheck.handlerFile(tmp.resolve("code"), handler);
        assertEquals(file.equals("-") ? Optional.empty() : Optional.of(tmp.resolve("code").resolve(file)), found);
    }

    @Test
    void describesNodesAnswerWithFileLineAndMessageOnly() {
        String output = """
                /srv/nest/data/artifacts/code/abc/src/app.js:12
                  return {;
                          ^

                SyntaxError: Unexpected token ';'
                    at wrapSafe (node:internal/modules/cjs/loader:1464:18)

                Node.js v20.20.2
                """;
        assertEquals("src/app.js:12: SyntaxError: Unexpected token ';'",
                NodeSyntaxCheck.describe("src/app.js", Path.of("/srv/nest/data/artifacts/code/abc"), output));
    }

    private Path script(String body) throws IOException {
        Path s = tmp.resolve("fake-node-" + Math.abs(body.hashCode()));
        Files.writeString(s, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwx------"));
        return s;
    }

    @Test
    void aCheckThatDoesNotFinishIsStoppedAndDoesNotRefuse() throws IOException {
        Path code = Files.createDirectories(tmp.resolve("code"));
        Files.writeString(code.resolve("index.js"), "x");
        NodeSyntaxCheck check = new NodeSyntaxCheck(script("exec sleep 30").toString(), Duration.ofMillis(300));
        assertEquals(Optional.empty(), assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> check.check(code, code.resolve("index.js"))));
    }

    @Test
    void nodesOutputIsReadOnlyUpToTheLimit() throws IOException {
        Path code = Files.createDirectories(tmp.resolve("code"));
        Files.writeString(code.resolve("index.js"), "x");
        NodeSyntaxCheck check = new NodeSyntaxCheck(script("yes xxxxxxxx | head -c 2000000; exit 1").toString(),
                Duration.ofSeconds(10));
        String error = check.check(code, code.resolve("index.js")).orElseThrow();
        assertEquals("index.js: xxxxxxxx", error, "the first line of what was read");
    }

    @Test
    void theCheckRunsWithAnEmptyEnvironment() throws IOException {
        Path code = Files.createDirectories(tmp.resolve("code"));
        Files.writeString(code.resolve("index.js"), "x");
        NodeSyntaxCheck check = new NodeSyntaxCheck(script("echo \"SyntaxError: [$NODE_OPTIONS]\"; exit 1").toString(),
                Duration.ofSeconds(10));
        assertEquals(Optional.of("index.js: SyntaxError: []"), check.check(code, code.resolve("index.js")));
    }
}
