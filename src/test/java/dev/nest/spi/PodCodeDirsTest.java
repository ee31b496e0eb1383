package dev.nest.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PodCodeDirsTest {
    @TempDir
    Path tmp;
    Path codeRoot;
    Path mine;
    Path theirs;
    PodCodeDirs dirs;

    @BeforeEach
    void codeStore() throws IOException {
        codeRoot = tmp.resolve("data/artifacts/code");
        mine = version("aaaa", "exports.handler = () => 'mine';");
        theirs = version("bbbb", "exports.handler = () => 'secret';");
        dirs = new PodCodeDirs("docker", tmp.resolve("data/docker/pods"), "/nest/code");
    }

    private Path version(String digest, String source) throws IOException {
        Path v = Files.createDirectories(codeRoot.resolve(digest).resolve("lib"));
        Files.writeString(v.resolve("index.js"), source);
        Files.setPosixFilePermissions(v.resolve("index.js"), PosixFilePermissions.fromString("r--r--r--"));
        return v.getParent();
    }

    private PodSpec spec(String podId) {
        return new PodSpec(podId, "nodejs", "img", List.of(), Map.of(), Path.of("/rt"), codeRoot, "127.0.0.1", 9000,
                64L << 20, 1, 64, Map.of(), tmp.resolve("work"));
    }

    private static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aPodStartsWithAnEmptyCodeDirectoryAndSeesOnlyTheVersionsLoadedIntoIt() throws IOException {
        Path code = dirs.create("nest-p1");
        Path other = dirs.create("nest-p2");
        assertEquals(tmp.resolve("data/docker/pods/nest-p1/code"), code);
        assertEquals(List.of(), names(code), "a warm pod knows no function yet");
        assertEquals(List.of("rwxr-xr-x", "rwx--x--x", "rwx--x--x"),
                List.of(perms(code), perms(code.getParent()), perms(code.getParent().getParent())));

        assertEquals("/nest/code/aaaa", dirs.pathInPod(spec("p1"), "nest-p1", mine));
        assertEquals("/nest/code/aaaa", dirs.pathInPod(spec("p1"), "nest-p1", mine), "made once, then reused");
        assertEquals("/nest/code/bbbb", dirs.pathInPod(spec("p2"), "nest-p2", theirs));
        assertEquals(List.of("aaaa"), names(code));
        assertEquals(List.of("bbbb"), names(other));
        Path linked = code.resolve("aaaa/lib/index.js");
        assertEquals("exports.handler = () => 'mine';", Files.readString(linked));
        assertTrue(Files.isSameFile(linked, mine.resolve("lib/index.js")), "a hard link, not a copy");
        assertEquals(List.of("rwxr-xr-x", "rwxr-xr-x", "r--r--r--"),
                List.of(perms(code.resolve("aaaa")), perms(code.resolve("aaaa/lib")), perms(linked)));
    }

    @Test
    void onlyVersionDirectoriesUnderTheCodeRootOfARunningPodAreGiven() {
        dirs.create("nest-p1");
        record Case(String name, Path hostPath, String message) {
        }
        for (Case c : List.of(
                new Case("nest-p1", codeRoot, "pod p1 may not see the node's whole code directory"),
                new Case("nest-p1", tmp.resolve("data"), "is not under the node's code directory"),
                new Case("nest-p1", codeRoot.resolve("aaaa/../.."), "is not under the node's code directory"),
                new Case("nest-p9", mine, "pod p1 is not running in the docker driver of this node"))) {
            SandboxException e = assertThrows(SandboxException.class, () -> dirs.pathInPod(spec("p1"), c.name(), c.hostPath()));
            assertTrue(e.getMessage().contains(c.message()), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> dirs.codeDir("../escape"));
    }

    @Test
    void aRunningPodsDirectoryIsNeitherReplacedNorRemovedAsAnOrphan() throws IOException {
        Path code = dirs.create("nest-p1");
        dirs.pathInPod(spec("p1"), "nest-p1", mine);
        assertThrows(SandboxException.class, () -> dirs.create("nest-p1"));
        Path leftover = Files.createDirectories(tmp.resolve("data/docker/pods/nest-crashed/code/bbbb"));

        assertEquals(1, dirs.removeOrphans());
        assertFalse(Files.exists(leftover.getParent().getParent()));
        assertEquals(List.of("aaaa"), names(code));

        dirs.remove("nest-p1");
        assertFalse(Files.exists(code.getParent()));
        assertTrue(Files.exists(mine.resolve("lib/index.js")), "the code store keeps its files");
        assertThrows(SandboxException.class, () -> dirs.pathInPod(spec("p1"), "nest-p1", mine));
        assertEquals(0, new PodCodeDirs("docker", tmp.resolve("nowhere"), "/nest/code").removeOrphans());
    }

    @Test
    void aLeftoverDirectoryOfTheSameNameStartsEmpty() throws IOException {
        Files.createDirectories(tmp.resolve("data/docker/pods/nest-p1/code/bbbb"));
        assertEquals(List.of(), names(dirs.create("nest-p1")));
    }

    @Test
    void filesOthersCouldWriteAreCopiedAndFilesOthersCannotReadAreMadeReadable() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("shared"), "w");
        Files.setPosixFilePermissions(src.resolve("shared"), PosixFilePermissions.fromString("rw-rw-r--"));
        Files.writeString(src.resolve("private"), "p");
        Files.setPosixFilePermissions(src.resolve("private"), PosixFilePermissions.fromString("r--------"));
        Files.writeString(src.resolve("tool"), "#!/bin/sh");
        Files.setPosixFilePermissions(src.resolve("tool"), PosixFilePermissions.fromString("rwxrwxr-x"));
        Files.createSymbolicLink(src.resolve("link"), Path.of("private"));
        Path views = Files.createDirectories(tmp.resolve("views"));

        Path view = CodeViews.view(views, src, "x/y");
        assertEquals(views.resolve("x/y"), view);
        assertEquals("rwxr-xr-x", perms(views.resolve("x")));
        assertNotEquals(Files.readAttributes(src.resolve("shared"), "unix:ino"),
                Files.readAttributes(view.resolve("shared"), "unix:ino"), "copied");
        assertEquals(List.of("r--r--r--", "r--r--r--", "r-xr-xr-x"),
                List.of(perms(view.resolve("shared")), perms(view.resolve("private")), perms(view.resolve("tool"))));
        assertTrue(Files.isSameFile(src.resolve("private"), view.resolve("private")));
        assertEquals(Path.of("private"), Files.readSymbolicLink(view.resolve("link")));
        assertEquals(List.of("link", "private", "shared", "tool"), names(view));
        assertThrows(IOException.class, () -> CodeViews.view(views, src, "../out"));

        CodeViews.deleteTree(views);
        assertFalse(Files.exists(views));
        assertTrue(Files.exists(src.resolve("private")));
    }
}
