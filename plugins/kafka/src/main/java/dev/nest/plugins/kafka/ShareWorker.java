package dev.nest.plugins.kafka;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One share consumer of the events topic and the thread that owns it (a share consumer is used from one thread).
 * In explicit acknowledgement mode every record of a poll must be acknowledged before the next poll, so the
 * thread polls only when it holds nothing; meanwhile it applies the acknowledgements other threads queue
 * ({@link #acknowledge}) and looks after what it holds:
 * <ul>
 *   <li>a due record is {@code READY} for {@link KafkaEventQueue#lease}; a record not yet due is held until it is
 *       due, but at most {@link HoldRule#HOLD} (so one retry's backoff does not stop this consumer for minutes) and never
 *       into the last {@link HoldRule#MARGIN} of its lock: then it is sent round (a copy is produced, the original
 *       acknowledged), which costs no attempt;</li>
 *   <li>a ready record nobody leased before the last {@code MARGIN} of its lock is sent round the same way;</li>
 *   <li>a leased record whose lock ended without an outcome is released (Kafka has given it to another consumer
 *       already, or does now); the delivery running here may still finish and is then one more run;</li>
 *   <li>a record delivered more than {@link HoldRule#REDELIVERIES} times (nodes died holding it, or its function outlasts
 *       the lock) is sent round before the broker's delivery count limit would archive it.</li>
 * </ul>
 * On {@link #close} it releases what it holds, so other nodes get those records at once.
 */
final class ShareWorker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ShareWorker.class.getName());

    private record Ack(Held held, AcknowledgeType type) {
    }

    private final KafkaEventQueue queue;
    private final KafkaShareConsumer<byte[], byte[]> consumer;
    private final Clock clock;
    private final LinkedBlockingQueue<Ack> acks = new LinkedBlockingQueue<>();
    private final List<Held> mine = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    ShareWorker(KafkaQueueSettings s, String clientId, KafkaEventQueue queue, Clock clock) {
        this.queue = queue;
        this.clock = clock;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, s.group());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put("share.acknowledgement.mode", "explicit");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(s.maxPollRecords()));
        this.consumer = new KafkaShareConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.setAcknowledgementCommitCallback((offsets, error) -> {
            if (error != null) {
                LOG.log(Level.FINE, "acknowledgements of " + offsets.keySet() + " were not accepted (their locks had ended; "
                        + "Kafka delivers those records again): " + error.getMessage());
            }
        });
        consumer.subscribe(List.of(s.topic()));
        this.thread = Thread.ofPlatform().name(clientId).daemon().start(this::run);
    }

    /** Queues an acknowledgement for the owning thread; from any thread. */
    void acknowledge(Held h, AcknowledgeType type) {
        acks.add(new Ack(h, type));
        consumer.wakeup();
    }

    private void run() {
        while (running) {
            try {
                boolean acked = drainAcks();
                if (mine.isEmpty()) {
                    poll();
                } else {
                    acked |= look();
                    if (acked) {
                        consumer.commitAsync();
                    }
                    Ack a = acks.poll(100, TimeUnit.MILLISECONDS);
                    if (a != null) {
                        acks.add(a);
                    }
                }
            } catch (WakeupException e) {
                // an acknowledgement arrived, or close
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "kafka share consumer failed; trying again in a second", e);
                try {
                    TimeUnit.SECONDS.sleep(1);
                } catch (InterruptedException x) {
                    break;
                }
            }
        }
        try {
            drainAcks();
            for (Held h : List.copyOf(mine)) {
                consumer.acknowledge(h.record, AcknowledgeType.RELEASE);
            }
            mine.clear();
            consumer.commitSync(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "releasing held records on close", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private boolean drainAcks() {
        boolean any = false;
        for (Ack a; (a = acks.poll()) != null; ) {
            if (mine.remove(a.held())) {
                consumer.acknowledge(a.held().record, a.type());
                any = true;
            }
        }
        return any;
    }

    private void poll() {
        var records = consumer.poll(Duration.ofMillis(500));
        if (records.isEmpty()) {
            return;
        }
        long now = clock.millis();
        long lock = consumer.acquisitionLockTimeoutMs().orElse(30_000);
        boolean ready = false;
        boolean rejected = false;
        for (ConsumerRecord<byte[], byte[]> r : records) {
            Envelope e;
            try {
                e = Envelope.decode(r.value());
            } catch (IllegalArgumentException x) {
                LOG.warning("rejecting record " + r.topic() + "/" + r.partition() + "@" + r.offset() + ": " + x.getMessage());
                consumer.acknowledge(r, AcknowledgeType.REJECT);
                rejected = true;
                continue;
            }
            HoldRule.Action a = HoldRule.received(now, e.notBefore(), r.deliveryCount().orElse((short) 1));
            Held h = new Held(this, r, e, now, now + lock, a == HoldRule.Action.READY ? Held.State.READY
                    : a == HoldRule.Action.KEEP ? Held.State.WAITING : Held.State.DONE);
            mine.add(h);
            if (a == HoldRule.Action.SEND_ROUND) {
                sendRound(h, "delivered " + r.deliveryCount().orElse((short) 0) + " times");
            } else if (a == HoldRule.Action.READY) {
                queue.ready(h);
                ready = true;
            }
        }
        drainAcks();
        if (rejected) {
            consumer.commitAsync();
        }
        if (ready) {
            queue.wake();
        }
    }

    /** Looks after held records (see the class comment); whether it acknowledged any. */
    private boolean look() {
        long now = clock.millis();
        boolean ready = false;
        for (Held h : List.copyOf(mine)) {
            Held.State state = h.state.get();
            switch (HoldRule.held(state, now, h.receivedAt, h.lockEnds, h.envelope.notBefore())) {
                case READY -> {
                    if (h.move(state, Held.State.READY)) {
                        queue.ready(h);
                        ready = true;
                    }
                }
                case SEND_ROUND -> {
                    if (h.move(state, Held.State.DONE)) {
                        sendRound(h, state == Held.State.WAITING ? "not due yet" : "not leased in time");
                    }
                }
                case RELEASE -> {
                    if (h.move(state, Held.State.DONE)) {
                        LOG.warning("async invocation " + h.id() + " outlasted its Kafka lock; it is released and "
                                + "may run again (raise async.kafka.lock-time above the longest function timeout)");
                        acknowledge(h, AcknowledgeType.RELEASE);
                    }
                }
                case KEEP -> { }
            }
        }
        if (ready) {
            queue.wake();
        }
        return drainAcks();
    }

    /** Produces a copy of the record and acknowledges the original; releases it when the copy is not stored. */
    private void sendRound(Held h, String why) {
        try {
            queue.produce(h.envelope).get(queue.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
            acks.add(new Ack(h, AcknowledgeType.ACCEPT));
        } catch (Exception e) {
            LOG.log(Level.WARNING, "async invocation " + h.id() + " (" + why + ") could not be sent round; released", e);
            acks.add(new Ack(h, AcknowledgeType.RELEASE));
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
