package dev.nest.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Error details lose this server's paths and keep entries, keys and API routes. */
class ServerPathsTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            cannot store the package: /var/lib/nest/artifacts/staging/0b7d3a52-2f1c-4c1e-9d6a-3c5b1e2f4a6b/a/b: Not a directory | cannot store the package: a/b: Not a directory
            cannot store the package: /data/artifacts/staging/0b7d3a52-2f1c-4c1e-9d6a-3c5b1e2f4a6b.zip: No space left          | cannot store the package: : No space left
            link /home/dev/fn/lib points outside the code directory /home/dev/fn                                                | link lib points outside the code directory fn
            java.io.UncheckedIOException: java.nio.file.AccessDeniedException: /etc/nest/secret/key.pem                        | java.io.UncheckedIOException: java.nio.file.AccessDeniedException: key.pem
            deploy a new version with POST /api/v1/functions/hello/versions                                                     | deploy a new version with POST /api/v1/functions/hello/versions
            key 'code': value '/' is not valid                                                                                 | key 'code': value '/' is not valid
            nothing to hide                                                                                                    | nothing to hide
            """)
    void scrubs(String detail, String expected) {
        assertEquals(expected, ServerPaths.scrub(detail, List.of(Path.of("/home/dev/fn"))));
    }
}
