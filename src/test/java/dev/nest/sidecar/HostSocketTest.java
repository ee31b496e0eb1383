package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostSocketTest {
    @TempDir
    Path tmp;

    @Test
    void pathRules() {
        String ok = "/var/lib/nest/pods/fn-1/work/" + HostSocket.FILE;
        record Row(String path, String problemContains) {
        }
        for (Row r : new Row[] {
                new Row(ok, ""),
                new Row("relative/" + HostSocket.FILE, "not an absolute path"),
                new Row("/" + "a".repeat(HostSocket.MAX_PATH_BYTES - 1), ""),
                new Row("/" + "a".repeat(HostSocket.MAX_PATH_BYTES), "at most 107"),
                new Row("/" + "é".repeat(54), "109 bytes"),
        }) {
            String problem = HostSocket.problem(Path.of(r.path()));
            if (r.problemContains().isEmpty()) {
                assertEquals("", problem, r.path());
            } else {
                assertTrue(problem.contains(r.problemContains()), r.path() + ": " + problem);
            }
        }
        assertEquals("no path", HostSocket.problem(null));
        assertThrows(IllegalArgumentException.class, () -> new HostSocket(Path.of("x.sock"), 1));
        assertThrows(IllegalArgumentException.class, () -> new HostSocket(Path.of(ok), -1));
    }

    @Test
    void onlyASocketFileIsObservedWithItsOwner() throws IOException {
        Path sock = tmp.resolve(HostSocket.FILE);
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(sock));
            int uid = (Integer) Files.getAttribute(sock, "unix:uid");
            assertEquals(Optional.of(new HostSocket(sock, uid)), HostSocket.observe(sock));
            Path link = tmp.resolve("link.sock");
            Files.createSymbolicLink(link, sock);
            assertEquals(Optional.empty(), HostSocket.observe(link), "a link is never followed");
        }
        Path file = Files.writeString(tmp.resolve("plain"), "x");
        assertEquals(Optional.empty(), HostSocket.observe(file));
        assertEquals(Optional.empty(), HostSocket.observe(tmp.resolve("missing.sock")));
    }

    @Test
    void onlyTheOwnerIsAdmitted() {
        HostSocket s = new HostSocket(Path.of("/r/" + HostSocket.FILE), 1900000004);
        assertTrue(s.admits(1900000004));
        assertFalse(s.admits(1900000005));
        assertFalse(s.admits(0));
    }
}
