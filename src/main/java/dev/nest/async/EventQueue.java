package dev.nest.async;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToIntFunction;

/**
 * The durable queue and ledger of asynchronous invocations: the SPI a back end implements ({@code async.queue}:
 * {@code h2} is built in, see {@link H2EventQueue}; the {@code kafka} plugin is another), made by its
 * {@link EventQueueProvider}.
 *
 * <p>Contract: {@link #enqueue} completes only when the event survives a crash of the process ({@code kill -9})
 * and of the machine as far as the disk's fsync promises; it completes exceptionally when it cannot be stored.
 * An event is delivered at least once: {@link #lease} hands out due events for {@code leaseFor}; one that is
 * neither {@link #succeeded}, {@link #retry retried}, {@link #finish finished} nor {@link #dead killed} before its
 * lease ends is handed out again. A repeated idempotency key (same function, within {@link #IDEMPOTENCY_WINDOW})
 * gives the first event's id and stores nothing.
 *
 * <p>Threads: every method may be called from any thread.
 */
public interface EventQueue extends AutoCloseable {
    /** How long an idempotency key is remembered per function. */
    Duration IDEMPOTENCY_WINDOW = Duration.ofHours(24);
    /** How long a dead letter is kept at least (when {@code async.retention} is shorter). */
    Duration DEAD_LETTER_RETENTION = Duration.ofDays(14);
    /** The largest result body the ledger keeps. */
    int MAX_RESULT = 256 * 1024;

    /** Stores the event; completes once it is durable. */
    CompletableFuture<Enqueued> enqueue(NewEvent event);

    /**
     * Leases due events, oldest due first: at most {@code max} in all and at most {@code room.applyAsInt(function)}
     * of each function, each for {@code leaseFor}.
     */
    List<Event> lease(int max, Duration leaseFor, ToIntFunction<String> room);

    /** The attempt succeeded: keeps the result (cut to {@link #MAX_RESULT}) and ends the event. */
    void succeeded(String id, int attempt, Result result);

    /** The event waits for another try at {@code at}; {@code attempt} and {@code rejections} are the new counts. */
    void retry(String id, int attempt, int rejections, Instant at, Result last);

    /** The event failed for good and was handed to its {@code on-failure} destination. */
    void finish(String id, int attempt, Result last);

    /** The event failed for good: a dead letter, with its last error. */
    void dead(String id, int attempt, Result last);

    /** Whether this back end can {@link #cancel} waiting events and record {@link #cancelled} ones. */
    default boolean cancels() {
        return false;
    }

    /**
     * Withdraws a waiting event (queued or waiting for a retry, not leased now): it ends {@link EventState#CANCELLED}
     * with {@code reason} as its last error. False when it does not wait here (unknown, leased, or finished), and
     * always on a back end that does not {@link #cancels cancel}.
     */
    default boolean cancel(String id, String reason) {
        return false;
    }

    /**
     * A leased event's attempt was stopped on purpose: it ends {@link EventState#CANCELLED} (not retried, no
     * destination). Only called when {@link #cancels} is true.
     */
    default void cancelled(String id, int attempt, Result last) {
        throw new UnsupportedOperationException("this async queue does not cancel events");
    }

    /** Sends dead letters of {@code function} again (one by id, or all when empty); the number redriven. */
    int redrive(String function, Optional<String> id);

    /** The ledger entry of an event. */
    Optional<EventStatus> status(String id);

    /** The function's dead letters, newest first. */
    List<EventStatus> deadLetters(String function, int limit);

    /** The event's request as enqueued (to hand it to a destination). */
    Optional<NewEvent> request(String id);

    /**
     * Deletes succeeded and failed events that finished before {@code finishedBefore}, and dead letters that
     * finished before that and {@link #DEAD_LETTER_RETENTION} ago; keeps any event whose idempotency key is in its window.
     */
    int purge(Instant finishedBefore);

    /** Stops taking events; already durable ones stay. */
    @Override
    void close();
}
