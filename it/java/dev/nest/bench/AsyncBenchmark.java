package dev.nest.bench;

import dev.nest.it.AsyncDurabilityRun;
import dev.nest.it.AsyncNodeProcess;
import dev.nest.it.Fixtures;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Async invocations on the H2 queue, one node in its own process (embedded ZooKeeper, process driver, Node.js
 * functions):
 * <ol>
 *   <li>enqueue-to-start at idle: one async request at a time, 100 ms apart, to a warm function that writes its
 *       own start time ({@code Date.now()}) and invocation id to a file; the figure is that start time minus the
 *       wall clock just before the request was sent (millisecond resolution, one machine, one clock);</li>
 *   <li>enqueue throughput: 16 client threads sending async requests back to back to a no-op function for
 *       {@code seconds}; 202s per second and the 202's p50/p99 (the deliveries run meanwhile on the same cores);</li>
 *   <li>the durability run ({@link AsyncDurabilityRun}): {@code invocations} async requests, three {@code kill -9}s
 *       and restarts on the same data; acknowledged, executed, duplicates, lost.</li>
 * </ol>
 * Knobs (system properties): {@code nest.bench.seconds} (20), {@code nest.bench.samples} (200),
 * {@code nest.bench.invocations} (10000), {@code nest.bench.docs} (true: write the section of docs/BENCHMARKS.md),
 * {@code nest.bench.command}. Fails (exit 1) when the durability run loses an acknowledged invocation.
 */
public final class AsyncBenchmark {
    static final String HEADING = "## Async invocations (H2 queue)";
    private static final int CLIENTS = 16;

    private AsyncBenchmark() {
    }

    private record Idle(List<Double> startMillis, List<Double> acceptMillis) {
    }

    record Throughput(int accepted, int other, double seconds, List<Double> acceptMillis) {
        double perSecond() {
            return accepted / seconds;
        }
    }

    /**
     * Rows 310 (enqueue-to-start and the 202 at idle, ms) and 330 (the durability run) of this run. Row 320 quotes this
     * run's throughput beside the Kafka queue's, measured by {@link KafkaAsyncBenchmark} in another process: each writes
     * its figures for the run's last step, {@link AsyncEnqueueRow}, which writes row 320 into this section.
     */
    static List<BenchBlock.Row> rows(List<Double> idleStartMillis, List<Double> idleAcceptMillis,
                                     AsyncDurabilityRun.Result durable, String command) {
        String cmd = "`" + command + "`";
        List<BenchBlock.Row> rows = new ArrayList<>();
        if (!idleStartMillis.isEmpty() && !idleAcceptMillis.isEmpty()) {
            rows.add(BenchBlock.row(310, "async invocation (`h2` queue) at idle: request sent to the function's start, "
                    + "p50 / p99; the 202 p50", "<= 20 ms p50", cmd, "%.0f ms / %.0f ms; %.1f ms",
                    Stats.percentile(idleStartMillis, 50), Stats.percentile(idleStartMillis, 99),
                    Stats.percentile(idleAcceptMillis, 50)));
        }
        String kills = switch (durable.kills()) {
            case 1 -> "once";
            case 2 -> "twice";
            case 3 -> "three times";
            default -> durable.kills() + " times";
        };
        rows.add(BenchBlock.row(330, String.format(java.util.Locale.ROOT, "async durability, `h2`: %,d acknowledged "
                        + "invocations, node `kill -9`ed %s: executed / duplicates / lost", durable.acknowledged(), kills),
                "lost 0", cmd, "%,d / %,d / **%,d**", durable.executed(), durable.duplicates(), durable.lost()));
        return rows;
    }

    public static void main(String[] args) throws Exception {
        Path root = Fixtures.projectRoot();
        int seconds = Integer.getInteger("nest.bench.seconds", 20);
        int samples = Integer.getInteger("nest.bench.samples", 200);
        int invocations = Integer.getInteger("nest.bench.invocations", 10_000);
        boolean docs = Boolean.parseBoolean(System.getProperty("nest.bench.docs", "true"));
        String command = System.getProperty("nest.bench.command", "distribution/bench-async.sh");
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String load0 = Machine.loadAverage();
        String commit = Machine.output(List.of("git", "-C", root.toString(), "rev-parse", "--short", "HEAD"));
        String run = AsyncEnqueueRow.runId();
        // pods run as their own uids: they must be able to pass through to the files their function appends to
        Path tmp = Files.createTempDirectory("nest-asyncbench-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));

        Idle idle;
        Throughput load;
        Path home = Files.createDirectories(tmp.resolve("queue"));
        try (AsyncNodeProcess node = AsyncNodeProcess.create(home.resolve("node"))) {
            Path file = AsyncDurabilityRun.writeAppendingFunction(home, node.functionsDir(), "probe");
            Fixtures.nodeFunction(node.functionsDir(), "noop", "deploy: dedicated\n", "exports.handler = async () => ({ ok: true });\n");
            node.launch();
            HttpClient client = AsyncDurabilityRun.client();
            AsyncDurabilityRun.warmUp(client, node.base(), "probe", Duration.ofSeconds(60));
            AsyncDurabilityRun.warmUp(client, node.base(), "noop", Duration.ofSeconds(60));
            idle = idle(client, node.base(), file, samples);
            System.out.printf("async bench: enqueue-to-start at idle p50 %.0f ms, p99 %.0f ms (%d samples)%n",
                    Stats.percentile(idle.startMillis(), 50), Stats.percentile(idle.startMillis(), 99), samples);
            load = throughput(node.base(), seconds);
            System.out.printf("async bench: %.0f accepted/s with %d clients, 202 p50 %.1f ms p99 %.1f ms%n",
                    load.perSecond(), CLIENTS, Stats.percentile(load.acceptMillis(), 50),
                    Stats.percentile(load.acceptMillis(), 99));
        }
        AsyncDurabilityRun.Result durable = AsyncDurabilityRun.run(Files.createDirectories(tmp.resolve("durability")),
                new AsyncDurabilityRun.Settings(invocations, 8, 3, System.nanoTime(), Duration.ofMinutes(5)), System.out);

        String body = """
                Measured %s on %d cores, %s %s, commit %s. Load average before / after: %s / %s (other work shares the cores).

                Command: `%s` (%d idle samples, %d s of load with %d clients, %d invocations in the durability run). One node \
                in its own process: embedded ZooKeeper, the `process` driver, `async.queue: h2`, Node.js functions. %s

                | figure | value |
                |---|---|
                | enqueue throughput (202s per second, %d clients back to back, no-op function delivered meanwhile) | %.0f /s (%d accepted, %d other answers, %.1f s) |
                | the 202 under that load: p50 / p99 / max | %.1f / %.1f / %.1f ms |
                | the 202 at idle: p50 / p99 | %.1f / %.1f ms |
                | enqueue-to-start at idle (request sent to the function's own start time): p50 / p99 / max | %.0f / %.0f / %.0f ms (target p50 <= 20 ms) |
                | durability run: acknowledged / executed / duplicates / lost | %d / %d / %d / **%d** |
                | durability run: kills, requests retried, runs without a 202, send time, drain time | %d kills, %d retried, %d unacknowledged runs, %.1f s, %.1f s |

                Enqueue-to-start is measured with millisecond clocks (`System.currentTimeMillis()` before the request, the \
                function's `Date.now()` when it starts) on one machine. It includes the 202's time (an event is delivered \
                only once it is durable: a group `CHECKPOINT SYNC` of the H2 file); the rest is the dispatcher's wake-up, the \
                loopback hop through the gateway and the host's dispatch. Durability run (`AsyncDurabilityRun`, also \
                `AsyncDurabilityIT`): 8 client threads; the node is `kill -9`ed (with its pods) at three random moments \
                while sending and started again on the same data directory and port; clients retry until a 202 and keep \
                only acknowledged ids; the function appends its invocation id to a file (`O_APPEND`, fsync). Duplicates \
                are extra runs of an acknowledged id (at-least-once delivery; a kill between a run and its ack); \
                runs without a 202 are events stored while the node died before answering, plus the warm-up call.
                """.formatted(date, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                Runtime.version(), commit, load0, Machine.loadAverage(), command, samples, seconds, CLIENTS, invocations,
                AsyncEnqueueRow.runSentence(run), CLIENTS, load.perSecond(), load.accepted(), load.other(), load.seconds(),
                Stats.percentile(load.acceptMillis(), 50), Stats.percentile(load.acceptMillis(), 99),
                Stats.max(load.acceptMillis()), Stats.percentile(idle.acceptMillis(), 50),
                Stats.percentile(idle.acceptMillis(), 99), Stats.percentile(idle.startMillis(), 50),
                Stats.percentile(idle.startMillis(), 99), Stats.max(idle.startMillis()), durable.acknowledged(),
                durable.executed(), durable.duplicates(), durable.lost(), durable.kills(), durable.retriedRequests(),
                durable.unacknowledgedRuns(), durable.sendSeconds(), durable.drainSeconds())
                + BenchBlock.tail(List.of(), rows(idle.startMillis(), idle.acceptMillis(), durable, command));
        System.out.println(HEADING + "\n\n" + body);
        if (docs) {
            BenchmarksDoc.writeSection(root.resolve("docs/BENCHMARKS.md"), HEADING, body);
        }
        AsyncEnqueueRow.runFile(AsyncEnqueueRow.H2_FILE).ifPresent(f -> new AsyncEnqueueRow.Figures(run, commit, "h2",
                Runtime.getRuntime().availableProcessors(), 0, load.perSecond(),
                Stats.percentile(load.acceptMillis(), 50)).write(f));
        if (durable.lost() > 0) {
            System.err.println("async bench: " + durable.lost() + " acknowledged invocations were lost: " + durable.lostSample());
            System.exit(1);
        }
    }

    /** One request at a time; waits for the function's line in {@code file} before the next. */
    private static Idle idle(HttpClient client, String base, Path file, int samples) throws Exception {
        List<Double> start = new ArrayList<>();
        List<Double> accept = new ArrayList<>();
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long offset = in.length();
            StringBuilder pending = new StringBuilder();
            for (int i = 0; i < samples; i++) {
                long sentAt = System.currentTimeMillis();
                long t0 = System.nanoTime();
                Optional<String> id = AsyncDurabilityRun.sendAsync(client, base, "probe", "{}");
                accept.add((System.nanoTime() - t0) / 1e6);
                String want = id.orElseThrow(() -> new IllegalStateException("no 202 for an async request"));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                long started = -1;
                while (started < 0) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("invocation " + want + " did not start within 30 s");
                    }
                    long length = in.length();
                    if (length > offset) {
                        byte[] bytes = new byte[(int) (length - offset)];
                        in.seek(offset);
                        in.readFully(bytes);
                        offset = length;
                        pending.append(new String(bytes, StandardCharsets.UTF_8));
                    }
                    int nl;
                    while ((nl = pending.indexOf("\n")) >= 0) {
                        String[] parts = pending.substring(0, nl).trim().split(" ");
                        pending.delete(0, nl + 1);
                        if (parts.length == 2 && parts[0].equals(want)) {
                            started = Long.parseLong(parts[1]);
                        }
                    }
                    if (started < 0) {
                        Thread.sleep(0, 200_000);
                    }
                }
                start.add((double) (started - sentAt));
                Thread.sleep(100);
            }
        }
        return new Idle(start, accept);
    }

    /** {@link #CLIENTS} threads sending async requests back to back for {@code seconds}. */
    static Throughput throughput(String base, int seconds) throws InterruptedException {
        List<Double> accept = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        long t0 = System.nanoTime();
        long end = t0 + Duration.ofSeconds(seconds).toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            threads.add(Thread.ofPlatform().name("async-load-" + c).start(() -> {
                HttpClient client = AsyncDurabilityRun.client();
                while (System.nanoTime() < end) {
                    long s = System.nanoTime();
                    try {
                        if (AsyncDurabilityRun.sendAsync(client, base, "noop", "{}").isPresent()) {
                            accept.add((System.nanoTime() - s) / 1e6);
                            ok.incrementAndGet();
                        } else {
                            other.incrementAndGet();
                        }
                    } catch (IOException e) {
                        other.incrementAndGet();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return new Throughput(ok.get(), other.get(), (System.nanoTime() - t0) / 1e9, List.copyOf(accept));
    }
}
