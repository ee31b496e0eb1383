package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The self-applied AOT cache (ADR 0033) with the real jar on a JDK 25: the first {@code java -jar nest.jar} trains a
 * cache in the background once ready; the second start of the same jar re-executes itself with it, keeping its pid,
 * answers {@code /health}, prints a thread dump on SIGQUIT, stops on SIGTERM through its shutdown hook, and its data
 * directory opens again; a damaged cache is rejected by the JVM, the node starts without it and removes it. Skipped
 * (saying why) on another JDK or OS.
 */
class ServerAotCacheIT {
    @TempDir
    Path work;

    @Test
    void theSecondStartRunsWithTheCacheTheFirstTrained() throws Exception {
        assumeTrue(Runtime.version().feature() >= 25, "the JDK's AOT cache needs JDK 25; this is " + Runtime.version());
        assumeTrue(System.getProperty("os.name").toLowerCase().startsWith("linux"), "re-execution is Linux only");
        Path cache = Files.createDirectories(work.resolve("cache"));

        Process first = start("first", cache, work.resolve("first"));
        try {
            Path trained = Poll.until("the cache the first start trains in the background", Duration.ofMinutes(5),
                    () -> aotFiles(cache), files -> !files.isEmpty() || failed(cache)).stream().findFirst()
                    .orElseThrow(() -> new AssertionError("the training failed: " + read(cache)));
            assertTrue(Files.size(trained) > 0, trained::toString);
            assertTrue(log(work.resolve("first")).contains("AOT cache: training "), () -> log(work.resolve("first")));
        } finally {
            stopAndWait(first);
        }
        Path trained = aotFiles(cache).getFirst();

        Path second = work.resolve("second");
        Process p = start("second", cache, second);
        try {
            String cmdline = Files.readString(Path.of("/proc", String.valueOf(p.pid()), "cmdline"));
            assertTrue(cmdline.contains("-XX:AOTCache=" + trained), "re-executed in the same process: " + cmdline);
            String log = log(second);
            assertTrue(log.contains("AOT cache in use: " + trained), log);
            assertTrue(log.contains("pid " + p.pid()), "the same pid after the exec: " + log);
            new ProcessBuilder("kill", "-QUIT", String.valueOf(p.pid())).start().waitFor(10, TimeUnit.SECONDS);
            Poll.until("a thread dump on SIGQUIT", () -> log(second), l -> l.contains("Full thread dump"));
            assertTrue(p.isAlive(), "SIGQUIT does not stop the node");
        } finally {
            p.destroy(); // SIGTERM
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the node stops on SIGTERM");
        assertEquals(143, p.exitValue(), log(second));
        assertTrue(log(second).contains("nest: stopped"), "the shutdown hook ran: " + log(second));

        assertEquals(List.of(trained), aotFiles(cache), "one cache, no second training: " + read(cache));

        // a damaged cache: the JVM rejects it and runs without it; the node removes it for the next start to retrain.
        // The same data directory again: its lock was released and its state is intact.
        Files.write(trained, new byte[4096]);
        Process again = start("again", cache, second);
        stopAndWait(again);
        assertTrue(log(second).contains("AOT cache " + trained + " was rejected by the JVM"), log(second));
        assertTrue(aotFiles(cache).isEmpty(), "the rejected cache is removed: " + read(cache));
    }

    private Process start(String name, Path cache, Path dir) throws IOException {
        Files.createDirectories(dir.resolve("functions"));
        int port = Fixtures.freePort();
        ProcessBuilder pb = new ProcessBuilder(Fixtures.javaBinary(), "-jar", Fixtures.nestJar().toString(), "server",
                "--port", String.valueOf(port), "--data", dir.resolve("data").toString(),
                "--functions", dir.resolve("functions").toString(), "--runtimes", Fixtures.runtimesDir().toString())
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()));
        pb.environment().put("NEST_AOT_DIR", cache.toString());
        pb.environment().remove("NEST_AOT");
        Process p = pb.start();
        CliIT.awaitHealthy(p, new Http("http://127.0.0.1:" + port), dir.resolve("server.log"));
        System.out.printf("ServerAotCacheIT: %s start ready%n", name);
        return p;
    }

    private static void stopAndWait(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the node did not stop on SIGTERM within 60 s");
        }
    }

    private static List<Path> aotFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("server-.*\\.aot")).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static boolean failed(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".failed"));
        } catch (IOException e) {
            return false;
        }
    }

    private static String read(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            StringBuilder b = new StringBuilder();
            for (Path p : s.toList()) {
                b.append(p.getFileName()).append('\n');
                if (p.toString().endsWith(".failed")) {
                    b.append(Files.readString(p, StandardCharsets.UTF_8));
                }
            }
            return b.toString();
        } catch (IOException e) {
            return "(cannot list " + dir + ")";
        }
    }

    private static String log(Path dir) {
        try {
            return Optional.of(dir.resolve("server.log")).filter(Files::exists).map(f -> {
                try {
                    return Files.readString(f, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "";
                }
            }).orElse("");
        } catch (RuntimeException e) {
            return "";
        }
    }
}
