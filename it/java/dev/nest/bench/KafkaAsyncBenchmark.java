package dev.nest.bench;

import dev.nest.it.AsyncDurabilityRun;
import dev.nest.it.AsyncNodeProcess;
import dev.nest.it.Fixtures;
import dev.nest.it.kafka.KafkaBrokers;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The kafka back end's enqueue throughput and the 202's p50/p99: one node in its own process with
 * {@code async.queue: kafka} on the brokers of {@code distribution/kafka.sh} ({@code NEST_KAFKA_BOOTSTRAP} or its
 * work folder), the same load as {@link AsyncBenchmark} (16 clients back to back on a no-op function for
 * {@code nest.bench.seconds}). Writes the section "Async invocations (Kafka queue)" of docs/BENCHMARKS.md when
 * {@code nest.bench.docs} is true, then its figures for row 320 ({@link AsyncEnqueueRow}) when the script gives a run
 * folder. Run by {@code distribution/bench-async.sh}.
 */
public final class KafkaAsyncBenchmark {
    static final String HEADING = "## Async invocations (Kafka queue)";

    private KafkaAsyncBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Fixtures.projectRoot();
        String servers = KafkaBrokers.bootstrap().orElseThrow(() -> new IllegalStateException(
                "no Kafka brokers: run distribution/kafka.sh start --brokers 3 or set NEST_KAFKA_BOOTSTRAP"));
        if (!Files.isRegularFile(KafkaBrokers.pluginsDir().resolve("kafka.jar"))) {
            throw new IllegalStateException("no " + KafkaBrokers.pluginsDir().resolve("kafka.jar")
                    + "; build it with mvn -B -DskipTests package");
        }
        int seconds = Integer.getInteger("nest.bench.seconds", 20);
        boolean docs = Boolean.parseBoolean(System.getProperty("nest.bench.docs", "true"));
        String command = System.getProperty("nest.bench.command", "distribution/bench-async.sh");
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String load0 = Machine.loadAverage();
        String commit = Machine.output(List.of("git", "-C", root.toString(), "rev-parse", "--short", "HEAD"));
        String run = AsyncEnqueueRow.runId();
        Path tmp = Files.createTempDirectory("nest-kafkabench-");
        int brokers = servers.split(",").length;
        AsyncBenchmark.Throughput load;
        try (AsyncNodeProcess node = AsyncNodeProcess.create(tmp.resolve("node"), "kafka-bench",
                KafkaBrokers.nestYaml("nest-bench-" + Long.toHexString(System.nanoTime())))) {
            Fixtures.nodeFunction(node.functionsDir(), "noop", "deploy: dedicated\n", "exports.handler = async () => ({ ok: true });\n");
            node.launch();
            HttpClient client = AsyncDurabilityRun.client();
            AsyncDurabilityRun.warmUp(client, node.base(), "noop", Duration.ofSeconds(60));
            load = AsyncBenchmark.throughput(node.base(), seconds);
        }
        double p50 = Stats.percentile(load.acceptMillis(), 50);
        double p99 = Stats.percentile(load.acceptMillis(), 99);
        System.out.printf("kafka async bench: %.0f accepted/s with 16 clients, 202 p50 %.1f ms p99 %.1f ms%n",
                load.perSecond(), p50, p99);
        String body = """
                Measured %s on %d cores, %s %s, commit %s. Load average before / after: %s / %s (other work shares the cores).

                Command: `%s` (%d s of load with 16 clients). One node in its own process with `async.queue: kafka` \
                (the Kafka plugin), %d local KRaft broker(s) from `distribution/kafka.sh` on the same machine, \
                replication %d, a Node.js no-op function delivered meanwhile. %s

                | figure | value |
                |---|---|
                | enqueue throughput (202s per second, 16 clients back to back) | %.0f /s (%d accepted, %d other answers, %.1f s) |
                | the 202 under that load: p50 / p99 / max | %.1f / %.1f / %.1f ms |

                A 202 is sent once the event and its ledger entry are acknowledged by all in-sync replicas (idempotent \
                producer, `acks=all`, `min.insync.replicas` 2 when replicated).
                """.formatted(date, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                Runtime.version(), commit, load0, Machine.loadAverage(), command, seconds, brokers, Math.min(3, brokers),
                AsyncEnqueueRow.runSentence(run),
                load.perSecond(), load.accepted(), load.other(), load.seconds(), p50, p99, Stats.max(load.acceptMillis()));
        System.out.println(HEADING + "\n\n" + body);
        if (docs) {
            BenchmarksDoc.writeSection(root.resolve("docs/BENCHMARKS.md"), HEADING, body);
        }
        AsyncEnqueueRow.runFile(AsyncEnqueueRow.KAFKA_FILE).ifPresent(f -> new AsyncEnqueueRow.Figures(run, commit,
                "kafka", Runtime.getRuntime().availableProcessors(), brokers, load.perSecond(), p50).write(f));
    }
}
