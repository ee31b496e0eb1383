package dev.nest.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The container drivers' host socket directories: when a pod gets one, how it is made and checked, the environment. */
class PodHostSocketsTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "enabled={0} nest uid={1} node uid={2} path bytes={3}: {4}")
    @CsvSource(delimiter = '|', value = {
        "true  | 0    | 65534 | 60  | ''",
        "true  | 0    | 65534 | 107 | ''",
        "true  | 0    | 65534 | 108 | more than a Unix socket path holds",
        "false | 0    | 65534 | 60  | host-socket is false",
        "true  | 1000 | 65534 | 60  | Nest does not run as root",
        "true  | 0    | -1    | 60  | the container's uid on this node is not known",
    })
    void whoGetsASocket(boolean enabled, int nestUid, int nodeUid, int bytes, String why) {
        Path socket = Path.of("/" + "s".repeat(bytes - 1));
        String refusal = PodHostSockets.refusal(enabled, nestUid, nodeUid < 0 ? OptionalInt.empty() : OptionalInt.of(nodeUid), socket);
        if (why.isEmpty()) {
            assertEquals("", refusal);
        } else {
            assertTrue(refusal.contains(why), refusal);
        }
    }

    @Test
    void aPodThatMayNotHaveOneGetsNoDirectoryAndNoVariable() throws IOException {
        List<String> chowned = new ArrayList<>();
        PodHostSockets sockets = new PodHostSockets("docker", true, 1000, (p, u, g) -> chowned.add(p + " " + u));
        Path pod = Files.createDirectory(tmp.resolve("nest-p1"));
        assertEquals(Optional.empty(), sockets.create(pod, OptionalInt.of(65534)));
        assertFalse(Files.exists(pod.resolve(PodHostSockets.DIR)));
        assertEquals(List.of(), chowned);
        Map<String, String> env = Map.of("NEST_HOST_PORT", "9000");
        assertEquals(env, PodHostSockets.env(env, Optional.empty()));
    }

    @Test
    void aLongPathWithoutAShortLinkGivesTcpOnly() throws IOException {
        Path pod = Files.createDirectories(tmp.resolve("d".repeat(100)).resolve("nest-p1"));
        PodHostSockets sockets = new PodHostSockets("containerd", true, 0, (p, u, g) -> { }, new SocketLinks(0, List.of()));
        assertEquals(Optional.empty(), sockets.create(pod, OptionalInt.of(uid(tmp))));
        assertFalse(Files.exists(pod.resolve(PodHostSockets.DIR)), "the directory made for it is removed");
    }

    @Test
    void aLongPathIsReachedThroughAShortLinkAndTheContainerSeesTheSamePath() throws IOException {
        Assumptions.assumeTrue(uid(tmp) == 0, "giving a directory to another uid needs root");
        Path pods = Files.createDirectories(tmp.resolve("d".repeat(100)).resolve("pods"));
        Path pod = Files.createDirectory(pods.resolve("nest-p1"));
        Files.setPosixFilePermissions(pod, PosixFilePermissions.fromString("rwx--x--x"));
        Path base = Files.createDirectory(tmp.resolve("run"));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
        PodHostSockets sockets = new PodHostSockets("docker", true, 0, PodHostSockets.Owner.SYSTEM,
                new SocketLinks(0, List.of(base)));
        Path socket = sockets.create(pod, OptionalInt.of(65534)).orElseThrow();
        assertTrue(socket.startsWith(base), socket.toString());
        assertTrue(SocketLinks.fits(socket));
        assertEquals(PodHostSockets.directory(pod), Files.readSymbolicLink(socket.getParent()));
        assertEquals(65534, uid(PodHostSockets.directory(pod)));
        assertEquals(Map.of("NEST_HOST_SOCKET", "/nest/host/nest-host.sock"), PodHostSockets.env(Map.of(), Optional.of(socket)));
    }

    @Test
    void theDirectoryIsTheContainerUsersAloneInARootOwnedPodDirectory() throws IOException {
        Assumptions.assumeTrue(uid(tmp) == 0, "giving a directory to another uid needs root");
        Path pods = Files.createDirectory(tmp.resolve("pods"));
        Path pod = Files.createDirectory(pods.resolve("nest-p1"));
        Files.setPosixFilePermissions(pod, PosixFilePermissions.fromString("rwx--x--x"));
        PodHostSockets sockets = new PodHostSockets("docker", true, 0, PodHostSockets.Owner.SYSTEM);
        Optional<Path> socket = sockets.create(pod, OptionalInt.of(65534));
        assertEquals(Optional.of(pod.resolve("host/nest-host.sock")), socket);
        Path dir = pod.resolve("host");
        assertEquals(65534, uid(dir));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)));
        assertEquals("", PodHostSockets.problem(dir, 65534));
        assertEquals(Map.of("A", "1", "NEST_HOST_SOCKET", "/nest/host/nest-host.sock"),
                PodHostSockets.env(Map.of("A", "1"), socket));
    }

    @Test
    void aDirectoryThatFailsItsChecksGivesTcpOnly() throws IOException {
        Assumptions.assumeTrue(uid(tmp) == 0, "giving a directory to another uid needs root");
        Path pod = Files.createDirectory(tmp.resolve("nest-p2"));
        // an owner change that does not happen (a file system that ignores it): the directory is root's, not the pod's
        PodHostSockets sockets = new PodHostSockets("docker", true, 0, (p, u, g) -> { });
        assertEquals(Optional.empty(), sockets.create(pod, OptionalInt.of(65534)));
        assertFalse(Files.exists(pod.resolve("host")), "the failed directory is removed");

        // a pod directory others may write
        Path open = Files.createDirectory(tmp.resolve("nest-p3"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        PodHostSockets real = new PodHostSockets("docker", true, 0, PodHostSockets.Owner.SYSTEM);
        assertEquals(Optional.empty(), real.create(open, OptionalInt.of(65534)));
    }

    @Test
    void problemsAreNamed() throws IOException {
        int me = uid(tmp);
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertEquals("is not a directory", PodHostSockets.problem(file, me));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), tmp);
        assertEquals("is not a directory", PodHostSockets.problem(link, me));
        Path dir = Files.createDirectory(tmp.resolve("dir"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertTrue(PodHostSockets.problem(dir, me + 1).contains("is owned by uid " + me), PodHostSockets.problem(dir, me + 1));
        assertEquals("has mode 755, not 700", PodHostSockets.problem(dir, me));
    }

    @ParameterizedTest
    @CsvSource({"true,true", "TRUE,true", " false ,false", "False,false"})
    void settingValues(String value, boolean expected) {
        List<String> problems = new ArrayList<>();
        assertEquals(expected, PodHostSockets.setting("sidecar.drivers.docker.", value, problems));
        assertEquals(List.of(), problems);
    }

    @Test
    void aBadSettingNamesTheKeyAndTheValue() {
        List<String> problems = new ArrayList<>();
        PodHostSockets.setting("sidecar.drivers.containerd.", "yes", problems);
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).contains("sidecar.drivers.containerd.host-socket") && problems.get(0).contains("yes"),
                problems.get(0));
    }

    @Test
    void theSpecGetsTheVariable() {
        PodSpec spec = new PodSpec("p1", "nodejs", "img", List.of(), Map.of("A", "1"), tmp, tmp, "127.0.0.1", 9000,
                1 << 27, 0, 64, Map.of(), tmp);
        assertEquals(spec, PodHostSockets.withSocket(spec, Optional.empty()));
        PodSpec with = PodHostSockets.withSocket(spec, Optional.of(tmp.resolve("host/nest-host.sock")));
        assertEquals("/nest/host/nest-host.sock", with.env().get("NEST_HOST_SOCKET"));
        assertEquals("1", with.env().get("A"));
        assertEquals(spec.port(), with.port());
    }

    private static int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }
}
