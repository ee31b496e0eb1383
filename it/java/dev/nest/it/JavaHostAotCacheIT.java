package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java host with the ahead-of-time cache its image carries (runtimes/java/Dockerfile), on this machine's JDK:
 * the training run ({@code dev.nest.host.HostTraining}) makes a cache the host can map ({@code -XX:AOTMode=on} fails
 * the JVM otherwise), and a host whose cache is missing, damaged or another JVM's starts anyway: the JVM says so on
 * its output and the host answers {@code /health} as the contract says.
 */
class JavaHostAotCacheIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final List<String> FLAGS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xmx128m",
            "-XX:-UsePerfData");

    @TempDir
    static Path dir;
    static Path jar;
    static String java;

    @BeforeAll
    static void hostJar() throws IOException {
        assumeTrue(Runtime.version().feature() >= 25, "the AOT cache flags need JDK 25; this JVM is " + Runtime.version());
        java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // the cache is for a classpath of jars (as in the image), so the host classes go into one
        Path classes = Path.of("target", "classes");
        jar = dir.resolve("nest-host.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String pkg : List.of("dev/nest/host", "dev/nest/fn")) {
                try (Stream<Path> files = Files.list(classes.resolve(pkg))) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                        out.putNextEntry(new JarEntry(pkg + "/" + f.getFileName()));
                        out.write(Files.readAllBytes(f));
                        out.closeEntry();
                    }
                }
            }
        }
    }

    private record Ran(int exit, String output) {
    }

    private static Ran run(List<String> extra, String main, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(java));
        argv.addAll(FLAGS);
        argv.addAll(extra);
        argv.addAll(List.of("-cp", jar.toString(), main));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "ran too long: " + argv);
        return new Ran(p.exitValue(), out);
    }

    private static Path training(String name, List<String> extra) throws Exception {
        Path cache = dir.resolve(name);
        List<String> flags = new ArrayList<>(extra);
        flags.add("-XX:AOTCacheOutput=" + cache);
        Ran r = run(flags, "dev.nest.host.HostTraining", dir.resolve("scratch-" + name).toString());
        assertEquals(0, r.exit(), r.output());
        assertTrue(Files.size(cache) > 0, "the cache was written: " + r.output());
        return cache;
    }

    @Test
    void theTrainingRunMakesACacheTheHostMaps() throws Exception {
        Path cache = training("host.aot", List.of());
        // AOTMode=on: the JVM exits with an error when it cannot map the cache
        Ran used = run(List.of("-XX:AOTCache=" + cache, "-XX:AOTMode=on"), "dev.nest.host.HostTraining",
                dir.resolve("scratch-use").toString());
        assertEquals(0, used.exit(), "the host loaded and invoked a function with the cache mapped: " + used.output());
        assertHostStarts(List.of("-XX:AOTCache=" + cache), false);
    }

    @Test
    void aMissingCacheIsReportedAndTheHostStarts() throws Exception {
        assertHostStarts(List.of("-XX:AOTCache=" + dir.resolve("missing.aot")), true);
    }

    @Test
    void aDamagedCacheIsReportedAndTheHostStarts() throws Exception {
        Path junk = dir.resolve("junk.aot");
        Files.write(junk, new byte[4096]);
        assertHostStarts(List.of("-XX:AOTCache=" + junk), true);
    }

    @Test
    void aCacheOfAnotherJvmConfigurationIsReportedAndTheHostStarts() throws Exception {
        // compressed oops off at creation: the layout another JVM build or heap setting would give
        Path other = training("other.aot", List.of("-XX:-UseCompressedOops"));
        assertHostStarts(List.of("-XX:AOTCache=" + other), true);
    }

    /** Starts the host's main, waits for its /health, stops it; checks the JVM's word on the cache in its output. */
    private static void assertHostStarts(List<String> extra, boolean warned) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> argv = new ArrayList<>(List.of(java));
        argv.addAll(FLAGS);
        argv.addAll(extra);
        argv.addAll(List.of("-cp", jar.toString(), "dev.nest.host.JavaHost"));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().put("NEST_HOST_PORT", String.valueOf(port));
        pb.environment().put("NEST_HOST_SECRET", "aot-it");
        Path log = Files.createTempFile(dir, "host", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            boolean ready = false;
            while (!ready && p.isAlive() && System.nanoTime() < deadline) {
                try {
                    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                            .header("X-Nest-Secret", "aot-it").timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    ready = r.statusCode() == 200 && r.body().replace(" ", "").contains("\"ready\":true");
                } catch (IOException notYet) {
                    Thread.sleep(50);
                }
            }
            String out = Files.readString(log);
            assertTrue(ready, "the host answers /health ready with " + extra + "; output: " + out);
            assertTrue(out.contains("nest java host listening on 127.0.0.1:" + port), out);
            assertEquals(warned, out.contains("[aot]"), "the JVM's word on the cache: " + out);
        } finally {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
