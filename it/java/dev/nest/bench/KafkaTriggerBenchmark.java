package dev.nest.bench;

import dev.nest.it.AsyncNodeProcess;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.kafka.KafkaBrokers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka trigger lag: one node in its own process with the Kafka plugin, an event-only Node.js function with a
 * {@code type: kafka} trigger (default batch-size 100 and batch-window 500ms, 3 partitions) on the brokers of
 * {@code distribution/kafka.sh}; a producer sends {@code nest.bench.rate} records a second (default 1000), paced
 * against the clock, for {@code nest.bench.seconds}, each stamped with its send time (the record's timestamp). The
 * function appends each record's key, timestamp and its own start time ({@code Date.now()}) to a file. Lag is the
 * function's start minus the record's send time: the producer's linger and the broker's acknowledgement, the
 * consumer's fetch, the batch window, the call through the gateway and the host's dispatch. Also counts records
 * acknowledged but never seen (lost, must be 0) and seen twice, and samples {@code nest_trigger_lag_records} from
 * {@code /metrics} every second. Writes the section "Kafka trigger: lag at a fixed rate" of docs/BENCHMARKS.md.
 * Run by {@code distribution/bench-kafka-trigger.sh}.
 */
public final class KafkaTriggerBenchmark {
    static final String HEADING = "## Kafka trigger: lag at a fixed rate";
    private static final Pattern LAG = Pattern.compile("(?m)^nest_trigger_lag_records\\{[^}]*} (\\d+)");

    private KafkaTriggerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Fixtures.projectRoot();
        String servers = KafkaBrokers.bootstrap().orElseThrow(() -> new IllegalStateException(
                "no Kafka brokers: run distribution/kafka.sh start or set NEST_KAFKA_BOOTSTRAP"));
        if (!Files.isRegularFile(KafkaBrokers.pluginsDir().resolve("kafka.jar"))) {
            throw new IllegalStateException("no " + KafkaBrokers.pluginsDir().resolve("kafka.jar")
                    + "; build it with mvn -B -DskipTests package");
        }
        int seconds = Integer.getInteger("nest.bench.seconds", 60);
        int rate = Integer.getInteger("nest.bench.rate", 1000);
        boolean docs = Boolean.parseBoolean(System.getProperty("nest.bench.docs", "true"));
        String command = System.getProperty("nest.bench.command", "distribution/bench-kafka-trigger.sh");
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String load0 = Machine.loadAverage();
        String commit = Machine.output(List.of("git", "-C", root.toString(), "rev-parse", "--short", "HEAD"));
        int brokers = servers.split(",").length;
        String id = Long.toHexString(System.nanoTime());
        String topic = "nest-bench-trigger-" + id;
        createTopic(servers, topic, 3, (short) Math.min(3, brokers));

        Path tmp = Files.createTempDirectory("nest-ktriggerbench-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path file = Files.createFile(out.resolve("seen.log"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));

        long acked;
        long sendErrors;
        List<Long> metricLag = new ArrayList<>();
        List<String> lines;
        long warmSeq;
        try (AsyncNodeProcess node = AsyncNodeProcess.create(tmp.resolve("node"), "ktrigger-bench",
                "plugins-dir: " + KafkaBrokers.pluginsDir() + "\n")) {
            Fixtures.nodeFunction(node.functionsDir(), "consume", """
                    deploy: dedicated
                    http: false
                    timeout: 60s
                    triggers:
                      - type: kafka
                        name: in
                        bootstrap: "%s"
                        topic: %s
                        group: nest-bench-%s
                        start: earliest
                    """.formatted(servers, topic, id), """
                    const fs = require('fs');
                    const FILE = %s;
                    exports.handler = async (event) => {
                      const started = Date.now();
                      const batch = JSON.parse(event.body);
                      fs.appendFileSync(FILE, batch.records.map(r => r.key + ' ' + r.timestamp + ' ' + started + '\\n')
                          .join(''));
                      return { ok: true };
                    };
                    """.formatted(Http.JSON.writeValueAsString(file.toString())));
            node.launch();
            Http http = node.http();
            try (KafkaProducer<byte[], byte[]> producer = producer(servers)) {
                // warm-up: records until the function has run once (its pod's cold start is not measured)
                warmSeq = 0;
                long deadline = System.currentTimeMillis() + 120_000;
                while (Files.size(file) == 0) {
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException("the function never ran; node log:\n" + node.logTail());
                    }
                    producer.send(record(topic, "w" + warmSeq++)).get(30, TimeUnit.SECONDS);
                    Thread.sleep(500);
                }
                Thread.sleep(2_000);
                // the measured run: paced sends, one every 1/rate s against the clock
                AtomicLong ok = new AtomicLong();
                AtomicLong failed = new AtomicLong();
                long total = (long) rate * seconds;
                long start = System.nanoTime();
                long nextScrape = System.currentTimeMillis() + 1_000;
                for (long i = 0; i < total; i++) {
                    long due = start + i * 1_000_000_000L / rate;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    producer.send(record(topic, "m" + i), (md, e) -> (e == null ? ok : failed).incrementAndGet());
                    if (System.currentTimeMillis() >= nextScrape) {
                        nextScrape += 1_000;
                        scrapeLag(http).ifPresent(metricLag::add);
                    }
                }
                producer.flush();
                acked = ok.get();
                sendErrors = failed.get();
            }
            // wait until every acknowledged record was seen, or 120 s
            long deadline = System.currentTimeMillis() + 120_000;
            while (System.currentTimeMillis() < deadline && measured(file).size() < acked) {
                scrapeLag(http).ifPresent(metricLag::add);
                Thread.sleep(1_000);
            }
            Thread.sleep(6_000); // the published lag is measured every 5 s: its last sample after the drain
            scrapeLag(http).ifPresent(metricLag::add);
            lines = measured(file);
        }
        Map<String, Integer> seen = new HashMap<>();
        List<Double> lag = new ArrayList<>();
        for (String l : lines) {
            String[] p = l.split(" ");
            if (seen.merge(p[0], 1, Integer::sum) == 1) {
                lag.add((double) (Long.parseLong(p[2]) - Long.parseLong(p[1])));
            }
        }
        long duplicates = seen.values().stream().filter(n -> n > 1).count();
        long lost = acked - seen.size();
        long lastMetric = metricLag.isEmpty() ? -1 : metricLag.getLast();
        String body = """
                Measured %s on %d cores, %s %s, commit %s. Load average before / after: %s / %s (the machine is shared \
                by six workers building and testing at the same time, so these figures are pessimistic and noisy).

                Command: `%s` (%d records/s for %d s after a warm-up). One node in its own process (embedded ZooKeeper, \
                the `process` driver, the Kafka plugin), %d local KRaft broker(s) from `distribution/kafka.sh` on the same \
                machine, a topic of 3 partitions (replication %d), an event-only Node.js function with a `type: kafka` \
                trigger at its defaults (`batch-size: 100`, `batch-window: 500ms`, offsets committed after each batch).

                | figure | value |
                |---|---|
                | records acknowledged by the broker / send errors | %d / %d |
                | produce-to-function-start lag: p50 / p99 / max | %.0f / %.0f / %.0f ms |
                | records lost (acknowledged, never seen) / seen twice | **%d** / %d |
                | `nest_trigger_lag_records` from `/metrics` (sampled every second): max / after the drain | %d / %d |

                Lag is the function's `Date.now()` at its start minus the record's timestamp (the producer's clock when it \
                sent it; `linger.ms` 1, `acks=all`), both millisecond clocks on one machine: the broker's acknowledgement, \
                the consumer's fetch, the batch window (a batch leaves when it holds 100 records or 500 ms after its \
                first), the call through the gateway and the host's dispatch; every record of a batch shares its start \
                time. `nest_trigger_lag_records` is the committed lag (end offsets minus committed offsets, asked from \
                the broker every 5 s).
                """.formatted(date, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                Runtime.version(), commit, load0, Machine.loadAverage(), command, rate, seconds, brokers,
                Math.min(3, brokers), acked, sendErrors, Stats.percentile(lag, 50), Stats.percentile(lag, 99),
                Stats.max(lag), lost, duplicates, metricLag.stream().mapToLong(Long::longValue).max().orElse(-1),
                lastMetric) + BenchBlock.tail(List.of(), rows(rate, brokers, seconds, lag, lost, acked, command));
        System.out.println(HEADING + "\n\n" + body);
        if (docs) {
            BenchmarksDoc.writeSection(root.resolve("docs/BENCHMARKS.md"), HEADING, body);
        }
        if (lost > 0) {
            System.err.println("kafka trigger bench: " + lost + " acknowledged records never reached the function");
            System.exit(1);
        }
    }

    /**
     * Row 305 from the run's settings, its lag samples (ms) and its lost and acknowledged record counts; none when no
     * record was measured.
     */
    static List<BenchBlock.Row> rows(int rate, int brokers, int seconds, List<Double> lag, long lost, long acked,
                                     String command) {
        if (lag.isEmpty()) {
            return List.of();
        }
        return List.of(BenchBlock.row(305, String.format(java.util.Locale.ROOT, "Kafka trigger at %,d records/s: produce "
                        + "to the function's start, p50 / p99; records lost (%s, %d s)", rate,
                brokers == 1 ? "one broker" : brokers + " brokers", seconds), "", "`" + command + "`",
                "%.0f ms / %.0f ms; %,d of %,d", Stats.percentile(lag, 50), Stats.percentile(lag, 99), lost, acked));
    }

    /** The lines of measured records ({@code m<seq> <timestamp> <start>}), not the warm-up's. */
    private static List<String> measured(Path file) throws java.io.IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> l.startsWith("m")).toList();
    }

    private static java.util.Optional<Long> scrapeLag(Http http) {
        try {
            Http.Response r = http.get("/metrics");
            Matcher m = LAG.matcher(r.text());
            long sum = 0;
            boolean any = false;
            while (m.find()) {
                sum += Long.parseLong(m.group(1));
                any = true;
            }
            return any ? java.util.Optional.of(sum) : java.util.Optional.empty();
        } catch (RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String key) {
        return new ProducerRecord<>(topic, null, System.currentTimeMillis(), key.getBytes(StandardCharsets.UTF_8),
                "{\"n\":1}".getBytes(StandardCharsets.UTF_8));
    }

    private static KafkaProducer<byte[], byte[]> producer(String servers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "1");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void createTopic(String servers, String topic, int partitions, short replication)
            throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, replication))).all().get(60, TimeUnit.SECONDS);
        }
    }
}
