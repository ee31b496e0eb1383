package dev.nest.it.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.it.AsyncNodeProcess;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code type: kafka} trigger (the Kafka plugin loaded from {@code target/plugins}) on a Nest node in its own
 * process (process driver) against the brokers of {@code distribution/kafka.sh}: a poison record is found in its
 * batch and lands in the dead-letter topic with headers naming the error and its origin while every other record
 * (a binary one too) is processed; a node killed while its function runs a batch has committed nothing, and after a
 * restart the same records are processed and then committed; two nodes in one group share the partitions and the
 * survivor takes them all when the other is killed. Skips loudly without brokers (fails under
 * {@code NEST_REQUIRE_ENGINES=1}).
 */
class KafkaTriggerIT {
    @TempDir
    Path dir;

    private static String unique() {
        return Long.toHexString(System.nanoTime());
    }

    private static String bootstrap() {
        return KafkaBrokers.bootstrap().orElseThrow();
    }

    private static String pluginsYaml() {
        return "plugins-dir: " + KafkaBrokers.pluginsDir() + "\n";
    }

    private static void createTopic(String topic, int partitions) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        try (Admin admin = Admin.create(p)) {
            short replication = (short) Math.min(3, bootstrap().split(",").length);
            admin.createTopics(List.of(new NewTopic(topic, partitions, replication))).all().get(60, TimeUnit.SECONDS);
        }
    }

    private static Map<TopicPartition, OffsetAndMetadata> committed(String group) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        try (Admin admin = Admin.create(p)) {
            Map<TopicPartition, OffsetAndMetadata> m = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
            m.forEach((k, v) -> {
                if (v != null) {
                    out.put(k, v);
                }
            });
            return out;
        }
    }

    private static long committedTotal(String group) {
        try {
            return committed(group).values().stream().mapToLong(OffsetAndMetadata::offset).sum();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A file the function (another user under the process driver) may append to. */
    private static Path sharedFile(Path dir, String name) {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            Path out = Files.createDirectories(dir.resolve("out"));
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path file = out.resolve(name);
            Files.deleteIfExists(file);
            Files.createFile(file);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String js(Path p) {
        try {
            return Http.JSON.writeValueAsString(p.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> lines(Path file) {
        try {
            return new HashSet<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String triggerYaml(String topic, String group, String more) {
        return """
                timeout: 90s
                triggers:
                  - type: kafka
                    name: in
                    bootstrap: "%s"
                    topic: %s
                    group: %s
                    batch-size: 10
                    batch-window: 200ms
                    start: earliest
                """.formatted(bootstrap(), topic, group) + more;
    }

    @Test
    void aPoisonRecordGoesToTheDeadLetterTopicAndEveryOtherRecordIsProcessed() throws Exception {
        Engines.requireNode();
        KafkaBrokers.require(1);
        String id = unique();
        String topic = "nest-trigger-" + id;
        String dlt = topic + "-dlt";
        String group = "nest-trigger-it-" + id;
        createTopic(topic, 3);
        createTopic(dlt, 1);
        Path processed = sharedFile(dir, "processed.log");
        try (AsyncNodeProcess node = AsyncNodeProcess.create(dir.resolve("node"), "ktrigger-1", pluginsYaml())) {
            Fixtures.nodeFunction(node.functionsDir(), "consume", triggerYaml(topic, group, """
                        retries: 1
                        dead-letter-topic: %s
                    """.formatted(dlt)), """
                    const fs = require('fs');
                    const FILE = %s;
                    exports.handler = async (event) => {
                      const batch = JSON.parse(event.body);
                      if (batch.records.some(r => r.value === 'poison')) throw new Error('poison record in the batch');
                      fs.appendFileSync(FILE, batch.records.map(r => (r.valueBase64 ? 'b64:' : '') + r.value
                          + (r.headers.length ? ' h:' + r.headers[0].name + '=' + r.headers[0].value : '') + '\\n').join(''));
                      return { ok: true };
                    };
                    """.formatted(js(processed)));
            node.launch();
            Set<String> expected = new HashSet<>();
            RecordMetadata poison = null;
            try (KafkaProducer<byte[], byte[]> p = producer()) {
                for (int i = 0; i < 40; i++) {
                    byte[] key = ("k" + i).getBytes(StandardCharsets.UTF_8);
                    ProducerRecord<byte[], byte[]> r;
                    if (i == 13) {
                        r = new ProducerRecord<>(topic, key, "poison".getBytes(StandardCharsets.UTF_8));
                        r.headers().add("trace", "t13".getBytes(StandardCharsets.UTF_8));
                        poison = p.send(r).get(30, TimeUnit.SECONDS);
                        continue;
                    }
                    if (i == 21) {
                        r = new ProducerRecord<>(topic, key, new byte[]{(byte) 0xff, (byte) 0xfe, 0x00});
                        expected.add("b64://4A");
                    } else {
                        r = new ProducerRecord<>(topic, key, ("r" + i).getBytes(StandardCharsets.UTF_8));
                        r.headers().add("n", String.valueOf(i).getBytes(StandardCharsets.UTF_8));
                        expected.add("r" + i + " h:n=" + i);
                    }
                    p.send(r).get(30, TimeUnit.SECONDS);
                }
            }
            Poll.until("every record but the poison processed", Duration.ofSeconds(120), () -> lines(processed),
                    got -> got.containsAll(expected));
            List<ConsumerRecord<byte[], byte[]>> letters = readAll(dlt, 1, Duration.ofSeconds(60));
            assertEquals(1, letters.size(), "one dead letter");
            ConsumerRecord<byte[], byte[]> letter = letters.getFirst();
            assertEquals("poison", new String(letter.value(), StandardCharsets.UTF_8));
            assertEquals("k13", new String(letter.key(), StandardCharsets.UTF_8));
            assertEquals("t13", header(letter, "trace"));
            assertEquals(topic, header(letter, "nest-origin-topic"));
            assertEquals(String.valueOf(poison.partition()), header(letter, "nest-origin-partition"));
            assertEquals(String.valueOf(poison.offset()), header(letter, "nest-origin-offset"));
            assertEquals("2", header(letter, "nest-attempts"), "retries: 1 is two attempts alone");
            assertTrue(header(letter, "nest-error").contains("500"), header(letter, "nest-error"));
            assertEquals("default/consume", header(letter, "nest-function"));
            assertTrue(lines(processed).stream().noneMatch(l -> l.startsWith("poison")));
            Poll.until("all 40 offsets committed", Duration.ofSeconds(60), () -> committedTotal(group), n -> n == 40);
            JsonNode triggers = Poll.until("the trigger's status shows the dead letter and no lag", Duration.ofSeconds(30),
                    () -> node.http().get("/api/v1/functions/consume/triggers").json(),
                    t -> t.toString().contains("\"deadLettered\":1") && t.toString().contains("\"lag\":0"));
            assertTrue(triggers.toString().contains("\"group\":\"" + group + "\""), triggers.toString());
        }
    }

    @Test
    void aNodeKilledMidBatchCommittedNothingAndItsRecordsRunAgainAfterARestart() throws Exception {
        Engines.requireNode();
        KafkaBrokers.require(1);
        String id = unique();
        String topic = "nest-trigger-kill-" + id;
        String group = "nest-trigger-kill-it-" + id;
        createTopic(topic, 2);
        Path processed = sharedFile(dir, "processed.log");
        Path started = dir.resolve("out").resolve("started");
        try (AsyncNodeProcess node = AsyncNodeProcess.create(dir.resolve("node"), "ktrigger-2", pluginsYaml())) {
            Fixtures.nodeFunction(node.functionsDir(), "slow", triggerYaml(topic, group, ""), """
                    const fs = require('fs');
                    const FILE = %s;
                    const STARTED = %s;
                    exports.handler = async (event) => {
                      const batch = JSON.parse(event.body);
                      if (!fs.existsSync(STARTED)) {
                        fs.writeFileSync(STARTED, String(batch.records.length));
                        await new Promise(resolve => setTimeout(resolve, 80000));
                      }
                      fs.appendFileSync(FILE, batch.records.map(r => r.value + '\\n').join(''));
                      return { ok: true };
                    };
                    """.formatted(js(processed), js(started)));
            node.launch();
            Set<String> expected = new HashSet<>();
            try (KafkaProducer<byte[], byte[]> p = producer()) {
                for (int i = 0; i < 6; i++) {
                    p.send(new ProducerRecord<>(topic, ("k" + i).getBytes(StandardCharsets.UTF_8),
                            ("v" + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
                    expected.add("v" + i);
                }
            }
            Poll.until("the first batch reached the function", Duration.ofSeconds(90), () -> Files.exists(started),
                    b -> b);
            assertEquals(0, committedTotal(group), "nothing committed while the batch runs");
            node.kill();
            assertEquals(0, committedTotal(group), "nothing committed by a node killed mid-batch");
            assertTrue(lines(processed).stream().noneMatch(l -> !l.isBlank()), "the first batch never finished");
            node.launch();
            Poll.until("every record processed after the restart", Duration.ofSeconds(120), () -> lines(processed),
                    got -> got.containsAll(expected));
            Poll.until("all 6 offsets committed", Duration.ofSeconds(60), () -> committedTotal(group), n -> n == 6);
        }
    }

    private static int partitionsOf(AsyncNodeProcess node, String function) {
        JsonNode p = node.http().get("/api/v1/functions/" + function + "/triggers").json().findValue("partitions");
        return p == null ? 0 : p.size();
    }

    @Test
    void twoNodesShareThePartitionsAndTheSurvivorTakesOverWhenOneIsKilled() throws Exception {
        Engines.requireNode();
        KafkaBrokers.require(1);
        String id = unique();
        String topic = "nest-trigger-group-" + id;
        String group = "nest-trigger-group-it-" + id;
        createTopic(topic, 4);
        Path processed = sharedFile(dir, "processed.log");
        List<AsyncNodeProcess> nodes = new ArrayList<>();
        try {
            for (int i = 1; i <= 2; i++) {
                AsyncNodeProcess node = AsyncNodeProcess.create(dir.resolve("node-" + i), "ktrigger-g" + i, pluginsYaml());
                Fixtures.nodeFunction(node.functionsDir(), "share", triggerYaml(topic, group, ""), """
                        const fs = require('fs');
                        exports.handler = async (event) => {
                          const batch = JSON.parse(event.body);
                          fs.appendFileSync(%s, batch.records.map(r => r.value + ' node-%d\\n').join(''));
                          return { ok: true };
                        };
                        """.formatted(js(processed), i));
                nodes.add(node);
                node.launch();
            }
            Poll.until("both nodes hold partitions", Duration.ofSeconds(90),
                    () -> partitionsOf(nodes.get(0), "share") + "," + partitionsOf(nodes.get(1), "share"),
                    s -> s.equals("2,2"));
            produce(topic, "a", 20);
            Poll.until("the first 20 records processed", Duration.ofSeconds(90), () -> values(processed),
                    got -> got.containsAll(expected("a", 20)));
            Set<String> nodesUsed = new HashSet<>();
            lines(processed).forEach(l -> nodesUsed.add(l.substring(l.indexOf(' ') + 1)));
            assertEquals(Set.of("node-1", "node-2"), nodesUsed, "records of both nodes' partitions");
            nodes.get(1).kill();
            produce(topic, "b", 20);
            Poll.until("node 1 holds every partition", Duration.ofSeconds(90), () -> partitionsOf(nodes.get(0), "share"),
                    n -> n == 4);
            Poll.until("every record produced after the kill processed", Duration.ofSeconds(90), () -> values(processed),
                    got -> got.containsAll(expected("b", 20)));
            Poll.until("all 40 offsets committed", Duration.ofSeconds(60), () -> committedTotal(group), n -> n == 40);
        } finally {
            nodes.forEach(AsyncNodeProcess::close);
        }
    }

    private static void produce(String topic, String prefix, int n) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            for (int i = 0; i < n; i++) {
                p.send(new ProducerRecord<>(topic, (prefix + i).getBytes(StandardCharsets.UTF_8),
                        (prefix + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static Set<String> expected(String prefix, int n) {
        Set<String> out = new HashSet<>();
        for (int i = 0; i < n; i++) {
            out.add(prefix + i);
        }
        return out;
    }

    private static Set<String> values(Path file) {
        Set<String> out = new HashSet<>();
        lines(file).forEach(l -> out.add(l.split(" ")[0]));
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? "(none)" : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast, Duration within) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = System.nanoTime() + within.toNanos();
            while (System.nanoTime() < end) {
                c.poll(Duration.ofMillis(500)).forEach(out::add);
                if (out.size() >= atLeast && c.position(tp) >= c.endOffsets(List.of(tp)).get(tp)) {
                    break;
                }
            }
        }
        return out;
    }
}
