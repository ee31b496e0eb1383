package dev.nest.aot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfAotCacheTest {
    @TempDir
    Path dir;

    private Path cache(String dirPerms, String filePerms) throws IOException {
        Path d = Files.createDirectories(dir.resolve("nest"));
        Path f = Files.write(d.resolve("server.aot"), new byte[] {1});
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(filePerms));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(dirPerms));
        return f;
    }

    @Test
    void aCacheOnlyItsOwnerCanWriteIsTrusted() throws IOException {
        assertEquals(Optional.empty(), SelfAotCache.untrusted(cache("rwxr-xr-x", "rw-r--r--")));
    }

    @Test
    void aCacheOthersCanWriteIsRefusedNamingTheFix() throws IOException {
        Optional<String> why = SelfAotCache.untrusted(cache("rwxr-xr-x", "rw-rw-rw-"));
        assertTrue(why.orElseThrow().contains("chmod go-w"), why::toString);
    }

    @Test
    void aFolderOthersCanWriteIsRefused() throws IOException {
        Optional<String> why = SelfAotCache.untrusted(cache("rwxrwxrwx", "rw-r--r--"));
        assertTrue(why.orElseThrow().contains("writable by other users"), why::toString);
    }
}
