package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Where {@code nest login} keeps tokens, and that nobody but the user can read them. */
class LoginsTest {
    @TempDir
    Path tmp;

    @Test
    void createsTheDirectory0700AndTheFile0600() throws IOException {
        Path dir = tmp.resolve("config/nest");
        Logins logins = new Logins(dir);
        logins.save("http://h:1", "nest_a");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(logins.file())));
        logins.save("http://h:1", "nest_b");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(logins.file())));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void narrowsAnExistingDirectoryThatOthersCouldRead() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("nest"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        new Logins(dir).save("http://h:1", "nest_a");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void keepsOneTokenPerServer() {
        Logins logins = new Logins(tmp.resolve("nest"));
        logins.save("http://a:8080", "nest_a");
        logins.save("https://b.example.com/", "nest_b");
        logins.save("http://A:8080/", "nest_a2");
        assertEquals(Optional.of("nest_a2"), logins.token("http://a:8080"));
        assertEquals(Optional.of("nest_b"), logins.token("https://b.example.com:443"));
        assertEquals(Optional.empty(), logins.token("http://a:8081"));
    }

    @Test
    void aDamagedFileReadsAsEmptyAndIsReplaced() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("nest"));
        Logins logins = new Logins(dir);
        Files.writeString(logins.file(), "{not json");
        assertEquals(Optional.empty(), logins.token("http://a:1"));
        logins.save("http://a:1", "nest_a");
        assertEquals(Optional.of("nest_a"), logins.token("http://a:1"));
    }

    @ParameterizedTest
    @CsvSource({"http://127.0.0.1:8080/, http://127.0.0.1:8080", "HTTP://Host, http://host:80",
        "https://h/nest//, https://h:443/nest"})
    void aServersKeyIsItsNormalisedUrl(String server, String key) {
        assertEquals(key, Logins.key(server));
    }

    @Test
    void aServerThatIsNotAUrlIsRefused() {
        assertThrows(CliException.class, () -> Logins.key("127.0.0.1:8080"));
    }

    @ParameterizedTest
    @CsvSource({"'/x/cfg', '', /x/cfg/nest", "'', /home/u, /home/u/.config/nest", "relative, /home/u, /home/u/.config/nest"})
    void theDirectoryFollowsXdg(String xdg, String home, String dir) {
        assertEquals(Path.of(dir), Logins.directory(Map.of("XDG_CONFIG_HOME", xdg, "HOME", home)));
    }

    @Test
    void aBadTokenOnStandardInputIsRefusedWithoutRepeatingIt() {
        CliException e = assertThrows(CliException.class, () -> LoginCommand.checked("hunter2-secret\n"));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        String good = "nest_" + "a".repeat(49);
        assertEquals(good, LoginCommand.checked("  " + good + "\n"));
        assertTrue(assertThrows(CliException.class, () -> LoginCommand.checked("\n")).getMessage().contains("no token"));
    }
}
