package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.NestException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapTest {
    @TempDir
    Path data;

    private final FakeClock clock = new FakeClock(Instant.parse("2026-12-01T00:00:00Z"));
    private final InMemoryTokenStore store = new InMemoryTokenStore(clock);

    private static Function<String, Optional<String>> env(Map<String, String> vars) {
        return name -> Optional.ofNullable(vars.get(name));
    }

    private String secretIn(Path file) throws IOException {
        return Files.readString(file).strip();
    }

    @Test
    void theFirstStartCreatesAnAdminTokenInAnOwnerOnlyFile() throws IOException {
        List<String> logged = new java.util.ArrayList<>();
        Logger log = Logger.getLogger(Bootstrap.class.getName());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        Path file;
        try {
            file = new Bootstrap(store, data, env(Map.of())).run().orElseThrow();
        } finally {
            log.removeHandler(capture);
        }
        assertEquals(data.resolve("admin.token"), file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String secret = secretIn(file);
        Principal p = store.authenticate(TokenSecret.parse(secret)).orElseThrow();
        assertEquals(new Principal("bootstrap-admin", Role.ADMIN, List.of("*")), p);
        assertEquals(1, logged.size());
        assertTrue(logged.getFirst().contains(file.toAbsolutePath().toString()), logged.getFirst());
        assertFalse(logged.getFirst().contains(secret.substring(5)), "the secret is never logged");
        try (Stream<Path> files = Files.list(data)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left");
        }
    }

    @Test
    void aRegionWithTokensIsLeftAlone() {
        store.create("someone", Role.VIEWER, List.of("*"), Optional.empty());
        assertEquals(Optional.empty(), new Bootstrap(store, data, env(Map.of())).run());
        assertFalse(Files.exists(data.resolve("admin.token")));
        assertEquals(List.of("someone"), store.list().stream().map(TokenInfo::name).toList());
    }

    @Test
    void theSecondStartDoesNothing() throws IOException {
        Path file = new Bootstrap(store, data, env(Map.of())).run().orElseThrow();
        String first = secretIn(file);
        assertEquals(Optional.empty(), new Bootstrap(store, data, env(Map.of())).run());
        assertEquals(first, secretIn(file));
    }

    @Test
    void thePresetFromTheEnvironmentIsTheToken() throws IOException {
        TokenSecret preset = TokenSecret.generate();
        Path file = new Bootstrap(store, data, env(Map.of("NEST_BOOTSTRAP_TOKEN", preset.reveal() + "\n"))).run()
                .orElseThrow();
        assertEquals(preset.reveal(), secretIn(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("bootstrap-admin", store.authenticate(preset).orElseThrow().name());
    }

    @Test
    void anInvalidPresetIsRefusedWithoutEchoingIt() {
        String bad = "nest_" + "x".repeat(49);
        NestException e = assertThrows(NestException.class,
                () -> new Bootstrap(store, data, env(Map.of("NEST_BOOTSTRAP_TOKEN", bad))).run());
        assertTrue(e.detail().startsWith("environment variable NEST_BOOTSTRAP_TOKEN"), e.detail());
        assertTrue(e.detail().contains("checksum"), e.detail());
        assertFalse(e.detail().contains(bad), e.detail());
        assertEquals(List.of(), store.list());
        assertFalse(Files.exists(data.resolve("admin.token")));
    }

    @Test
    void anExistingFileIsReplacedWithOwnerOnlyPermissions() throws IOException {
        Path old = data.resolve("admin.token");
        Files.writeString(old, "stale\n");
        Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rw-r--r--"));
        Path file = new Bootstrap(store, data, env(Map.of())).run().orElseThrow();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        TokenSecret.parse(secretIn(file));
    }

    @Test
    void whenAnotherNodeWinsNothingIsWritten() {
        TokenStore raced = new TokenStore() {
            @Override
            public TokenInfo create(NewToken request, TokenSecret secret) {
                throw NestException.conflict("a token named '" + request.name() + "' exists");
            }

            @Override
            public List<TokenInfo> list() {
                return List.of();
            }

            @Override
            public void revoke(String name) {
            }

            @Override
            public Optional<Principal> authenticate(TokenSecret secret) {
                return Optional.empty();
            }
        };
        assertEquals(Optional.empty(), new Bootstrap(raced, data, env(Map.of())).run());
        assertFalse(Files.exists(data.resolve("admin.token")));
    }
}
