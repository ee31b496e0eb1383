package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedSecretPeerCredentialTest {
    @TempDir
    Path dir;

    @Test
    void theSecretFileIsCreatedOwnerOnlyAndReusedAndTheHeaderIsDerived() throws Exception {
        SharedSecretPeerCredential first = SharedSecretPeerCredential.load(dir);
        Path file = dir.resolve(SharedSecretPeerCredential.FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        byte[] secret = Files.readAllBytes(file);
        assertEquals(32, secret.length);
        SharedSecretPeerCredential again = SharedSecretPeerCredential.load(dir);
        assertArrayEquals(secret, Files.readAllBytes(file));
        assertEquals(first.headerValue(), again.headerValue());
        assertEquals("X-Nest-Peer", first.headerName());
        assertFalse(first.headerValue().contains(java.util.HexFormat.of().formatHex(secret)), "the secret never travels");
        assertTrue(again.verify(first.headerValue()));
    }

    @Test
    void anotherSecretOrGarbageIsRefused() {
        SharedSecretPeerCredential a = new SharedSecretPeerCredential(new byte[32]);
        byte[] other = new byte[32];
        other[0] = 1;
        SharedSecretPeerCredential b = new SharedSecretPeerCredential(other);
        assertNotEquals(a.headerValue(), b.headerValue());
        assertFalse(a.verify(b.headerValue()));
        assertFalse(a.verify(""));
        assertFalse(a.verify(null));
        assertThrows(IllegalArgumentException.class, () -> new SharedSecretPeerCredential(new byte[16]));
    }

    @Test
    void aShortSecretFileIsRefusedWithWhatToDo() throws Exception {
        Files.write(dir.resolve(SharedSecretPeerCredential.FILE), new byte[8]);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedSecretPeerCredential.load(dir));
        assertTrue(e.getMessage().contains("copy the file"), e.getMessage());
    }
}
