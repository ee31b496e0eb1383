package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that runs out of file descriptors (issue 13, "Timeouts and caps"): a real node in its own JVM whose open-file
 * limit is lowered with {@code prlimit} to a few dozen above what it holds once warm, and {@code gateway.max-connections}
 * set high so that the cap does not refuse the flood first. A bounded flood of loopback connections then makes
 * {@code accept} fail with EMFILE. Asserted: the gateway logs the failure in few lines (the first, then at most one per
 * ten seconds), does not spin on the accept loop (its threads use less CPU than half the time the flood is held), and,
 * once the flood's connections close, serves a normal client again. Skips when {@code prlimit} or {@code /proc} is
 * missing (not Linux), or when Node.js is not installed.
 */
class EmfileIT {
    private static final Pattern ACCEPT_LINE = Pattern.compile("cannot accept connections");
    private static final int FLOOD = 400;
    private static final int HEADROOM = 40;

    @Test
    void outOfFileDescriptorsTheGatewayBacksOffLogsOnceAndServesAgainAfterTheFlood(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs Linux /proc");
        assumeTrue(onPath("prlimit"), "needs prlimit (util-linux)");
        assumeTrue(onPath("node"), "needs Node.js");
        try (AsyncNodeProcess node = AsyncNodeProcess.create(dir.resolve("node"), "emfile-node", """
                gateway:
                  max-connections: 100000
                """)) {
            Fixtures.nodeFunction(node.functionsDir(), "hello", "scaling:\n  min: 1\n",
                    "exports.handler = async () => ({ statusCode: 200, body: 'hi' });\n");
            node.launch();
            Http http = node.http();
            waitFor("the function answers", 60_000, () -> answers(http));
            for (int i = 0; i < 5; i++) {
                assertEquals(200, http.get("/fn/hello").status(), "warm");
            }

            long pid = node.pid();
            long held = openFiles(pid);
            run("prlimit", "--pid", String.valueOf(pid), "--nofile=" + (held + HEADROOM) + ":");
            List<Socket> flood = new ArrayList<>();
            long cpuBefore;
            long heldFrom;
            try {
                int port = Integer.parseInt(node.base().substring(node.base().lastIndexOf(':') + 1));
                for (int i = 0; i < FLOOD; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000); // the backlog takes what accept cannot
                    flood.add(s);
                }
                waitFor("the gateway logs that accept fails", 30_000, () -> acceptLines(node.log()) > 0);
                cpuBefore = gatewayCpuTicks(pid);
                heldFrom = System.nanoTime();
                Thread.sleep(3_000); // accept keeps failing meanwhile: the back-off, not a spin
            } finally {
                for (Socket s : flood) {
                    try {
                        s.close();
                    } catch (IOException e) {
                        // closing anyway
                    }
                }
            }
            long cpuTicks = gatewayCpuTicks(pid) - cpuBefore;
            double heldSeconds = (System.nanoTime() - heldFrom) / 1e9;

            waitFor("the function answers after the flood", 60_000, () -> answers(http));
            for (int i = 0; i < 20; i++) {
                Http.Response r = http.get("/fn/hello");
                assertEquals(200, r.status(), "a normal client is served again: " + r);
                assertEquals("hi", r.text());
            }
            int lines = acceptLines(node.log());
            assertTrue(lines >= 1, "the failure is logged");
            assertTrue(lines <= 2, lines + " lines about accept failures; at most one per ten seconds:\n" + node.logTail());
            assertEquals(0, stackTraceLines(node.log()), "no stack trace for an accept failure:\n" + node.logTail());
            // clock ticks are 1/100 s on Linux: half the time held, in ticks
            assertTrue(cpuTicks < heldSeconds * 100 / 2, "the gateway's threads used " + cpuTicks
                    + " ticks of CPU while the flood was held for " + heldSeconds + " s: the accept loop spins");
        }
    }

    private static boolean answers(Http http) {
        try {
            return http.get("/fn/hello").status() == 200;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void waitFor(String what, long millis, java.util.function.BooleanSupplier done)
            throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(50);
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        return Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    private static long openFiles(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            return fds.count();
        }
    }

    /** User plus system clock ticks of the process's {@code nest-gateway-*} threads. */
    private static long gatewayCpuTicks(long pid) throws IOException {
        long ticks = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path t : tasks.toList()) {
                try {
                    if (!Files.readString(t.resolve("comm")).startsWith("nest-gateway")) {
                        continue;
                    }
                    String stat = Files.readString(t.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
                } catch (IOException e) {
                    // the thread ended
                }
            }
        }
        return ticks;
    }

    private static int acceptLines(Path log) {
        return count(log, ACCEPT_LINE);
    }

    private static int stackTraceLines(Path log) {
        int n = 0;
        List<String> lines = lines(log);
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).startsWith("\tat ") && lines.get(i - 1).contains("Too many open files")) {
                n++;
            }
        }
        return n;
    }

    private static int count(Path log, Pattern p) {
        int n = 0;
        for (String line : lines(log)) {
            Matcher m = p.matcher(line);
            if (m.find()) {
                n++;
            }
        }
        return n;
    }

    private static List<String> lines(Path log) {
        try {
            return Files.readAllLines(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "prlimit ended");
        assertEquals(0, p.exitValue(), String.join(" ", argv) + ": " + out);
    }
}
