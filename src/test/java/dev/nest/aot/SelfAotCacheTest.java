package dev.nest.aot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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

    private static int status(String answer) throws IOException {
        return SelfAotCache.answerStatus(new ByteArrayInputStream(answer.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void anAnswersStatusIsReadAndItsBodySkipped() throws IOException {
        var in = new ByteArrayInputStream(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 11\r\n\r\n"
                + "{\"ok\":true}rest").getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(200, SelfAotCache.answerStatus(in));
        assertEquals("rest", new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
        assertEquals(503, status("HTTP/1.1 503 Service Unavailable\r\n\r\n"));
    }

    @Test
    void aCutChunkedOrForeignAnswerIsAnError() {
        assertThrows(IOException.class, () -> status("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"));
        assertThrows(IOException.class, () -> status("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"));
        assertThrows(IOException.class, () -> status("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
        assertThrows(IOException.class, () -> status("SSH-2.0-OpenSSH\r\n\r\n"));
        assertThrows(IOException.class, () -> status("HTTP/1.1 200 OK\r\nX: " + "a".repeat(70_000) + "\r\n\r\n"));
    }

    @Test
    void theTrainingAsksForHealthOnItsOwnConnectionEachTime() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            CompletableFuture<List<String>> seen = CompletableFuture.supplyAsync(() -> {
                List<String> lines = new ArrayList<>();
                try {
                    for (int i = 0; i < SelfAotCache.TRAINING_REQUESTS; i++) {
                        try (Socket s = server.accept()) {
                            var reader = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                                    StandardCharsets.ISO_8859_1));
                            lines.add(reader.readLine());
                            for (String l = reader.readLine(); l != null && !l.isEmpty(); l = reader.readLine()) {
                                // the rest of the request's head
                            }
                            s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
                                    .getBytes(StandardCharsets.ISO_8859_1));
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return lines;
            });
            SelfAotCache.firstRequests(server.getLocalPort());
            assertEquals(java.util.Collections.nCopies(SelfAotCache.TRAINING_REQUESTS, "GET /health HTTP/1.1"), seen.get());
        }
    }

    @Test
    void aTrainingWhoseServerIsGoneStillReturns() throws IOException {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        SelfAotCache.firstRequests(port); // refused: logged, no exception; the cache is written without the path
    }
}
