package dev.nest.bench;

import dev.nest.it.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

/**
 * The public port under a connection flood, with the gateway's default timeouts (`header-timeout` 10 s,
 * `body-timeout` 10 s at `body-min-rate` 1 KiB/s) and `max-connections` set to {@value #CAP}: a server child process
 * (`dev.nest.Main server`, embedded defaults otherwise) with one quick Node.js function; a normal client (one
 * keep-alive connection, a request every 10 ms) measures its answers while, in turn, nothing, {@value #IDLE} idle
 * connections, {@value #SLOW} slowloris clients (a header line trickled a byte a second), {@value #BODIES} half-sent
 * request bodies, and {@value #BEYOND} connections at once (more than the cap) are thrown at the port, each held
 * {@value #HOLD_S} s (past the timeouts). Reports per phase: the normal client's answers and latency, how many of
 * the flood's connections the gateway closed by the end (and how many it refused at once at the cap), the server's
 * peak resident memory and the bytes its log grew by. Loopback only; writes its section of docs/BENCHMARKS.md
 * (`NEST_BENCH_DOCS=false`: print only).
 */
public final class FloodBenchmark {
    static final String HEADING = "## Gateway under a connection flood: idle, slow and half-sent clients";
    static final int CAP = 1500;
    static final int IDLE = 1000;
    static final int SLOW = 1000;
    static final int BODIES = 300;
    static final int BEYOND = 2000;
    static final int HOLD_S = 13;

    private final ChildProcesses children = new ChildProcesses();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private long pid;
    private Path log;
    private int port;
    private int connectFailures;

    private FloodBenchmark() {
    }

    /** One phase's figures. */
    record Phase(String name, int flood, int connectFailures, int closedByGateway, int refusedAtOnce, int probeOk, int probeSent,
                 Map<String, Integer> probeFailures, double p50, double p99, long peakRssKb, long logBytes) {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("nest-flood-bench");
        FloodBenchmark b = new FloodBenchmark();
        String body;
        try {
            b.start(dir);
            List<Phase> phases = new ArrayList<>();
            phases.add(b.phase("no flood", 0, n -> new ArrayList<>(), false));
            phases.add(b.phase(IDLE + " idle connections (nothing sent)", IDLE, b::idle, false));
            phases.add(b.phase(SLOW + " slowloris clients (a header byte a second)", SLOW, b::slow, true));
            phases.add(b.phase(BODIES + " half-sent bodies (100 of 1,048,576 bytes, then nothing)", BODIES, b::bodies,
                    false));
            phases.add(b.phase(BEYOND + " connections at once, cap " + CAP, BEYOND, b::idle, false));
            body = report(phases);
        } finally {
            b.children.close();
        }
        System.out.println(HEADING + "\n\n" + body);
        if (!"false".equals(System.getenv("NEST_BENCH_DOCS"))) {
            BenchmarksDoc.writeSection(Path.of("docs", "BENCHMARKS.md"), HEADING, body);
        }
        System.exit(0);
    }

    private void start(Path dir) throws IOException {
        Path functions = Files.createDirectories(dir.resolve("functions"));
        Fixtures.nodeFunction(functions, "hello", "deploy: dedicated\nconcurrency: 16\nscaling:\n  min: 1\n",
                "exports.handler = async () => ({ ok: true });\n");
        Path config = dir.resolve("nest.yaml");
        Files.writeString(config, "gateway:\n  max-connections: " + CAP + "\n");
        port = Fixtures.freePort();
        log = dir.resolve("server.log");
        List<String> argv = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "dev.nest.Main", "server", "--config", config.toString(),
                "--port", String.valueOf(port), "--data", dir.resolve("data").toString(), "--functions",
                functions.toString(), "--runtimes", Path.of("runtimes").toAbsolutePath().toString());
        Process p = children.start("nest", argv, BenchAuth.childEnv(), dir, log);
        pid = p.pid();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            try {
                if (get().statusCode() == 200) {
                    break;
                }
            } catch (IOException e) {
                // not up yet
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the server did not serve /fn/hello within 90 s:\n"
                        + ChildProcesses.tail(log, 40));
            }
            BenchHttp.sleep(100);
        }
        for (int i = 0; i < 300; i++) { // warm the path
            try {
                get();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("warm-up request failed", e);
            }
        }
    }

    private HttpResponse<byte[]> get() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/fn/hello"))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Runs the probe while {@code flood} holds {@code n} connections for {@value #HOLD_S} s. */
    private Phase phase(String name, int n, IntFunction<List<Socket>> flood, boolean trickle) throws Exception {
        long logBefore = Files.size(log);
        AtomicBoolean stop = new AtomicBoolean();
        List<Double> ok = Collections.synchronizedList(new ArrayList<>());
        Map<String, Integer> failures = Collections.synchronizedMap(new TreeMap<>());
        int[] sent = {0};
        Thread probe = Thread.ofPlatform().name("probe").start(() -> {
            while (!stop.get()) {
                long t0 = System.nanoTime();
                sent[0]++;
                try {
                    int status = get().statusCode();
                    if (status == 200) {
                        ok.add((System.nanoTime() - t0) / 1e6);
                    } else {
                        failures.merge(String.valueOf(status), 1, Integer::sum);
                    }
                } catch (IOException e) {
                    failures.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                } catch (InterruptedException e) {
                    return;
                }
                BenchHttp.sleep(10);
            }
        });
        long peak = rssKb();
        connectFailures = 0;
        List<Socket> held = flood.apply(n);
        int refused = 0;
        if (n > 0) {
            BenchHttp.sleep(1000);
            refused = closedNow(held); // within a second, before any timeout: refused at the cap
        }
        long until = System.nanoTime() + Duration.ofSeconds(HOLD_S).toNanos();
        long nextTrickle = System.nanoTime();
        while (System.nanoTime() < until) {
            peak = Math.max(peak, rssKb());
            if (trickle && System.nanoTime() >= nextTrickle) {
                for (Socket s : held) {
                    try {
                        s.getOutputStream().write('a');
                    } catch (IOException e) {
                        // closed by the gateway: fine
                    }
                }
                nextTrickle += 1_000_000_000L;
            }
            BenchHttp.sleep(200);
        }
        int closed = closedNow(held);
        stop.set(true);
        probe.join();
        for (Socket s : held) {
            s.close();
        }
        List<Double> sorted = new ArrayList<>(ok);
        Collections.sort(sorted);
        BenchHttp.sleep(1000); // let the gateway see the closes before the next phase
        Phase p = new Phase(name, n, connectFailures, closed, refused, ok.size(), sent[0], Map.copyOf(failures), Stats.percentile(
                sorted, 50), Stats.percentile(sorted, 99), peak, Files.size(log) - logBefore);
        System.err.printf(Locale.ROOT, "flood: %s%n", p);
        return p;
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        return s;
    }

    /** Opens {@code n} connections; one that cannot connect (the accept queue full) is counted, not held. */
    private List<Socket> idle(int n) {
        List<Socket> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            try {
                out.add(connect());
            } catch (IOException e) {
                connectFailures++;
            }
        }
        return out;
    }

    private List<Socket> slow(int n) {
        return sending(n, "GET /fn/hello HTTP/1.1\r\nHost: flood\r\nX-Slow: ");
    }

    private List<Socket> bodies(int n) {
        return sending(n, "POST /fn/hello HTTP/1.1\r\nHost: flood\r\nContent-Type: text/plain\r\nContent-Length: 1048576"
                + "\r\n\r\n" + "b".repeat(100));
    }

    private List<Socket> sending(int n, String prefix) {
        List<Socket> out = idle(n);
        byte[] bytes = prefix.getBytes(StandardCharsets.ISO_8859_1);
        for (Socket s : out) {
            try {
                OutputStream o = s.getOutputStream();
                o.write(bytes);
                o.flush();
            } catch (IOException e) {
                // refused by the gateway already: counted as closed
            }
        }
        return out;
    }

    /** How many of {@code sockets} the other side has closed (an answer and then the end, or the end at once). */
    private static int closedNow(List<Socket> sockets) {
        int closed = 0;
        byte[] buf = new byte[4096];
        for (Socket s : sockets) {
            try {
                s.setSoTimeout(1);
                InputStream in = s.getInputStream();
                while (true) {
                    int r = in.read(buf);
                    if (r < 0) {
                        closed++;
                        break;
                    }
                }
            } catch (SocketTimeoutException e) {
                // still open
            } catch (IOException e) {
                closed++; // reset
            }
        }
        return closed;
    }

    private long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static String report(List<Phase> phases) {
        Phase base = phases.getFirst();
        StringBuilder b = new StringBuilder();
        b.append("Measured ").append(Instant.now()).append(" on ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores, JDK ").append(System.getProperty("java.runtime.version")).append(", load average ")
                .append(Machine.loadAverage())
                .append(" at the end. One Nest server as a child process (`dev.nest.Main server`, the `process` driver,")
                .append(" embedded defaults but `gateway.max-connections: ").append(CAP).append("`), the flood and the")
                .append(" normal client in the benchmark's JVM, all on loopback.\n\n");
        b.append("Command: `distribution/bench-flood.sh`. The function: Node.js, `concurrency: 16`, one warm instance,")
                .append(" answering a small JSON. The normal client sends `GET /fn/hello` on one keep-alive connection,")
                .append(" one after the other with 10 ms between them, during each phase. Each flood is held ")
                .append(HOLD_S).append(" s, past `header-timeout` (10 s) and `body-timeout` (10 s at 1 KiB/s); \"closed")
                .append(" by the gateway\" is counted at the end of the hold (a 408 answer then the end, or the end);")
                .append(" \"refused at once\" one second after the flood connected.\n\n");
        b.append("| phase | normal client: 200 / sent | its p50 / p99 | flood closed by the gateway | refused at once ")
                .append("| server RSS, peak | log grew by |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (Phase p : phases) {
            b.append(String.format(Locale.ROOT, "| %s | %d / %d%s | %.2f / %.2f ms | %s | %s | %d MiB | %,d bytes |%n",
                    p.name(), p.probeOk(), p.probeSent(), p.probeFailures().isEmpty() ? "" : " " + p.probeFailures(),
                    p.p50(), p.p99(), p.flood() == 0 ? "" : p.closedByGateway() + " of " + (p.flood() - p.connectFailures())
                            + (p.connectFailures() == 0 ? "" : " (" + p.connectFailures() + " could not connect)"),
                    p.flood() == 0 ? "" : String.valueOf(p.refusedAtOnce()), p.peakRssKb() / 1024, p.logBytes()));
        }
        int ok = 0;
        int sent = 0;
        double worstP99 = 0;
        long peak = 0;
        long logBytes = 0;
        for (Phase p : phases.subList(1, phases.size())) {
            ok += p.probeOk();
            sent += p.probeSent();
            worstP99 = Math.max(worstP99, p.p99());
            peak = Math.max(peak, p.peakRssKb());
            logBytes += p.logBytes();
        }
        Phase cap = phases.getLast();
        b.append(BenchBlock.tail(List.of(), List.of(BenchBlock.row(46, String.format(Locale.ROOT, "connection flood on "
                        + "the public port (%d idle, %d slowloris, %d half-sent bodies, %d at once beyond "
                        + "`max-connections: %d`; each held %d s): a normal client's requests answered 200, its worst p99 "
                        + "against no flood; server RSS; log growth", IDLE, SLOW, BODIES, BEYOND, CAP, HOLD_S),
                "every request served; flood closed at the timeouts", "`distribution/bench-flood.sh`",
                "%d of %d; p99 %.2f ms against %.2f ms; of the %d at once %d refused at once (the normal client's "
                        + "connection counts against the cap too); RSS %d MiB peak (%d MiB without flood); log +%,d bytes",
                ok, sent, worstP99, base.p99(), BEYOND, cap.refusedAtOnce(), peak / 1024, base.peakRssKb() / 1024,
                logBytes))));
        return b.toString();
    }
}
