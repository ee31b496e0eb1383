package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.auth.PeerCredential;
import dev.nest.config.NestConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peer that asks the gateway for a chunk and then stops reading holds a connection and an open chunk file only
 * until {@code gateway.idle-timeout} passes without progress; meanwhile other peers are served. It waits for a real
 * timeout (about two seconds), which is why it is an integration test.
 */
class ChunkReaderStallIT {
    private static final String SECRET = "cluster-secret-stall";
    private static final PeerCredential CREDENTIAL = PeerCredential.of("X-Nest-Cluster-Auth", SECRET, SECRET::equals);
    private static final Duration IDLE = Duration.ofSeconds(1);

    @TempDir
    Path dir;
    private final List<FileChannel> opened = new CopyOnWriteArrayList<>();
    private FakeHost admin;
    private Gateway gateway;

    @AfterEach
    void tearDown() throws IOException {
        if (gateway != null) {
            gateway.close();
        }
        if (admin != null) {
            admin.close();
        }
    }

    @Test
    void aPeerThatStopsReadingMidChunkIsClosedAfterTheIdleTimeoutAndTheFileIsReleased() throws Exception {
        admin = new FakeHost();
        byte[] big = new byte[16 * 1024 * 1024]; // more than the loopback socket buffers on both sides hold
        new Random(7).nextBytes(big);
        Path bigFile = store(big);
        byte[] small = new byte[64 * 1024];
        new Random(8).nextBytes(small);
        Path smallFile = store(small);
        NestConfig.Gateway limits = new NestConfig.Gateway(Duration.ofSeconds(5), IDLE, Duration.ofSeconds(5), 1024,
                64, List.of());
        gateway = new Gateway(new InMemoryCatalog(), new FakeInstanceLeases(), r -> { }, 1024, Clock.systemUTC(),
                PeerRoutes.LOCAL_ONLY, InvokeAuth.UNAVAILABLE, Optional.empty(), limits,
                dev.nest.limits.Admission.local(Clock.systemUTC()), Optional.of(CREDENTIAL)).chunkFiles(sha -> {
                    Path f = sha.equals(sha(big)) ? bigFile : sha.equals(sha(small)) ? smallFile : null;
                    if (f == null) {
                        return Optional.empty();
                    }
                    FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
                    opened.add(ch);
                    return Optional.of(ChunkFiles.Opened.of(ch));
                });
        gateway.start("127.0.0.1", 0, admin.port(), 1, Optional.empty());

        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(8 * 1024); // set before connecting, so the window stays small
            stalled.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.port()));
            stalled.getOutputStream().write(("GET " + ChunkServer.PREFIX + sha(big) + " HTTP/1.1\r\nHost: n\r\n"
                    + "x-nest-cluster-auth: " + SECRET + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));

            // while that peer reads nothing, another is served in full on the same event loop
            try (RawClient other = new RawClient(gateway.port())) {
                RawClient.Response r = other.request("GET", ChunkServer.PREFIX + sha(small), "",
                        "x-nest-cluster-auth: " + SECRET).read();
                assertEquals(200, r.status());
                assertArrayEquals(small, r.body());
            }

            long deadline = System.nanoTime() + IDLE.multipliedBy(10).toNanos();
            while (opened.get(0).isOpen() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(opened.get(0).isOpen(), "the stalled peer's chunk file is still open after "
                    + IDLE.multipliedBy(10) + "; idle-timeout is " + IDLE);

            // what reached the stalled peer is a prefix of the answer, then the end of the stream
            stalled.setSoTimeout(10_000);
            byte[] got = readToEnd(stalled.getInputStream());
            String text = new String(got, 0, Math.min(got.length, 512), StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200 "), text);
            assertTrue(text.toLowerCase().contains("content-length: " + big.length + "\r\n"), text);
            int headEnd = text.indexOf("\r\n\r\n") + 4;
            int bodyBytes = got.length - headEnd;
            assertTrue(bodyBytes < big.length, "the whole chunk was delivered to a peer that read nothing ("
                    + bodyBytes + " bytes): the test did not stall the connection");
            for (int i = 0; i < bodyBytes; i++) {
                if (got[headEnd + i] != big[i]) {
                    throw new AssertionError("byte " + i + " of the body differs from the chunk");
                }
            }
        }
        assertTrue(opened.stream().noneMatch(FileChannel::isOpen), "every chunk file opened was closed");
        assertTrue(admin.requests.isEmpty(), "the admin server was not asked: " + admin.requests);
    }

    private Path store(byte[] bytes) throws IOException {
        Path f = dir.resolve(sha(bytes));
        Files.write(f, bytes);
        return f;
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) { // a read that times out throws: the server never closed
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static String sha(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
