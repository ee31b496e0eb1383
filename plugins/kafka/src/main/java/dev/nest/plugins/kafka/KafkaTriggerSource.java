package dev.nest.plugins.kafka;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.plugins.kafka.TriggerBatches.Outcome;
import dev.nest.trigger.InvocationSink;
import dev.nest.trigger.TriggerContext;
import dev.nest.trigger.TriggerEvent;
import dev.nest.trigger.TriggerSource;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A running {@code type: kafka} trigger on one node: a member of the trigger's consumer group (classic protocol,
 * eager range assignment), so the topic's partitions spread over the nodes and move when one leaves or dies.
 *
 * <p>The poll thread ({@code nest-kafka-trigger-...}) gathers up to {@code batch-size} records (and at most
 * {@link TriggerBatches#MAX_BATCH_BYTES} of them, so large records make smaller batches), waiting at most
 * {@code batch-window} after the first, then pauses every assigned partition and hands the batch to the batch thread,
 * which invokes the function synchronously through the {@link InvocationSink} and runs the {@link BatchRunner} rule
 * (bisection, retries, dead letters). The poll thread keeps polling while paused (so the group never sees it past
 * {@code max.poll.interval.ms}), and once the batch has ended commits, synchronously, each partition's highest
 * offset in the batch plus one, then resumes. Offsets are committed only then: a node that stops or dies mid-batch
 * commits nothing and the group's next owner reads those records again. A partition revoked while its batch runs
 * is not committed by this node (its new owner runs those records again: at least once).
 *
 * <p>Limits: one batch in flight per trigger per node (partitions of one node are not run in parallel). Two lags:
 * {@code lag} in {@link #status} is the sum over this node's partitions of the end offset minus the position, plus the
 * records held but not finished (known locally after every poll); the published one, {@link #metrics}
 * ({@code nest_trigger_lag_records} and per partition {@code nest_trigger_partition_lag_records}), is each owned
 * partition's end offset minus its committed offset, what a crash would read again: asked from the brokers at most
 * once every {@value #LAG_EVERY_MS} ms on the poll thread, each call bounded by {@value #LAG_CALL_MS} ms; when they
 * time out the last figures stay and {@code lagError} says why. A poll thread that ends on an error makes
 * {@link #failure} say so (the manager starts a new source after a back-off).
 * Threads: {@link #start} and {@link #close} from the trigger manager; {@link #status}, {@link #metrics} and
 * {@link #failure} from any thread.
 */
final class KafkaTriggerSource implements TriggerSource {
    private static final Logger LOG = Logger.getLogger(KafkaTriggerSource.class.getName());
    private static final Duration IDLE_POLL = Duration.ofMillis(500);
    private static final Duration BUSY_POLL = Duration.ofMillis(50);
    static final long LAG_EVERY_MS = 5_000;
    static final long LAG_CALL_MS = 2_000;

    private final TriggerContext context;
    private final KafkaTriggerSettings settings;
    private final String group;
    private final String label;
    private final BatchRunner runner;
    private final ExecutorService batchThread;
    private volatile boolean closed;
    private volatile Thread pollThread;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private KafkaProducer<byte[], byte[]> producer;

    // poll thread only
    private final List<TriggerRecord> buffer = new ArrayList<>();
    private long bufferSince;
    private Future<?> inFlight;
    private List<TriggerRecord> inFlightBatch = List.of();
    private final Set<TopicPartition> revokedInFlight = new HashSet<>();

    // status, any thread
    private volatile long lag = -1;
    private volatile List<Integer> partitions = List.of();
    private volatile long processed;
    private volatile long batches;
    private volatile String state = "starting";
    private volatile String lastCommitError = "";
    /** Committed lag by partition (end offset minus committed offset), measured every {@link #LAG_EVERY_MS}. */
    private volatile Map<Integer, Long> committedLag = Map.of();
    private volatile String lagError = "";
    private long lagMeasuredAt = Long.MIN_VALUE; // poll thread only

    KafkaTriggerSource(TriggerContext context, KafkaTriggerSettings settings) {
        this.context = context;
        this.settings = settings;
        this.group = settings.groupFor(context.function().namespace(), context.function().name(), context.name());
        this.label = "kafka trigger " + context.function() + "/" + context.name();
        this.batchThread = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon()
                .name("nest-kafka-trigger-batch-" + context.function().name() + "-" + context.name()).unstarted(r));
        this.runner = new BatchRunner(this::deliver, new Dlt(), d -> Thread.sleep(d.toMillis()), settings.retries(),
                label);
    }

    @Override
    public void start() {
        pollThread = Thread.ofPlatform().daemon().name("nest-kafka-trigger-" + context.function().name() + "-"
                + context.name()).start(this::run);
    }

    private Properties consumerProperties() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "nest-trigger-" + context.function().namespace() + "-"
                + context.function().name() + "-" + context.name());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, settings.start().label());
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(settings.batchSize()));
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, List.of(RangeAssignor.class));
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "3000");
        return p;
    }

    private void run() {
        Thread.currentThread().setContextClassLoader(KafkaTriggerSource.class.getClassLoader());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer = c;
            if (closed) {
                return;
            }
            c.subscribe(List.of(settings.topic()), new Listener());
            state = "running";
            while (!closed) {
                ConsumerRecords<byte[], byte[]> got;
                try {
                    got = c.poll(pollTimeout());
                } catch (WakeupException e) {
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> r : got) {
                    if (buffer.isEmpty()) {
                        bufferSince = context.clock().millis();
                    }
                    buffer.add(of(r));
                }
                finishIfDone();
                dispatchIfReady();
                measure();
                measureCommitted(c);
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            state = "failed: " + e;
            LOG.log(Level.WARNING, label + " stopped: " + e, e);
        } finally {
            if (inFlight != null) {
                inFlight.cancel(true);
            }
            consumer = null;
            if (!state.startsWith("failed")) {
                state = "stopped";
            }
        }
    }

    private Duration pollTimeout() {
        if (inFlight != null) {
            return BUSY_POLL;
        }
        if (!buffer.isEmpty()) {
            long left = settings.batchWindow().toMillis() - (context.clock().millis() - bufferSince);
            return Duration.ofMillis(Math.max(0, Math.min(left, IDLE_POLL.toMillis())));
        }
        return IDLE_POLL;
    }

    private void dispatchIfReady() {
        if (inFlight != null || buffer.isEmpty()) {
            return;
        }
        boolean full = TriggerBatches.full(buffer, settings.batchSize(), TriggerBatches.MAX_BATCH_BYTES);
        boolean due = context.clock().millis() - bufferSince >= settings.batchWindow().toMillis();
        if (!full && !due) {
            return;
        }
        int n = TriggerBatches.take(buffer, settings.batchSize(), TriggerBatches.MAX_BATCH_BYTES);
        List<TriggerRecord> batch = List.copyOf(buffer.subList(0, n));
        buffer.subList(0, n).clear();
        bufferSince = context.clock().millis();
        consumer.pause(consumer.assignment());
        revokedInFlight.clear();
        inFlightBatch = batch;
        inFlight = batchThread.submit(() -> {
            runner.run(batch);
            return null;
        });
    }

    /** Commits and resumes once the batch in flight has ended; a failed batch (closing) commits nothing. */
    private void finishIfDone() {
        if (inFlight == null || !inFlight.isDone()) {
            return;
        }
        Future<?> done = inFlight;
        List<TriggerRecord> batch = inFlightBatch;
        inFlight = null;
        inFlightBatch = List.of();
        try {
            done.get(0, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | java.util.concurrent.CancellationException e) {
            LOG.log(Level.WARNING, label + ": a batch ended without finishing; its records will be read again", e);
            rewind(batch);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> commit = commitsFor(batch, consumer.assignment(), revokedInFlight);
        try {
            if (!commit.isEmpty()) {
                consumer.commitSync(commit);
            }
            lastCommitError = "";
        } catch (RuntimeException e) {
            lastCommitError = e.toString();
            LOG.warning(label + ": commit failed, the batch's records will be read again: " + e);
        }
        processed += batch.size();
        batches++;
        consumer.resume(consumer.paused());
    }

    /** Reads {@code batch}'s records again: back to each owned partition's first offset in it, held ones dropped. */
    private void rewind(List<TriggerRecord> batch) {
        Map<TopicPartition, Long> first = new HashMap<>();
        for (TriggerRecord r : batch) {
            first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
        }
        Set<TopicPartition> owned = consumer.assignment();
        first.forEach((tp, offset) -> {
            if (owned.contains(tp) && !revokedInFlight.contains(tp)) {
                consumer.seek(tp, offset);
                buffer.removeIf(r -> r.topic().equals(tp.topic()) && r.partition() == tp.partition());
            }
        });
        consumer.resume(consumer.paused());
    }

    /** Each partition's next offset after {@code batch}, for the partitions still owned since it started. */
    static Map<TopicPartition, OffsetAndMetadata> commitsFor(List<TriggerRecord> batch, Set<TopicPartition> owned,
                                                             Set<TopicPartition> revoked) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TriggerRecord r : batch) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            if (!owned.contains(tp) || revoked.contains(tp)) {
                continue;
            }
            OffsetAndMetadata prev = out.get(tp);
            if (prev == null || prev.offset() < r.offset() + 1) {
                out.put(tp, new OffsetAndMetadata(r.offset() + 1));
            }
        }
        return out;
    }

    private void measure() {
        KafkaConsumer<byte[], byte[]> c = consumer;
        long sum = 0;
        boolean known = true;
        List<Integer> parts = new ArrayList<>();
        for (TopicPartition tp : c.assignment()) {
            parts.add(tp.partition());
            OptionalLong l = c.currentLag(tp);
            if (l.isPresent()) {
                sum += l.getAsLong();
            } else {
                known = false;
            }
        }
        parts.sort(null);
        partitions = List.copyOf(parts);
        lag = known ? sum + buffer.size() + inFlightBatch.size() : -1;
    }

    /** The committed lag of the owned partitions, from the brokers, at most every {@link #LAG_EVERY_MS} (poll thread). */
    private void measureCommitted(KafkaConsumer<byte[], byte[]> c) {
        long now = context.clock().millis();
        if (lagMeasuredAt != Long.MIN_VALUE && now - lagMeasuredAt < LAG_EVERY_MS) {
            return;
        }
        lagMeasuredAt = now;
        Set<TopicPartition> owned = c.assignment();
        if (owned.isEmpty()) {
            committedLag = Map.of();
            return;
        }
        try {
            Map<TopicPartition, Long> end = c.endOffsets(owned, Duration.ofMillis(LAG_CALL_MS));
            Map<TopicPartition, OffsetAndMetadata> committed = c.committed(owned, Duration.ofMillis(LAG_CALL_MS));
            Map<TopicPartition, Long> local = new HashMap<>();
            for (TopicPartition tp : owned) {
                c.currentLag(tp).ifPresent(l -> local.put(tp, l));
            }
            committedLag = committedLag(owned, end, committed, local);
            lagError = "";
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            lagError = e.toString();
        }
    }

    /**
     * Each owned partition's lag: its end offset minus its committed offset; a partition with nothing committed yet
     * counts what the consumer has not read ({@code uncommitted}, end minus position), and one with no end offset is
     * left out. Never negative.
     */
    static Map<Integer, Long> committedLag(Set<TopicPartition> owned, Map<TopicPartition, Long> end,
                                           Map<TopicPartition, OffsetAndMetadata> committed,
                                           Map<TopicPartition, Long> uncommitted) {
        Map<Integer, Long> out = new java.util.TreeMap<>();
        for (TopicPartition tp : owned) {
            Long e = end.get(tp);
            if (e == null) {
                continue;
            }
            OffsetAndMetadata c = committed.get(tp);
            if (c != null) {
                out.put(tp.partition(), Math.max(0, e - c.offset()));
            } else if (uncommitted.containsKey(tp)) {
                out.put(tp.partition(), Math.max(0, uncommitted.get(tp)));
            }
        }
        return Map.copyOf(out);
    }

    @Override
    public List<dev.nest.trigger.TriggerMetric> metrics() {
        List<dev.nest.trigger.TriggerMetric> m = new ArrayList<>();
        Map<Integer, Long> lagNow = committedLag;
        m.add(dev.nest.trigger.TriggerMetric.gauge("lag_records", "Records of the partitions this node consumes "
                + "that are not committed yet (end offset minus committed offset).",
                lagNow.values().stream().mapToLong(Long::longValue).sum()));
        new java.util.TreeMap<>(lagNow).forEach((p, l) -> m.add(dev.nest.trigger.TriggerMetric.gauge(
                "partition_lag_records", "A partition's end offset minus its committed offset, on the node that "
                        + "consumes it.", l, "topic", settings.topic(), "partition", String.valueOf(p))));
        m.add(dev.nest.trigger.TriggerMetric.gauge("partitions", "Partitions this node consumes.",
                partitions.size()));
        m.add(dev.nest.trigger.TriggerMetric.counter("records_total", "Records whose batch ended (delivered, "
                + "dead-lettered or skipped).", processed));
        m.add(dev.nest.trigger.TriggerMetric.counter("batches_total", "Batches ended.", batches));
        m.add(dev.nest.trigger.TriggerMetric.counter("deliveries_total", "Calls of the function (a split batch "
                + "calls it again).", runner.deliveries.get()));
        m.add(dev.nest.trigger.TriggerMetric.counter("failures_total", "Calls of the function that failed.",
                runner.failures.get()));
        m.add(dev.nest.trigger.TriggerMetric.counter("dead_letters_total", "Records sent to the dead-letter topic.",
                runner.deadLettered.get()));
        m.add(dev.nest.trigger.TriggerMetric.counter("skipped_total", "Records given up without a dead-letter "
                + "topic.", runner.skipped.get()));
        return m;
    }

    @Override
    public Optional<String> failure() {
        String s = state;
        return s.startsWith("failed") ? Optional.of("its consumer stopped: " + s.substring("failed: ".length()))
                : Optional.empty();
    }

    private static TriggerRecord of(ConsumerRecord<byte[], byte[]> r) {
        List<TriggerRecord.Header> headers = new ArrayList<>();
        for (Header h : r.headers()) {
            headers.add(new TriggerRecord.Header(h.key(), h.value() == null ? new byte[0] : h.value()));
        }
        return new TriggerRecord(r.topic(), r.partition(), r.offset(), r.timestamp(), Optional.ofNullable(r.key()),
                Optional.ofNullable(r.value()), headers);
    }

    private Outcome deliver(List<TriggerRecord> batch) throws InterruptedException {
        TriggerEvent event = new TriggerEvent("application/json",
                TriggerBatches.encode(context.name(), settings.topic(), batch), List.of(), Optional.empty());
        try {
            InvocationSink.Response r = context.sink().invoke(context.function(), event).get();
            return TriggerBatches.decode(r, batch);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return new Outcome.Transient("the function could not be reached: " + cause);
        } catch (RuntimeException e) {
            return new Outcome.Transient("the function could not be invoked: " + e);
        }
    }

    /** The dead-letter topic: the record as it was, with {@code nest-*} headers naming the error and the origin. */
    private final class Dlt implements BatchRunner.DeadLetters {
        @Override
        public boolean configured() {
            return settings.deadLetterTopic().isPresent();
        }

        @Override
        public void send(TriggerRecord r, String error, int attempts) throws Exception {
            ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(settings.deadLetterTopic().orElseThrow(),
                    r.key().orElse(null), r.value().orElse(null));
            for (TriggerRecord.Header h : r.headers()) {
                out.headers().add(h.name(), h.value());
            }
            for (String[] h : deadLetterHeaders(r, error, attempts, context.function().toString(), context.name())) {
                out.headers().add(h[0], h[1].getBytes(StandardCharsets.UTF_8));
            }
            producer().send(out).get(30, TimeUnit.SECONDS);
        }
    }

    /** The headers a dead letter gets, name then value. */
    static List<String[]> deadLetterHeaders(TriggerRecord r, String error, int attempts, String function,
                                            String trigger) {
        String e = error.length() > 2000 ? error.substring(0, 2000) : error;
        return List.of(new String[]{"nest-error", e}, new String[]{"nest-attempts", String.valueOf(attempts)},
                new String[]{"nest-origin-topic", r.topic()},
                new String[]{"nest-origin-partition", String.valueOf(r.partition())},
                new String[]{"nest-origin-offset", String.valueOf(r.offset())},
                new String[]{"nest-origin-timestamp", String.valueOf(r.timestamp())},
                new String[]{"nest-function", function}, new String[]{"nest-trigger", trigger});
    }

    private synchronized KafkaProducer<byte[], byte[]> producer() {
        if (producer == null) {
            Thread.currentThread().setContextClassLoader(KafkaTriggerSource.class.getClassLoader());
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
            p.put(ProducerConfig.CLIENT_ID_CONFIG, "nest-trigger-dlt-" + context.function().name() + "-" + context.name());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
            p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
            producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        }
        return producer;
    }

    /** Revoked or lost partitions: their held records are dropped (read again by the next owner), not committed. */
    private final class Listener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> parts) {
            finishIfDone();
            buffer.removeIf(r -> parts.contains(new TopicPartition(r.topic(), r.partition())));
            if (inFlight != null) {
                revokedInFlight.addAll(parts);
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> parts) {
            buffer.removeIf(r -> parts.contains(new TopicPartition(r.topic(), r.partition())));
            if (inFlight != null) {
                revokedInFlight.addAll(parts);
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> parts) {
            if (inFlight != null && !parts.isEmpty()) {
                consumer.pause(parts);
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        batchThread.shutdownNow();
        Thread t = pollThread;
        if (t != null) {
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            batchThread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (producer != null) {
                producer.close(Duration.ofSeconds(5));
                producer = null;
            }
        }
    }

    @Override
    public ObjectNode status() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("state", state);
        n.put("group", group);
        n.put("lag", lag);
        var ps = n.putArray("partitions");
        partitions.forEach(ps::add);
        n.put("batches", batches);
        n.put("records", processed);
        n.put("deliveries", runner.deliveries.get());
        n.put("failures", runner.failures.get());
        n.put("deadLettered", runner.deadLettered.get());
        n.put("skipped", runner.skipped.get());
        if (!runner.lastError().isEmpty()) {
            n.put("lastError", runner.lastError());
        }
        if (!lastCommitError.isEmpty()) {
            n.put("lastCommitError", lastCommitError);
        }
        n.put("committedLag", committedLag.values().stream().mapToLong(Long::longValue).sum());
        if (!lagError.isEmpty()) {
            n.put("lagError", lagError);
        }
        return n;
    }
}
