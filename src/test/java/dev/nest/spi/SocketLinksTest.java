package dev.nest.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Short paths to host sockets under long directories: when a link is made, where, and what is refused. */
class SocketLinksTest {
    @TempDir
    Path tmp;
    int uid;
    Path base;
    Path longDir;

    @BeforeEach
    void setUp() throws IOException {
        uid = (Integer) Files.getAttribute(tmp, "unix:uid");
        base = Files.createDirectory(tmp.resolve("run"));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
        longDir = Files.createDirectories(tmp.resolve("d".repeat(70)).resolve("e".repeat(40)).resolve("host"));
    }

    @Test
    void aPathThatFitsIsItsOwnAndMakesNothing() {
        SocketLinks links = new SocketLinks(uid, List.of(base));
        Path s = Path.of("/var/lib/nest/docker/pods/nest-p1/host/nest-host.sock");
        assertEquals(Optional.of(s), links.reach(s));
        assertFalse(Files.exists(base.resolve("nest-" + uid + "-s")), "no directory until a long path comes");
    }

    @Test
    void aLongPathIsReachedThroughALinkInAPrivateDirectory() throws IOException {
        SocketLinks links = new SocketLinks(uid, List.of(base));
        Path socket = longDir.resolve("nest-host.sock");
        assertFalse(SocketLinks.fits(socket));
        Path reach = links.reach(socket).orElseThrow();
        Path dir = base.resolve("nest-" + uid + "-s");
        assertEquals(dir.resolve(SocketLinks.linkName(longDir)).resolve("nest-host.sock"), reach);
        assertTrue(SocketLinks.fits(reach));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)));
        assertEquals(longDir, Files.readSymbolicLink(reach.getParent()));
        // the same socket again: the same link; a second node's socket: another link in the same directory
        assertEquals(Optional.of(reach), links.reach(socket));
        Path other = Files.createDirectories(tmp.resolve("d".repeat(70)).resolve("f".repeat(40)).resolve("host"));
        Path reach2 = links.reach(other.resolve("nest-host.sock")).orElseThrow();
        assertNotEquals(reach, reach2);
        assertEquals(dir, reach2.getParent().getParent());
    }

    @Test
    void aLinkToAPodThatIsGoneIsSweptWhenTheNextIsMadeOrForgotten() throws IOException {
        SocketLinks links = new SocketLinks(uid, List.of(base));
        Path first = links.reach(longDir.resolve("nest-host.sock")).orElseThrow();
        Files.delete(longDir);
        Path other = Files.createDirectories(tmp.resolve("d".repeat(70)).resolve("f".repeat(40)).resolve("host"));
        Path second = links.reach(other.resolve("nest-host.sock")).orElseThrow();
        assertFalse(Files.exists(first.getParent(), LinkOption.NOFOLLOW_LINKS), "the dangling link is gone");
        links.forget(other.resolve("nest-host.sock"));
        assertFalse(Files.exists(second.getParent(), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aDirectoryThatWentIsMadeAgainInTheSameBase() throws IOException {
        SocketLinks links = new SocketLinks(uid, List.of(base));
        Path reach = links.reach(longDir.resolve("nest-host.sock")).orElseThrow();
        Files.delete(reach.getParent());
        Files.delete(reach.getParent().getParent());
        assertEquals(Optional.of(reach), links.reach(longDir.resolve("nest-host.sock")));
        assertEquals(longDir, Files.readSymbolicLink(reach.getParent()));
    }

    @Test
    void aLinkPointingElsewhereIsReplaced() throws IOException {
        SocketLinks links = new SocketLinks(uid, List.of(base));
        Path reach = links.reach(longDir.resolve("nest-host.sock")).orElseThrow();
        Files.delete(reach.getParent());
        Files.createSymbolicLink(reach.getParent(), tmp);
        assertEquals(Optional.of(reach), links.reach(longDir.resolve("nest-host.sock")));
        assertEquals(longDir, Files.readSymbolicLink(reach.getParent()));
    }

    @Test
    void aDirectoryNameTakenBySomeoneElseIsNotUsed() throws IOException {
        // someone made the usual name first: a link to a directory of theirs, a directory open to others, or one of
        // another uid (seen as another uid by asking for uid + 1 on a directory we own)
        Path usual = base.resolve("nest-" + uid + "-s");
        Files.createSymbolicLink(usual, Files.createDirectory(tmp.resolve("theirs")));
        Path reach = new SocketLinks(uid, List.of(base)).reach(longDir.resolve("nest-host.sock")).orElseThrow();
        Path used = reach.getParent().getParent();
        assertNotEquals(usual, used);
        assertEquals(base, used.getParent());
        assertEquals("", SocketLinks.problem(used, uid));
        assertEquals(List.of(), list(tmp.resolve("theirs")), "nothing planted in the hijacked target");

        Files.delete(usual);
        Files.createDirectory(usual, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(usual, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertTrue(SocketLinks.problem(usual, uid).contains("mode 777"), SocketLinks.problem(usual, uid));
        Path reach2 = new SocketLinks(uid, List.of(base)).reach(longDir.resolve("nest-host.sock")).orElseThrow();
        assertNotEquals(usual, reach2.getParent().getParent());
        assertEquals(List.of(), list(usual));

        assertTrue(SocketLinks.problem(usual, uid + 1).contains("owned by uid " + uid), SocketLinks.problem(usual, uid + 1));
        assertTrue(SocketLinks.problem(usual.resolve("missing"), uid).contains("does not exist"));
        Path file = Files.createFile(tmp.resolve("file"));
        assertTrue(SocketLinks.problem(file, uid).contains("not a directory"));
    }

    @Test
    void aBaseOthersCanWriteWithoutTheStickyBitOrOfAnotherUserIsSkipped() throws IOException {
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertTrue(SocketLinks.baseProblem(open, uid).contains("without the sticky bit"), SocketLinks.baseProblem(open, uid));
        if (uid != 0) {
            assertTrue(SocketLinks.baseProblem(base, uid + 1).contains("owned by uid"));
        }
        assertEquals("", SocketLinks.baseProblem(base, uid));
        assertTrue(SocketLinks.baseProblem(tmp.resolve("none"), uid).contains("not a directory"));
        SocketLinks links = new SocketLinks(uid, List.of(open, base));
        Path reach = links.reach(longDir.resolve("nest-host.sock")).orElseThrow();
        assertTrue(reach.startsWith(base), "the next base is used: " + reach);
        assertEquals(List.of(), list(open));
    }

    @Test
    void aPathStillTooLongGivesNoneAndSaysWhy() throws IOException {
        Path longBase = Files.createDirectories(tmp.resolve("b".repeat(100)));
        SocketLinks links = new SocketLinks(uid, List.of(longBase));
        assertEquals(Optional.empty(), links.reach(longDir.resolve("nest-host.sock")));
        assertTrue(links.lastRefusal().contains("more than a Unix socket path holds"), links.lastRefusal());
        assertTrue(links.lastRefusal().contains("is too long"), links.lastRefusal());
        assertEquals(List.of(), list(longBase), "nothing made where it could not fit");
        assertEquals(Optional.empty(), new SocketLinks(uid, List.of()).reach(longDir.resolve("nest-host.sock")));
    }

    @Test
    void theDefaultBasesAreAbsoluteDistinctAndInOrder() {
        assertEquals(List.of(Path.of("/run/user/1000/x"), Path.of("/run/user/1000"), Path.of("/tmp")),
                SocketLinks.defaultBases("/run/user/1000/x/", 1000, "/tmp"));
        assertEquals(List.of(Path.of("/xdg"), Path.of("/run/user/0"), Path.of("/run"), Path.of("/var/tmp"), Path.of("/tmp")),
                SocketLinks.defaultBases("/xdg", 0, "/var/tmp"));
        assertEquals(List.of(Path.of("/run/user/0"), Path.of("/run"), Path.of("/tmp")), SocketLinks.defaultBases("relative", 0, ""));
        assertEquals(List.of(Path.of("/tmp")), SocketLinks.defaultBases(null, -1, null));
    }

    private static List<Path> list(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.toList();
        }
    }
}
