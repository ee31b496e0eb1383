package dev.nest.plugins.kafka;

import dev.nest.async.AsyncException;
import dev.nest.async.EventState;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The ledger of async invocations in a compacted topic ({@code <topic>-ledger}, one record per invocation id, its
 * latest state; a tombstone when it is purged), read in full by every node into memory, so that any node answers
 * {@code GET /api/v1/invocations/{id}}, lists dead letters and redrives them, and finds idempotency keys.
 *
 * <p>Consistency: a node applies its own writes at once; others see them once its reader has caught up (usually
 * milliseconds). An entry older ({@link LedgerEntry#updatedAt()}) than the one held is ignored. Two nodes that get
 * the same idempotency key within that lag may both enqueue.
 *
 * <p>Failure: a write that the brokers do not acknowledge fails its future; the reader retries on its own.
 * Limits: the whole retained ledger is in memory on every node (entries of {@code async.retention}, results up to
 * 256 KiB each). Threads: one reader thread; every method from any thread.
 */
final class Ledger implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Ledger.class.getName());

    private final String topic;
    private final Producer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> reader;
    private final Map<String, LedgerEntry> entries = new ConcurrentHashMap<>();
    private final Map<String, String> keys = new ConcurrentHashMap<>(); // function \n key -> id
    private final Thread thread;
    private volatile boolean running = true;

    private Ledger(String topic, Producer<byte[], byte[]> producer, KafkaConsumer<byte[], byte[]> reader) {
        this.topic = topic;
        this.producer = producer;
        this.reader = reader;
        this.thread = Thread.ofPlatform().name("nest-kafka-ledger").daemon().unstarted(this::read);
    }

    /** Reads the whole ledger topic (up to {@code timeout}), then keeps reading it on its own thread. */
    static Ledger open(KafkaQueueSettings s, String clientId, Producer<byte[], byte[]> producer, Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-ledger");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Ledger l = new Ledger(s.ledgerTopic(), producer, c);
        try {
            List<TopicPartition> parts = c.partitionsFor(s.ledgerTopic(), timeout).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp, timeout) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AsyncException(503, "async queue unavailable", "the ledger topic " + s.ledgerTopic()
                            + " could not be read within " + timeout);
                }
                c.poll(Duration.ofMillis(200)).forEach(l::apply);
            }
        } catch (RuntimeException e) {
            c.close();
            throw e instanceof AsyncException a ? a : new AsyncException(503, "async queue unavailable",
                    "cannot read the ledger topic " + s.ledgerTopic() + ": " + e.getMessage(), e);
        }
        l.thread.start();
        return l;
    }

    private void read() {
        while (running) {
            try {
                reader.poll(Duration.ofMillis(500)).forEach(this::apply);
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "reading the async ledger failed; trying again", e);
                try {
                    TimeUnit.SECONDS.sleep(1);
                } catch (InterruptedException x) {
                    return;
                }
            }
        }
    }

    private void apply(ConsumerRecord<byte[], byte[]> r) {
        String id = new String(r.key(), StandardCharsets.UTF_8);
        if (r.value() == null) {
            LedgerEntry gone = entries.remove(id);
            if (gone != null) {
                gone.idemKey().ifPresent(k -> keys.remove(gone.function() + "\n" + k, id));
            }
            return;
        }
        try {
            apply(LedgerEntry.decode(r.value()));
        } catch (IllegalArgumentException e) {
            LOG.warning("skipping ledger record " + id + " at " + r.topic() + "/" + r.partition() + "@" + r.offset()
                    + ": " + e.getMessage());
        }
    }

    private void apply(LedgerEntry e) {
        entries.merge(e.id(), e, (old, now) -> now.updatedAt() >= old.updatedAt() ? now : old);
        e.idemKey().ifPresent(k -> keys.putIfAbsent(e.function() + "\n" + k, e.id()));
    }

    /** Writes {@code e}; completes when the brokers have it (all in-sync replicas). */
    CompletableFuture<Void> write(LedgerEntry e) {
        apply(e);
        CompletableFuture<Void> done = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(topic, e.id().getBytes(StandardCharsets.UTF_8), e.encode()), (m, x) -> {
            if (x != null) {
                done.completeExceptionally(x);
            } else {
                done.complete(null);
            }
        });
        return done;
    }

    /** Deletes the entry of {@code id} (a tombstone). */
    void delete(String id) {
        LedgerEntry gone = entries.remove(id);
        if (gone != null) {
            gone.idemKey().ifPresent(k -> keys.remove(gone.function() + "\n" + k, id));
        }
        producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), null));
    }

    Optional<LedgerEntry> get(String id) {
        return Optional.ofNullable(entries.get(id));
    }

    /** The first invocation with this idempotency key for {@code function}, accepted at or after {@code since}. */
    Optional<String> firstWithKey(String function, String key, long since) {
        return Optional.ofNullable(keys.get(function + "\n" + key)).filter(id -> {
            LedgerEntry e = entries.get(id);
            return e != null && e.enqueuedAt() >= since;
        });
    }

    List<LedgerEntry> dead(String function, int limit) {
        return entries.values().stream().filter(e -> e.function().equals(function) && e.state() == EventState.DEAD)
                .sorted(Comparator.comparingLong(LedgerEntry::finishedAt).thenComparing(LedgerEntry::id).reversed())
                .limit(limit).toList();
    }

    List<LedgerEntry> all() {
        return List.copyOf(entries.values());
    }

    /** How many entries this node holds, by state (for logs and tests). */
    Map<EventState, Integer> counts() {
        Map<EventState, Integer> out = new HashMap<>();
        entries.values().forEach(e -> out.merge(e.state(), 1, Integer::sum));
        return out;
    }

    @Override
    public void close() {
        running = false;
        reader.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reader.close(Duration.ofSeconds(5));
    }
}
