package dev.nest.async;

import dev.nest.common.InvocationIds;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.async.RetryPolicy.Decision;
import dev.nest.async.RetryPolicy.GiveUp;
import dev.nest.async.RetryPolicy.Retry;
import dev.nest.async.RetryPolicy.Succeed;
import dev.nest.function.AsyncSpec;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionVersion;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Drains this node's event queue: one small thread leases due events and hands each to the {@link Invoker},
 * keeping at most {@code async.concurrency} deliveries in flight on the node and at most the function's
 * {@code async.concurrency} (default half of {@code scaling.max}) per function, so async work never takes every
 * instance from synchronous traffic. Each outcome goes through {@link RetryPolicy}; successes and final failures
 * go to the function's {@code on-success} / {@code on-failure} destination as a new event (a JSON record of the
 * invocation), or as a {@code POST} of that record to an HTTP destination on {@code async.destinations.allow}; a
 * final failure without a destination, or whose destination did not take it, is a dead letter.
 *
 * <p>Failure: an event whose function is gone or has no live version is dead; one that is too old is dead;
 * an error of the queue itself is logged and the events stay leased until their lease ends (then they are due
 * again). A crash loses nothing that was acknowledged to a caller: leased events come back.
 *
 * <p>Lifecycle: {@link #start} starts the thread, {@link #close} stops it (deliveries in flight finish on the
 * invoker's threads and are acknowledged if the queue is still open). {@link #tick} is one pass, for tests.
 *
 * <p>Threads: {@link #tick} on the dispatcher thread (or a test's); outcomes are handled on whatever thread
 * completes the invoker's future, which waits there for a destination event's durable enqueue (one group
 * commit) so that the delivery counts as in flight until its outcome is stored; {@link #wake} from any thread.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());

    /** The live version of a function by {@code namespace/name}. */
    public interface Versions {
        Optional<FunctionVersion> live(String function);
    }

    /**
     * Stops an invocation an instance of this node serves now (the gateway's {@code stop}): completes with whether
     * it did, and then the delivery's answer is the stop's.
     */
    public interface Stopper {
        /** Stops nothing. */
        Stopper NONE = (id, reason) -> CompletableFuture.completedFuture(false);

        CompletableFuture<Boolean> stop(String invocationId, String reason);
    }

    /** A stop under way: whether the gateway stopped the run, and whether the event ended cancelled. */
    private record Stop(CompletableFuture<Boolean> stopped, CompletableFuture<Boolean> ended) {
    }

    private final EventQueue queue;
    private final Invoker invoker;
    private final Versions versions;
    private final AsyncConfig config;
    private final Clock clock;
    private final DoubleSupplier random;
    /** Built on the first HTTP destination call (its selector thread too). */
    private final dev.nest.common.Lazy<HttpClient> http = dev.nest.common.Lazy.of(() -> HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build());
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final Semaphore signal = new Semaphore(0);
    /** Events whose delivery is under way here, by id. */
    private final Map<String, Event> delivering = new ConcurrentHashMap<>();
    private final Map<String, Stop> stopping = new ConcurrentHashMap<>();
    private volatile Stopper stopper = Stopper.NONE;
    private volatile boolean running;
    private Thread thread;
    private Instant lastPurge = Instant.EPOCH;

    public Dispatcher(EventQueue queue, Invoker invoker, Versions versions, AsyncConfig config, Clock clock,
                      DoubleSupplier random) {
        this.queue = queue;
        this.invoker = invoker;
        this.versions = versions;
        this.config = config;
        this.clock = clock;
        this.random = random;
    }

    /** Starts the dispatcher thread. */
    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("the dispatcher was started already");
        }
        running = true;
        thread = Thread.ofPlatform().name("nest-async-dispatcher").daemon().start(this::run);
    }

    /** Sets what stops a delivery under way ({@link #cancel}); {@link Stopper#NONE} until set. */
    public void stopsWith(Stopper stopper) {
        this.stopper = stopper;
    }

    /**
     * Cancels event {@code id} of this node's queue: one waiting for its delivery is withdrawn; one being delivered
     * is stopped through the {@link Stopper} (the gateway's stop: withdrawn while it waits for an instance, stopped
     * at its instance here, or at the peer it was forwarded to), and its answer is then recorded as
     * {@link EventState#CANCELLED} instead of going through the retry policy. Completes with true once the event is
     * stored as cancelled; false when it could not be: unknown here, finished, delivered by another node (a shared
     * queue), a stop that failed (it goes on), or a queue that does not {@link EventQueue#cancels cancel}. Any
     * thread.
     */
    public CompletableFuture<Boolean> cancel(String id, String reason) {
        if (!queue.cancels()) {
            return CompletableFuture.completedFuture(false);
        }
        if (!delivering.containsKey(id)) {
            try {
                return CompletableFuture.completedFuture(queue.cancel(id, "cancelled: " + reason));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        Stop s = new Stop(new CompletableFuture<>(), new CompletableFuture<>());
        Stop before = stopping.putIfAbsent(id, s);
        if (before != null) {
            return before.ended();
        }
        CompletableFuture<Boolean> asked;
        try {
            asked = stopper.stop(id, reason);
        } catch (RuntimeException e) {
            asked = CompletableFuture.failedFuture(e);
        }
        asked.whenComplete((ok, x) -> {
            boolean stopped = x == null && ok;
            s.stopped().complete(stopped);
            if (!stopped && stopping.remove(id, s)) {
                s.ended().complete(false);
            }
            // the delivery may have ended before the stop was asked for: nothing will complete it then
            if (stopped && !delivering.containsKey(id) && stopping.remove(id, s)) {
                s.ended().complete(false);
            }
        });
        return s.ended();
    }

    /** Makes the thread look for due events now (after an enqueue, or when a delivery ended). */
    public void wake() {
        if (signal.availablePermits() == 0) {
            signal.release();
        }
    }

    /** Deliveries in flight on this node. */
    public int inFlight() {
        return total.get();
    }

    private void run() {
        while (running) {
            try {
                tick();
                purgeHourly();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "async dispatcher pass failed; trying again", e);
            }
            try {
                if (running) {
                    signal.tryAcquire(config.poll().toMillis(), TimeUnit.MILLISECONDS);
                    signal.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void purgeHourly() {
        Instant now = clock.instant();
        if (now.isAfter(lastPurge.plusSeconds(3600))) {
            lastPurge = now;
            queue.purge(now.minus(config.retention()));
        }
    }

    /** One pass: leases what the caps allow and starts delivering it; the number of deliveries started. */
    public int tick() {
        int free = config.concurrency() - total.get();
        if (free <= 0) {
            return 0;
        }
        List<Event> events = queue.lease(free, config.leaseTime(), this::room);
        for (Event e : events) {
            start(e);
        }
        return events.size();
    }

    private int room(String function) {
        int cap = versions.live(function).map(v -> v.spec().async().concurrency(v.spec().scaling())).orElse(1);
        return cap - inFlight.computeIfAbsent(function, f -> new AtomicInteger()).get();
    }

    private void start(Event e) {
        Instant now = clock.instant();
        Optional<FunctionVersion> live = versions.live(e.function());
        if (live.isEmpty()) {
            queue.dead(e.id(), e.attempt(), Result.error(0, 0, "function " + e.function()
                    + " is not deployed (deleted, or no live version)"));
            return;
        }
        FunctionVersion v = live.get();
        AsyncSpec spec = v.spec().async();
        if (RetryPolicy.expired(spec, e, now)) {
            giveUp(e, spec, new GiveUp(e.attempt(), Result.error(0, 0, "expired: not delivered within max-age "
                    + spec.maxAge())));
            return;
        }
        inFlight.computeIfAbsent(e.function(), f -> new AtomicInteger()).incrementAndGet();
        total.incrementAndGet();
        delivering.put(e.id(), e);
        CompletableFuture<Outcome> f;
        try {
            f = invoker.deliver(e, v);
        } catch (RuntimeException x) {
            f = CompletableFuture.completedFuture(new Outcome.Unreachable(0, "delivery failed: " + x.getMessage()));
        }
        f.exceptionally(x -> new Outcome.Unreachable(0, "delivery failed: " + x.getMessage()))
                .thenAccept(o -> finished(e, spec, o));
    }

    private void finished(Event e, AsyncSpec spec, Outcome o) {
        Stop stop = stopping.remove(e.id());
        boolean cancelled = false;
        try {
            if (stop != null && stopped(stop)) {
                queue.cancelled(e.id(), e.attempt() + 1, switch (o) {
                    case Outcome.Answered a -> new Result(a.status(), a.durationMs(), new byte[0], "cancelled");
                    case Outcome.Refused r -> Result.error(r.status(), 0, "cancelled");
                    case Outcome.Unreachable u -> Result.error(0, u.durationMs(), "cancelled");
                });
                cancelled = true;
                return;
            }
            Decision d = RetryPolicy.decide(spec, e, o, clock.instant(), random);
            switch (d) {
                case Succeed s -> {
                    queue.succeeded(e.id(), s.attempt(), s.result());
                    spec.onSuccess().ifPresent(dest -> sendTo(dest, e, "success", s.attempt(), s.result())
                            .exceptionally(x -> null).join());
                }
                case Retry r -> queue.retry(e.id(), r.attempt(), r.rejections(), r.at(), r.last());
                case GiveUp g -> giveUp(e, spec, g);
            }
        } catch (RuntimeException x) {
            LOG.log(Level.WARNING, "could not record the outcome of async invocation " + e.id()
                    + "; it is delivered again when its lease ends", x);
        } finally {
            delivering.remove(e.id());
            if (stop != null) {
                stop.ended().complete(cancelled);
            }
            inFlight.get(e.function()).decrementAndGet();
            total.decrementAndGet();
            wake();
        }
    }

    /**
     * Whether the gateway stopped this delivery (then its answer is the stop's). It completes on the gateway's loop
     * right after the stop's answer was sent, so this waits microseconds; a loop that never answers counts as no stop.
     */
    private static boolean stopped(Stop stop) {
        try {
            return stop.stopped().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }

    private void giveUp(Event e, AsyncSpec spec, GiveUp g) {
        if (spec.onFailure().isEmpty()) {
            queue.dead(e.id(), g.attempt(), g.last());
            return;
        }
        try {
            sendTo(spec.onFailure().get(), e, "failure", g.attempt(), g.last()).join();
            queue.finish(e.id(), g.attempt(), g.last());
        } catch (RuntimeException x) {
            queue.dead(e.id(), g.attempt(), new Result(g.last().status(), g.last().durationMs(), g.last().body(),
                    g.last().error() + "; the on-failure destination did not take it: " + x.getMessage()));
        }
    }

    /**
     * {@code POST}s the record to an HTTP destination whose host is on {@code async.destinations.allow} (checked
     * again here: the spec may have been deployed under another node's list); no redirects; 10 s; a status other than
     * 2xx fails the future.
     */
    private CompletableFuture<?> post(String url, String id, String condition, byte[] record) {
        Optional<String> refused = config.destinations().refusal(url);
        if (refused.isPresent()) {
            LOG.warning("async invocation " + id + ": " + condition + " destination refused: " + refused.get());
            return CompletableFuture.failedFuture(new IllegalStateException(refused.get()));
        }
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json").header("x-nest-async-source", id)
                .POST(HttpRequest.BodyPublishers.ofByteArray(record)).build();
        return http.get().sendAsync(req, HttpResponse.BodyHandlers.discarding()).thenApply(r -> {
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException(url + " answered " + r.statusCode());
            }
            return r;
        }).whenComplete((ok, x) -> {
            if (x != null) {
                LOG.log(Level.WARNING, "async invocation " + id + ": " + condition + " destination " + url
                        + " did not take the record", x);
            }
        });
    }

    /** Enqueues the destination event: {@code POST /} to the function {@code name} in the event's namespace. */
    private CompletableFuture<?> sendTo(String name, Event e, String condition, int attempt, Result r) {
        FunctionId source = FunctionId.parse(e.function());
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("invocationId", e.id());
        n.put("function", e.function());
        n.put("condition", condition);
        n.put("attempts", attempt);
        n.put("status", r.status());
        n.put("error", r.error());
        Optional<String> text = utf8(r.body());
        if (text.isPresent()) {
            n.put("response", text.get());
        } else {
            n.put("responseBase64", Base64.getEncoder().encodeToString(r.body()));
        }
        n.put("requestBase64", Base64.getEncoder().encodeToString(e.request().body()));
        if (AsyncSpec.isUrl(name)) {
            return post(name, e.id(), condition, n.toString().getBytes(StandardCharsets.UTF_8));
        }
        String destination = FunctionId.of(source.namespace(), name).toString();
        Instant now = clock.instant();
        NewEvent d = new NewEvent(InvocationIds.next(now.toEpochMilli()), destination, "POST", "/", "",
                List.of("content-type", "application/json", "x-nest-async-source", e.id()),
                n.toString().getBytes(StandardCharsets.UTF_8), Optional.of(condition + ":" + e.id()), now);
        return queue.enqueue(d).whenComplete((ok, x) -> {
            if (x != null) {
                LOG.log(Level.WARNING, "async invocation " + e.id() + ": destination " + destination
                        + " did not take the " + condition + " record", x);
            } else {
                wake();
            }
        });
    }

    private static Optional<String> utf8(byte[] b) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        if (t != null) {
            // woken, not interrupted: an interrupt during H2 file I/O would close the database's file channel
            signal.release();
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
