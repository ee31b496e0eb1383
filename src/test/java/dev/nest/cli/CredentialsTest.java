package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The order in which the CLI looks for a token, as a table over every combination that matters. */
class CredentialsTest {
    private static final String LOCAL = "http://127.0.0.1:8080";
    private static final String REMOTE = "https://nest.example.com";

    @TempDir
    Path tmp;
    private Path work;
    private Logins logins;

    @BeforeEach
    void setUp() throws IOException {
        work = Files.createDirectories(tmp.resolve("work"));
        logins = new Logins(tmp.resolve("config/nest"));
    }

    /**
     * Each row: which sources hold a token, the server, and which source wins ("-" for none). The sources: F --token,
     * E NEST_TOKEN, L a saved login for the server, D $NEST_DATA/admin.token, W ./data/admin.token.
     */
    @ParameterizedTest(name = "[{0}] {1} -> {2}")
    @CsvSource({
        "FELDW, " + LOCAL + ", F",
        "ELDW,  " + LOCAL + ", E",
        "LDW,   " + LOCAL + ", L",
        "DW,    " + LOCAL + ", D",
        "W,     " + LOCAL + ", W",
        "'',    " + LOCAL + ", -",
        "DW,    http://localhost:9000, D",
        "W,     http://[::1]:8080, W",
        "DW,    " + REMOTE + ", -",
        "LDW,   " + REMOTE + ", L",
        "EL,    " + REMOTE + ", E",
        "W,     http://10.0.0.5:8080, -"})
    void findsTheFirstSourceThatHasOne(String sources, String server, String wins) throws IOException {
        Map<String, String> env = new HashMap<>();
        if (sources.contains("E")) {
            env.put("NEST_TOKEN", "token-E\n");
        }
        if (sources.contains("L")) {
            logins.save(server, "token-L");
        }
        Path data = Files.createDirectories(tmp.resolve("elsewhere"));
        env.put("NEST_DATA", data.toString());
        if (sources.contains("D")) {
            Files.writeString(data.resolve("admin.token"), "token-D\n");
        }
        if (sources.contains("W")) {
            Files.writeString(Files.createDirectories(work.resolve("data")).resolve("admin.token"), "token-W\n");
        }
        Optional<String> flag = sources.contains("F") ? Optional.of("token-F") : Optional.empty();

        Optional<Credentials.Found> found = new Credentials(env, work, logins).find(flag, server);

        assertEquals(wins.equals("-") ? Optional.empty() : Optional.of("token-" + wins),
                found.map(Credentials.Found::token));
    }

    @Test
    void aRelativeNestDataIsReadFromTheWorkingDirectory() throws IOException {
        Files.writeString(Files.createDirectories(work.resolve("state")).resolve("admin.token"), "token-R");
        Optional<Credentials.Found> found = new Credentials(Map.of("NEST_DATA", "state"), work, logins)
                .find(Optional.empty(), LOCAL);
        assertEquals(Optional.of("token-R"), found.map(Credentials.Found::token));
        assertEquals(work.resolve("state/admin.token").toString(), found.get().source());
    }

    @Test
    void aBlankFlagOrVariableCountsAsAbsent() {
        logins.save(REMOTE, "token-L");
        Optional<Credentials.Found> found = new Credentials(Map.of("NEST_TOKEN", "  "), work, logins)
                .find(Optional.of(" "), REMOTE);
        assertEquals(Optional.of("token-L"), found.map(Credentials.Found::token));
    }

    @Test
    void whereItLookedNamesTheDataDirectoryOnlyForALocalServer() {
        Credentials c = new Credentials(Map.of(), work, logins);
        assertTrue(c.searched(LOCAL).contains(work.resolve("data/admin.token").toString()), c.searched(LOCAL));
        assertFalse(c.searched(REMOTE).contains(work.resolve("data/admin.token").toString()));
        assertTrue(c.searched(REMOTE).contains("only for a server on 127.0.0.1"));
    }

    @Test
    void aFoundTokenNeverShowsItself() {
        Credentials.Found f = new Credentials.Found("nest_secret", "NEST_TOKEN");
        assertEquals("token from NEST_TOKEN", f.toString());
    }

    @ParameterizedTest
    @CsvSource({"http://127.0.0.1:8080, true", "http://localhost, true", "http://LOCALHOST:1, true",
        "http://[::1]:8080, true", "http://127.0.0.2:8080, false", "https://nest.example.com, false", "nonsense, false"})
    void knowsALoopbackServerByItsHostName(String server, boolean loopback) {
        assertEquals(loopback, Credentials.loopback(server));
    }
}
