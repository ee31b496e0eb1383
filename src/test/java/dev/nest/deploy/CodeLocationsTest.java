package dev.nest.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which {@code code:} values a function file may use. */
class CodeLocationsTest {
    @TempDir
    Path tmp;
    private Path functions;
    private Path data;
    private Path file;

    @BeforeEach
    void layout() throws IOException {
        functions = Files.createDirectories(tmp.resolve("project/functions"));
        Files.createDirectories(functions.resolve("hello"));
        Files.createDirectories(tmp.resolve("project/src/fn"));
        data = Files.createDirectories(tmp.resolve("project/data"));
        Files.createDirectories(data.resolve("artifacts"));
        file = functions.resolve("hello.yaml");
        Files.writeString(file, "name: hello\n");
        Files.createSymbolicLink(functions.resolve("proc-link"), Path.of("/proc/self"));
        Files.createSymbolicLink(functions.resolve("root-link"), Path.of("/"));
    }

    private Path resolve(String value) {
        return CodeLocations.resolve(Optional.ofNullable(value), file, functions, List.of(data));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            hello             | hello
            ./hello           | hello
            ../src/fn         | fn
            """)
    void allowed(String value, String dirName) {
        assertEquals(dirName, resolve(value).getFileName().toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            /                                    | an absolute path
            /etc                                 | an absolute path
            ~/fn                                 | an absolute path
            ../../../../../../../../../../../..  | a file-system root or top-level directory
            root-link                            | a file-system root or top-level directory
            proc-link                            | a system directory
            .                                    | it holds the functions directory
            ..                                   | it holds the functions directory
            ../data                              | it overlaps Nest's data directory
            ../data/artifacts                    | it overlaps Nest's data directory
            missing                              | no such directory
            """)
    void refused(String value, String why) {
        var e = assertThrows(CodeLocations.Refused.class, () -> resolve(value));
        assertTrue(e.getMessage().startsWith("key 'code': value '" + value + "' is not valid (" + why + "); allowed: "
                + "a directory relative to hello.yaml"), e.getMessage());
        assertFalse(e.getMessage().contains(tmp.toString()), "no server path: " + e.getMessage());
    }

    @Test
    void aMissingCodeIsRequired() {
        var e = assertThrows(CodeLocations.Refused.class, () -> resolve(null));
        assertEquals("key 'code': required: the function's code directory, relative to hello.yaml", e.getMessage());
    }
}
