package dev.nest.plugins.kafka;

import dev.nest.async.AsyncException;
import dev.nest.async.Enqueued;
import dev.nest.async.Event;
import dev.nest.async.EventQueue;
import dev.nest.async.EventState;
import dev.nest.async.EventStatus;
import dev.nest.async.NewEvent;
import dev.nest.async.Result;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code async.queue: kafka}: async invocations in a Kafka topic consumed by a share group (KIP-932) that every
 * node joins, so any node delivers any event and a dead node's events go to the others when their locks end.
 *
 * <p>Enqueue: the event is produced (idempotent producer, {@code acks=all}, {@code min.insync.replicas} 2 when
 * replicated) together with its ledger entry, and the future completes when the brokers acknowledged both: the
 * gateway's 202 comes after that. A repeated idempotency key (per function, 24 h) is found in the ledger.
 *
 * <p>Delivery: {@link ShareWorker}s acquire records; due ones are handed out by {@link #lease} (at most
 * {@code room} per function; the lease lasts as long as the record's acquisition lock, not {@code leaseFor}).
 * Outcomes: a success writes the ledger then acknowledges {@code ACCEPT}; a retry produces the event again with
 * the next attempt and its due time, then acknowledges the original ({@code ACCEPT}); a final failure writes
 * {@code FAILED}, a dead letter writes {@code DEAD} with the request (for redrive) and acknowledges {@code REJECT}
 * (Kafka archives it). An outcome that cannot be stored throws, and the record is delivered again when its lock
 * ends (at least once).
 *
 * <p>Limits: a function that runs longer than the lock ({@code async.kafka.lock-time}) may run twice; the ledger
 * is held in memory on every node ({@link Ledger}). Threads: every method from any thread.
 */
final class KafkaEventQueue implements EventQueue {
    private static final Logger LOG = Logger.getLogger(KafkaEventQueue.class.getName());

    private final KafkaQueueSettings settings;
    private final Producer<byte[], byte[]> producer;
    private final Ledger ledger;
    private final Clock clock;
    private final Runnable wake;
    private final List<ShareWorker> workers = new ArrayList<>();
    private final ConcurrentLinkedQueue<Held> ready = new ConcurrentLinkedQueue<>();
    private final Map<String, Held> leased = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Enqueued>> keysInFlight = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private KafkaEventQueue(KafkaQueueSettings settings, Producer<byte[], byte[]> producer, Ledger ledger, Clock clock,
                            Runnable wake) {
        this.settings = settings;
        this.producer = producer;
        this.ledger = ledger;
        this.clock = clock;
        this.wake = wake;
    }

    /** Opens the queue: the producer, the ledger (read in full), then the share consumers. */
    static KafkaEventQueue open(KafkaQueueSettings s, String nodeId, Clock clock, Runnable wake) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "nest-" + nodeId + "-async");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "1");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(s.sendTimeout().toMillis()));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(66 * 1024 * 1024));
        Producer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        Ledger ledger;
        try {
            ledger = Ledger.open(s, "nest-" + nodeId, producer, Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            producer.close(Duration.ofSeconds(5));
            throw e;
        }
        KafkaEventQueue q = new KafkaEventQueue(s, producer, ledger, clock, wake);
        for (int i = 0; i < s.consumers(); i++) {
            q.workers.add(new ShareWorker(s, "nest-" + nodeId + "-async-" + i, q, clock));
        }
        LOG.info("async queue on Kafka " + s.bootstrapServers() + ": topic " + s.topic() + ", share group " + s.group()
                + ", " + s.consumers() + " consumers; ledger " + ledger.counts());
        return q;
    }

    Duration sendTimeout() {
        return settings.sendTimeout();
    }

    void wake() {
        wake.run();
    }

    /** A worker's record is due: it may be leased. */
    void ready(Held h) {
        ready.add(h);
    }

    /** Produces {@code e} to the events topic; completes when all in-sync replicas have it. */
    CompletableFuture<Void> produce(Envelope e) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            producer.send(new ProducerRecord<>(settings.topic(), e.event().id().getBytes(StandardCharsets.UTF_8),
                    e.encode()), (m, x) -> {
                if (x != null) {
                    done.completeExceptionally(x);
                } else {
                    done.complete(null);
                }
            });
        } catch (RuntimeException x) {
            done.completeExceptionally(x);
        }
        return done;
    }

    // ---- enqueue ----------------------------------------------------------------------------------------------

    @Override
    public CompletableFuture<Enqueued> enqueue(NewEvent event) {
        if (closed) {
            return CompletableFuture.failedFuture(new AsyncException(503, "async queue closed", "this node is shutting down"));
        }
        if (event.idempotencyKey().isEmpty()) {
            return store(event);
        }
        String k = event.function() + "\n" + event.idempotencyKey().get();
        Optional<String> first = ledger.firstWithKey(event.function(), event.idempotencyKey().get(),
                clock.millis() - IDEMPOTENCY_WINDOW.toMillis());
        if (first.isPresent()) {
            return CompletableFuture.completedFuture(new Enqueued(first.get(), true));
        }
        CompletableFuture<Enqueued> mine = new CompletableFuture<>();
        CompletableFuture<Enqueued> earlier = keysInFlight.putIfAbsent(k, mine);
        if (earlier != null) {
            return earlier.thenApply(e -> new Enqueued(e.id(), true));
        }
        store(event).whenComplete((ok, x) -> {
            keysInFlight.remove(k, mine);
            if (x != null) {
                mine.completeExceptionally(x);
            } else {
                mine.complete(ok);
            }
        });
        return mine;
    }

    private CompletableFuture<Enqueued> store(NewEvent event) {
        long at = event.enqueuedAt().toEpochMilli();
        LedgerEntry queued = new LedgerEntry(event.id(), event.function(), EventState.QUEUED, 0, at, at, 0, 0, "",
                Optional.empty(), 0, event.idempotencyKey(), Optional.empty(), clock.millis());
        CompletableFuture<Void> sent = produce(new Envelope(event, 0, 0, at));
        CompletableFuture<Void> noted = ledger.write(queued);
        return CompletableFuture.allOf(sent, noted).handle((ok, x) -> {
            if (x != null) {
                Throwable c = x.getCause() != null ? x.getCause() : x;
                throw new AsyncException(503, "async queue unavailable", "Kafka did not acknowledge the invocation: "
                        + c.getMessage(), c);
            }
            return new Enqueued(event.id(), false);
        });
    }

    // ---- leases and outcomes ----------------------------------------------------------------------------------

    @Override
    public List<Event> lease(int max, Duration leaseFor, ToIntFunction<String> room) {
        List<Event> out = new ArrayList<>();
        Map<String, Integer> taken = new HashMap<>();
        for (Iterator<Held> it = ready.iterator(); it.hasNext() && out.size() < max; ) {
            Held h = it.next();
            if (h.state.get() != Held.State.READY) {
                it.remove();
                continue;
            }
            if (dropOnLease(ledger.get(h.id()).map(LedgerEntry::state))) { // cancelled while it waited: never runs
                if (h.move(Held.State.READY, Held.State.DONE)) {
                    h.worker.acknowledge(h, AcknowledgeType.ACCEPT);
                }
                it.remove();
                continue;
            }
            String f = h.envelope.event().function();
            int t = taken.getOrDefault(f, 0);
            if (t >= room.applyAsInt(f) || !h.move(Held.State.READY, Held.State.LEASED)) {
                continue;
            }
            it.remove();
            taken.put(f, t + 1);
            leased.put(h.id(), h);
            out.add(new Event(h.envelope.event(), h.envelope.attempt(), h.envelope.rejections(),
                    Instant.ofEpochMilli(h.lockEnds)));
            NewEvent e = h.envelope.event();
            ledger.write(new LedgerEntry(e.id(), e.function(), EventState.RUNNING, h.envelope.attempt(),
                    e.enqueuedAt().toEpochMilli(), 0, 0, 0, "", Optional.empty(), 0, e.idempotencyKey(), Optional.empty(),
                    clock.millis()));
        }
        return out;
    }

    private Held take(String id) {
        Held h = leased.remove(id);
        if (h == null) {
            throw new AsyncException(503, "async queue", "async invocation " + id + " is not leased on this node "
                    + "(its Kafka lock ended and it was released); its outcome is not recorded");
        }
        return h;
    }

    private void settle(Held h, AcknowledgeType type) {
        if (h.move(Held.State.LEASED, Held.State.DONE)) {
            h.worker.acknowledge(h, type);
        } else {
            LOG.warning("async invocation " + h.id() + " finished after its Kafka lock ended; it may run again");
        }
    }

    private void await(CompletableFuture<?> f, String what) {
        try {
            f.get(settings.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            throw new AsyncException(503, "async queue unavailable", what + ": " + c.getMessage(), c);
        }
    }

    private LedgerEntry entry(NewEvent e, EventState state, int attempt, long nextTry, Result r, Optional<byte[]> result,
                              long finishedAt, Optional<NewEvent> request) {
        return new LedgerEntry(e.id(), e.function(), state, attempt, e.enqueuedAt().toEpochMilli(), nextTry, r.status(),
                r.durationMs(), cut(r.error()), result, finishedAt, e.idempotencyKey(), request, clock.millis());
    }

    @Override
    public void succeeded(String id, int attempt, Result result) {
        Held h = take(id);
        byte[] kept = result.body().length <= MAX_RESULT ? result.body() : Arrays.copyOf(result.body(), MAX_RESULT);
        await(ledger.write(entry(h.envelope.event(), EventState.SUCCEEDED, attempt, 0, result, Optional.of(kept),
                clock.millis(), Optional.empty())), "the outcome of " + id + " was not stored");
        settle(h, AcknowledgeType.ACCEPT);
    }

    @Override
    public void retry(String id, int attempt, int rejections, Instant at, Result last) {
        Held h = take(id);
        NewEvent e = h.envelope.event();
        await(produce(new Envelope(e, attempt, rejections, at.toEpochMilli())), "the retry of " + id + " was not stored");
        ledger.write(entry(e, EventState.RETRYING, attempt, at.toEpochMilli(), last, Optional.empty(), 0, Optional.empty()));
        settle(h, AcknowledgeType.ACCEPT);
    }

    @Override
    public void finish(String id, int attempt, Result last) {
        Held h = take(id);
        await(ledger.write(entry(h.envelope.event(), EventState.FAILED, attempt, 0, last, Optional.empty(),
                clock.millis(), Optional.empty())), "the outcome of " + id + " was not stored");
        settle(h, AcknowledgeType.ACCEPT);
    }

    @Override
    public void dead(String id, int attempt, Result last) {
        Held h = take(id);
        await(ledger.write(entry(h.envelope.event(), EventState.DEAD, attempt, 0, last, Optional.empty(),
                clock.millis(), Optional.of(h.envelope.event()))), "the dead letter " + id + " was not stored");
        settle(h, AcknowledgeType.REJECT);
    }

    // ---- cancel (cron concurrency: replace) -----------------------------------------------------------------------

    @Override
    public boolean cancels() {
        return true;
    }

    /**
     * Withdraws an event that waits (its ledger entry {@code QUEUED} or {@code RETRYING}, not leased on this node): a
     * {@code CANCELLED} entry is written to the ledger topic (awaited), and whichever node's share consumer acquires
     * the record later drops it unrun ({@link #lease}). Kafka cannot take a record back out of a topic, so the record
     * stays until then. Limit: a node that leases the record before the cancelled entry reached it (the ledger is
     * read asynchronously on every node, normally within milliseconds) runs it; its outcome then replaces the
     * cancelled entry. A running event is not withdrawn here: the dispatcher that delivers it stops it
     * ({@code Dispatcher#cancel}, reached on each node through the peer stop route) and records {@link #cancelled}.
     */
    @Override
    public boolean cancel(String id, String reason) {
        Optional<LedgerEntry> e = ledger.get(id);
        if (!withdrawable(e.map(LedgerEntry::state), leased.containsKey(id))) {
            return false;
        }
        LedgerEntry w = e.get();
        await(ledger.write(new LedgerEntry(w.id(), w.function(), EventState.CANCELLED, w.attempt(), w.enqueuedAt(), 0,
                w.status(), w.durationMs(), cut(reason), Optional.empty(), clock.millis(), w.idemKey(), Optional.empty(),
                clock.millis())), "the cancel of " + id + " was not stored");
        return true;
    }

    /** A leased event's attempt was stopped on purpose: {@code CANCELLED} in the ledger, acknowledged (not retried). */
    @Override
    public void cancelled(String id, int attempt, Result last) {
        Held h = take(id);
        await(ledger.write(entry(h.envelope.event(), EventState.CANCELLED, attempt, 0, last, Optional.empty(),
                clock.millis(), Optional.empty())), "the cancel of " + id + " was not stored");
        settle(h, AcknowledgeType.ACCEPT);
    }

    /** Whether {@link #cancel} withdraws an event in this ledger state (table-tested). */
    static boolean withdrawable(Optional<EventState> state, boolean leasedHere) {
        return !leasedHere && state.filter(s -> s == EventState.QUEUED || s == EventState.RETRYING).isPresent();
    }

    /** Whether an acquired record is dropped instead of leased: its event was cancelled (table-tested). */
    static boolean dropOnLease(Optional<EventState> state) {
        return state.filter(s -> s == EventState.CANCELLED).isPresent();
    }

    @Override
    public int redrive(String function, Optional<String> id) {
        int n = 0;
        for (LedgerEntry d : id.isPresent() ? ledger.get(id.get()).filter(e -> e.function().equals(function)
                && e.state() == EventState.DEAD).stream().toList() : ledger.dead(function, Integer.MAX_VALUE)) {
            if (d.request().isEmpty()) {
                continue;
            }
            NewEvent old = d.request().get();
            Instant now = clock.instant();
            NewEvent again = new NewEvent(old.id(), old.function(), old.method(), old.path(), old.query(), old.headers(),
                    old.body(), old.idempotencyKey(), now);
            await(produce(new Envelope(again, 0, 0, now.toEpochMilli())), "the redrive of " + d.id() + " was not stored");
            ledger.write(new LedgerEntry(d.id(), d.function(), EventState.QUEUED, 0, now.toEpochMilli(),
                    now.toEpochMilli(), 0, 0, "", Optional.empty(), 0, old.idempotencyKey(), Optional.empty(),
                    clock.millis()));
            n++;
        }
        return n;
    }

    @Override
    public Optional<EventStatus> status(String id) {
        return ledger.get(id).map(LedgerEntry::view);
    }

    @Override
    public List<EventStatus> deadLetters(String function, int limit) {
        return ledger.dead(function, limit).stream().map(LedgerEntry::view).toList();
    }

    @Override
    public Optional<NewEvent> request(String id) {
        Held h = leased.get(id);
        return h != null ? Optional.of(h.envelope.event()) : ledger.get(id).flatMap(LedgerEntry::request);
    }

    @Override
    public int purge(Instant finishedBefore) {
        long now = clock.millis();
        long keyWindow = now - IDEMPOTENCY_WINDOW.toMillis();
        long deadBefore = Math.min(finishedBefore.toEpochMilli(), now - DEAD_LETTER_RETENTION.toMillis());
        int n = 0;
        for (LedgerEntry e : ledger.all()) {
            boolean old = switch (e.state()) {
                case SUCCEEDED, FAILED, CANCELLED -> e.finishedAt() > 0 && e.finishedAt() < finishedBefore.toEpochMilli();
                case DEAD -> e.finishedAt() > 0 && e.finishedAt() < deadBefore;
                default -> false;
            };
            if (old && (e.idemKey().isEmpty() || e.enqueuedAt() < keyWindow)) {
                ledger.delete(e.id());
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        workers.forEach(ShareWorker::close);
        try {
            ledger.close();
        } finally {
            producer.close(Duration.ofSeconds(10));
        }
    }

    private static String cut(String s) {
        return s.length() <= 2000 ? s : s.substring(0, 1999) + "…";
    }

}
