package dev.nest.driver.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.driver.process.HostLaunch.PodUser;
import dev.nest.spi.PodSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HostLaunchTest {
    private static final Path WORK = Path.of("/data/pods/p1/work");
    private static final Optional<Path> SETSID = Optional.of(Path.of("/usr/bin/setsid"));
    private static final Optional<Path> SETPRIV = Optional.of(Path.of("/usr/bin/setpriv"));
    private static final List<String> HOST = List.of("/usr/bin/node", "--max-old-space-size=96", "/opt/nest/runtimes/nodejs/host.js");

    private static PodSpec spec(Map<String, String> env) {
        return new PodSpec("p1", "nodejs", "img", HOST, env, Path.of("/opt/nest/runtimes/nodejs"), Path.of("/data/code"),
                "127.0.0.1", 20001, 128L << 20, 1.0, 256, Map.of(), Path.of("/data/pods/p1/work"));
    }

    private static final Map<String, String> ENV = Map.of("NEST_HOST_PORT", "20001", "NEST_HOST_SECRET", "abc123",
            "NEST_POD_ID", "p1");

    @Test
    void asRootTheHostRunsAsThePodUserInItsOwnSessionWithoutPrivileges() {
        HostLaunch l = HostLaunch.of(spec(ENV), WORK, Optional.of(new PodUser(1_900_000_007, 1_900_000_007)), SETSID, SETPRIV,
                Map.of("PATH", "/usr/bin:/bin", "SECRET_OF_NEST", "x"));
        assertEquals(List.of("/usr/bin/setsid", "/usr/bin/setpriv", "--reuid=1900000007", "--regid=1900000007",
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
                "/usr/bin/node", "--max-old-space-size=96", "/opt/nest/runtimes/nodejs/host.js"), l.argv());
        assertEquals(HOST, l.argv().subList(l.hostStart(), l.argv().size()));
    }

    @Test
    void withoutAUserTheHostRunsInItsOwnSessionOnly() {
        HostLaunch l = HostLaunch.of(spec(ENV), WORK, Optional.empty(), SETSID, Optional.empty(), Map.of());
        assertEquals("/usr/bin/setsid", l.argv().getFirst());
        assertEquals(1, l.hostStart());
        HostLaunch bare = HostLaunch.of(spec(ENV), WORK, Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
        assertEquals(HOST, bare.argv());
        assertEquals(0, bare.hostStart());
    }

    @Test
    void theSecretGoesToStdinNeverToTheEnvironmentOrTheCommandLine() {
        HostLaunch l = HostLaunch.of(spec(ENV), WORK, Optional.of(new PodUser(5000, 5000)), SETSID, SETPRIV, Map.of());
        assertEquals(Optional.of("abc123"), l.secret());
        assertFalse(l.env().containsKey("NEST_HOST_SECRET"));
        assertFalse(l.env().containsValue("abc123"));
        assertFalse(l.argv().stream().anyMatch(a -> a.contains("abc123")));
        assertEquals("1", l.env().get("NEST_HOST_SECRET_STDIN"));
    }

    @Test
    void theEnvironmentIsMinimal() {
        HostLaunch l = HostLaunch.of(spec(ENV), WORK, Optional.empty(), SETSID, SETPRIV,
                Map.of("PATH", "/custom/bin", "LANG", "de_DE.UTF-8", "NEST_ADMIN_TOKEN", "x", "AWS_SECRET_ACCESS_KEY", "y"));
        assertEquals(Map.of("PATH", "/custom/bin", "LANG", "de_DE.UTF-8", "HOME", "/data/pods/p1/work",
                "TMPDIR", "/data/pods/p1/work", "NEST_HOST_PORT", "20001", "NEST_POD_ID", "p1",
                "NEST_HOST_SECRET_STDIN", "1"), l.env());
    }

    @Test
    void aSpecWithoutSecretLaunchesWithoutTheStdinFlag() {
        HostLaunch l = HostLaunch.of(spec(Map.of("NEST_HOST_PORT", "1")), WORK, Optional.empty(), SETSID, SETPRIV, Map.of());
        assertTrue(l.secret().isEmpty());
        assertFalse(l.env().containsKey("NEST_HOST_SECRET_STDIN"));
    }

    @Test
    void aMultiLineSecretOrAUserWithoutSetprivIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> HostLaunch.of(spec(Map.of("NEST_HOST_SECRET", "a\nb")), WORK,
                Optional.empty(), SETSID, SETPRIV, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> HostLaunch.of(spec(ENV), WORK, Optional.of(new PodUser(5000, 5000)),
                SETSID, Optional.empty(), Map.of()));
    }

    @Test
    void theSocketSitsInTheScratchDirWhenItsPathFitsInSunPath(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        dev.nest.spi.SocketLinks links = new dev.nest.spi.SocketLinks(0, List.of(tmp));
        Path work = Path.of("/var/lib/nest/pods/p-1/work");
        assertEquals(Optional.of(new HostLaunch.Socket("/var/lib/nest/pods/p-1/work/nest-host.sock",
                work.resolve("nest-host.sock"))), HostLaunch.socketIn(work, links));
        Path longest = Path.of("/" + "w".repeat(HostLaunch.MAX_SOCKET_PATH_BYTES - 1 - 1 - HostLaunch.SOCKET_FILE.length()));
        assertEquals(HostLaunch.MAX_SOCKET_PATH_BYTES, HostLaunch.socketIn(longest, links).orElseThrow().bound().length());
        assertEquals(longest.resolve("nest-host.sock"), HostLaunch.socketIn(longest, new dev.nest.spi.SocketLinks(0,
                List.of())).orElseThrow().reached(), "107 bytes need no link");
    }

    @Test
    void aLongerPathIsBoundRelativeToTheScratchDirAndReachedThroughAShortLink(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws IOException {
        Path work = java.nio.file.Files.createDirectories(tmp.resolve("d".repeat(60)).resolve("e".repeat(60)).resolve("work"));
        int uid = (Integer) java.nio.file.Files.getAttribute(tmp, "unix:uid");
        Path base = java.nio.file.Files.createDirectory(tmp.resolve("run"));
        java.nio.file.Files.setPosixFilePermissions(base, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        HostLaunch.Socket s = HostLaunch.socketIn(work, new dev.nest.spi.SocketLinks(uid, List.of(base))).orElseThrow();
        assertEquals("nest-host.sock", s.bound(), "bound in the host's working directory");
        assertTrue(s.reached().startsWith(base), s.reached().toString());
        assertTrue(s.reached().toString().length() <= HostLaunch.MAX_SOCKET_PATH_BYTES);
        assertEquals(work.toRealPath(), s.reached().getParent().toRealPath(), "the link leads to the scratch dir");
        assertEquals(Optional.empty(), HostLaunch.socketIn(work, new dev.nest.spi.SocketLinks(uid, List.of())),
                "no base: TCP only");
    }
}
