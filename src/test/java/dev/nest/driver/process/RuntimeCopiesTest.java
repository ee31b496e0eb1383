package dev.nest.driver.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

class RuntimeCopiesTest {
    @TempDir
    Path tmp;
    Path root;
    Path hidden;

    @BeforeEach
    void layout() throws IOException {
        // as on a server: the copies' parent lets everyone through; the checkout is in a private (0700) directory
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        root = tmp.resolve("runtimes");
        hidden = Files.createDirectories(tmp.resolve("private/nest"));
        Files.setPosixFilePermissions(tmp.resolve("private"), PosixFilePermissions.fromString("rwx------"));
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void filesUnderAPrivateDirectoryAreGivenAsReadableCopies() throws Exception {
        Path jar = Files.writeString(hidden.resolve("nest.jar"), "jar v1");
        Path script = Files.writeString(hidden.resolve("host.sh"), "echo hi");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        List<String> command = List.of("/usr/bin/java", "-Xmx64m", "-cp", "/usr/lib:" + jar, "Main", script.toString());

        List<String> given = new RuntimeCopies(root).readable(command);

        Path jarCopy = root.resolve(RuntimeCopies.hash(jar)).resolve("nest.jar");
        Path scriptCopy = root.resolve(RuntimeCopies.hash(script)).resolve("host.sh");
        assertEquals(List.of("/usr/bin/java", "-Xmx64m", "-cp", "/usr/lib:" + jarCopy, "Main", scriptCopy.toString()), given);
        assertEquals("jar v1", Files.readString(jarCopy));
        assertEquals("echo hi", Files.readString(scriptCopy));
        assertEquals("r--r--r--", mode(jarCopy));
        assertEquals("r-xr-xr-x", mode(scriptCopy), "an executable stays executable");
        assertEquals("rwxr-xr-x", mode(root));
        assertEquals("rwxr-xr-x", mode(jarCopy.getParent()));
        assertEquals(Optional.empty(), PodFiles.unreadableByOthers(given));
    }

    @Test
    void aJavaScriptHostIsCopiedWithTheModulesBesideIt() throws Exception {
        Path runtime = Files.createDirectory(hidden.resolve("nodejs"));
        Path host = Files.writeString(runtime.resolve("merged-host.js"), "require('./host-common')");
        Files.writeString(runtime.resolve("host-common.js"), "module.exports = {}");
        List<String> given = new RuntimeCopies(root).readable(List.of("/usr/bin/node", host.toString()));

        Path copied = Path.of(given.get(1));
        assertEquals(root.resolve(RuntimeCopies.hash(runtime)).resolve("nodejs").resolve("merged-host.js"), copied);
        assertEquals("require('./host-common')", Files.readString(copied));
        assertEquals("module.exports = {}", Files.readString(copied.resolveSibling("host-common.js")),
                "the module the host requires is beside its copy");
    }

    @Test
    void aCommandWhoseFilesAreReadableIsLeftAlone() throws Exception {
        Path open = Files.writeString(tmp.resolve("host.js"), "");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> command = List.of("/usr/bin/node", "--max-old-space-size=64", open.toString(), "/no/such/file");
        assertSame(command, new RuntimeCopies(root).readable(command));
        assertTrue(Files.notExists(root), "nothing copied");
    }

    @Test
    void theProgramItselfIsNeverCopied() throws Exception {
        Path program = Files.writeString(hidden.resolve("java"), "");
        List<String> command = List.of(program.toString(), "-version");
        assertSame(command, new RuntimeCopies(root).readable(command));
        assertEquals(Optional.of(program), PodFiles.unreadableByOthers(command), "the driver still reports it");
    }

    @Test
    void aCopyIsReusedVerifiedAndReplacedWhenTheContentChanges() throws Exception {
        Path jar = Files.writeString(hidden.resolve("nest.jar"), "jar v1");
        List<String> command = List.of("/usr/bin/java", "-cp", jar.toString(), "Main");
        RuntimeCopies copies = new RuntimeCopies(root);
        Path first = Path.of(copies.readable(command).get(2));
        Object inode = Files.getAttribute(first, "unix:ino");

        assertEquals(first, Path.of(new RuntimeCopies(root).readable(command).get(2)), "a later driver reuses the copy");
        assertEquals(inode, Files.getAttribute(first, "unix:ino"), "not copied again");

        Files.writeString(jar, "jar v2, rebuilt");
        Path second = Path.of(copies.readable(command).get(2));
        assertNotEquals(first.getParent(), second.getParent(), "a changed jar gets a new copy");
        assertEquals("jar v2, rebuilt", Files.readString(second));
        assertEquals("jar v1", Files.readString(first));

        Files.setPosixFilePermissions(second, PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(second, "tampered");
        Files.setPosixFilePermissions(second, PosixFilePermissions.fromString("r--r--r--"));
        assertEquals(second, Path.of(new RuntimeCopies(root).readable(command).get(2)));
        assertEquals("jar v2, rebuilt", Files.readString(second), "a copy that does not verify is replaced");
        assertEquals("r--r--r--", mode(second));

        Files.delete(second);
        assertEquals(second, Path.of(copies.readable(command).get(2)), "a copy cleaned away is made again");
        assertEquals("jar v2, rebuilt", Files.readString(second));
    }

    @Test
    void aClassPathDirectoryIsCopiedAsATree() throws Exception {
        Path classes = Files.createDirectories(hidden.resolve("classes/dev/nest"));
        Files.writeString(classes.resolve("Main.class"), "bytes");
        List<String> command = List.of("/usr/bin/java", "-cp", hidden.resolve("classes").toString(), "Main");
        Path copy = Path.of(new RuntimeCopies(root).readable(command).get(2));
        assertEquals("classes", copy.getFileName().toString());
        assertEquals("bytes", Files.readString(copy.resolve("dev/nest/Main.class")));
        assertEquals("rwxr-xr-x", mode(copy.resolve("dev")));
        assertEquals("r--r--r--", mode(copy.resolve("dev/nest/Main.class")));
        assertEquals(copy, Path.of(new RuntimeCopies(root).readable(command).get(2)), "reused");
    }

    @Test
    void aRootOwnedBySomeoneElseOrWritableByOthersIsRefused() throws Exception {
        Path jar = Files.writeString(hidden.resolve("nest.jar"), "jar");
        List<String> command = List.of("/usr/bin/java", "-cp", jar.toString(), "Main");
        Files.createSymbolicLink(root, hidden);
        assertThrows(IOException.class, () -> new RuntimeCopies(root).readable(command), "a planted link");
        Files.delete(root);
        assumeTrue(ProcFs.SYSTEM.selfUid() == 0, "needs root to plant a directory of another user");
        Files.createDirectory(root);
        Files.setAttribute(root, "unix:uid", 12345);
        assertThrows(IOException.class, () -> new RuntimeCopies(root).readable(command), "a planted directory");
    }
}
