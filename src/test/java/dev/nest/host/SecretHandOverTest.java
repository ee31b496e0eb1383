package dev.nest.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The secret hand-over of runtimes/CONTRACT.md: the first line of stdin, and the end of stdin ends the host. */
class SecretHandOverTest {
    private static final Map<String, String> STDIN_ENV = Map.of("NEST_HOST_PORT", "0", "NEST_HOST_SECRET_STDIN", "1");

    @Test
    void temporaryFilesGoToThePodsTmpdirWhenItIsAnAbsolutePath() {
        assertEquals(java.util.Optional.of("/data/pods/p1/work"), HostSettings.tmpDir(Map.of("TMPDIR", "/data/pods/p1/work")));
        assertEquals(java.util.Optional.empty(), HostSettings.tmpDir(Map.of()));
        assertEquals(java.util.Optional.empty(), HostSettings.tmpDir(Map.of("TMPDIR", "")));
        assertEquals(java.util.Optional.empty(), HostSettings.tmpDir(Map.of("TMPDIR", "relative/dir")));
        assertEquals(java.util.Optional.empty(), HostSettings.tmpDir(Map.of("TMPDIR", "/a\0b")));
    }

    @Test
    void theSecretIsTheFirstLineOfStdinAndTheRestIsLeftUnread() throws IOException {
        InputStream in = new ByteArrayInputStream("s3cret\nmore".getBytes(StandardCharsets.UTF_8));
        HostSettings s = HostSettings.fromEnv(STDIN_ENV, in);
        assertEquals("s3cret", s.secret());
        assertEquals("more", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void aCarriageReturnIsNotPartOfTheSecret() {
        assertEquals("abc", HostSettings.fromEnv(STDIN_ENV, new ByteArrayInputStream("abc\r\n".getBytes())).secret());
    }

    @Test
    void stdinThatEndsBeforeALineIsRefused() {
        for (String input : new String[] {"", "no-newline", "\n"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HostSettings.fromEnv(STDIN_ENV, new ByteArrayInputStream(input.getBytes())), input);
            assertTrue(e.getMessage().contains("NEST_HOST_SECRET_STDIN"), e.getMessage());
        }
    }

    @Test
    void withoutTheFlagTheEnvironmentIsUsedAndStdinIsNotTouched() throws IOException {
        InputStream in = new ByteArrayInputStream("other\n".getBytes());
        HostSettings s = HostSettings.fromEnv(Map.of("NEST_HOST_PORT", "0", "NEST_HOST_SECRET", "env-secret"), in);
        assertEquals("env-secret", s.secret());
        assertEquals(6, in.available());
    }

    @Test
    void theSecretFromStdinWinsOverAnEnvironmentVariable() {
        Map<String, String> env = Map.of("NEST_HOST_PORT", "0", "NEST_HOST_SECRET_STDIN", "1", "NEST_HOST_SECRET", "stale");
        assertEquals("piped", HostSettings.fromEnv(env, new ByteArrayInputStream("piped\n".getBytes())).secret());
    }

    @Test
    void theEndOfStdinRunsTheExitAction() throws Exception {
        PipedOutputStream nest = new PipedOutputStream();
        PipedInputStream link = new PipedInputStream(nest);
        CountDownLatch ended = new CountDownLatch(1);
        Thread watcher = JavaHost.exitWhenClosed(link, ended::countDown);
        nest.write("anything\n".getBytes());
        nest.flush();
        assertFalse(ended.await(50, TimeUnit.MILLISECONDS), "data on stdin is not an end");
        nest.close();
        assertTrue(ended.await(10, TimeUnit.SECONDS), "closing stdin ends the host");
        watcher.join(10_000);
    }

    /** The real thing: a host process reads its secret from a pipe and exits when Nest's end of it closes. */
    @Test
    void aHostProcessTakesItsSecretFromStdinAndExitsWhenItCloses() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-cp", JavaHostTest.apiClasspath().toString(),
                "dev.nest.host.JavaHost");
        pb.environment().remove("NEST_HOST_SECRET");
        pb.environment().put("NEST_HOST_PORT", String.valueOf(port));
        pb.environment().put("NEST_HOST_SECRET_STDIN", "1");
        pb.redirectErrorStream(true);
        Path log = Files.createTempFile("nest-java-host-", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        try {
            p.getOutputStream().write("piped-secret\n".getBytes());
            p.getOutputStream().flush();
            HttpClient http = HttpClient.newHttpClient();
            int status = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (status != 200 && System.nanoTime() < deadline && p.isAlive()) {
                try {
                    status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                            .header("X-Nest-Secret", "piped-secret").timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (IOException notYet) {
                    p.waitFor(20, TimeUnit.MILLISECONDS); // returns at once if the host died
                }
            }
            assertEquals(200, status, "the host answers with the piped secret: " + Files.readString(log));
            String environ = Files.readString(Path.of("/proc/" + p.pid() + "/environ"), StandardCharsets.ISO_8859_1);
            assertFalse(environ.contains("piped-secret"), "the secret is not in the host's environment");
            p.getOutputStream().close();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the host exits once stdin ends: " + Files.readString(log));
            assertEquals(0, p.exitValue());
            assertTrue(Files.readString(log).contains("stdin closed"), Files.readString(log));
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }
}
