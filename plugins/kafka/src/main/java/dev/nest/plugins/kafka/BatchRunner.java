package dev.nest.plugins.kafka;

import dev.nest.plugins.kafka.TriggerBatches.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Runs one batch of a Kafka trigger to its end: when {@link #run} returns, every record of the batch has either
 * succeeded, or gone to the dead-letter topic, or (without one) been logged and skipped, so the caller may commit
 * the batch's offsets. Nothing else ends a batch: a closing source interrupts the thread, and {@link #run} throws
 * {@link InterruptedException} (the caller then commits nothing and the records are read again).
 *
 * <p>The rule: a batch that fails as a whole is split in halves, each run on its own (left first, so a partition's
 * order is kept), down to single records; records the function names as failed ({@code batchItemFailures}) are run
 * again on their own as a smaller batch. A single record that fails is tried {@code retries} more times (waits of
 * 1 s, 2 s, 4 s ... at most 30 s), then dead-lettered. Busy answers (429, 503) and unreachable functions are retried
 * as they are, without counting and without end, as is a dead-letter send that fails: a record is never skipped
 * unless stored or, without a dead-letter topic, logged. Records may so run more than once (at least once).
 *
 * <p>Threads: one run at a time on the caller's thread (it blocks); the counters may be read from any thread.
 */
final class BatchRunner {
    private static final Logger LOG = Logger.getLogger(BatchRunner.class.getName());
    static final Duration MAX_WAIT = Duration.ofSeconds(30);

    /** Delivers a batch to the function and waits for its answer. */
    interface Deliver {
        Outcome deliver(List<TriggerRecord> batch) throws InterruptedException;
    }

    /** Stores a record that failed for good (the dead-letter topic); throws when it could not. */
    interface DeadLetters {
        /** Whether records go anywhere; without, they are logged and skipped. */
        boolean configured();

        void send(TriggerRecord record, String error, int attempts) throws Exception;
    }

    /** Waits (the source's thread; a test's fake returns at once). */
    interface Pause {
        void sleep(Duration d) throws InterruptedException;
    }

    private final Deliver deliver;
    private final DeadLetters deadLetters;
    private final Pause pause;
    private final int retries;
    private final String label;
    final AtomicLong deliveries = new AtomicLong();
    final AtomicLong deadLettered = new AtomicLong();
    final AtomicLong skipped = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    private volatile String lastError = "";

    BatchRunner(Deliver deliver, DeadLetters deadLetters, Pause pause, int retries, String label) {
        this.deliver = deliver;
        this.deadLetters = deadLetters;
        this.pause = pause;
        this.retries = retries;
        this.label = label;
    }

    String lastError() {
        return lastError;
    }

    /** The wait before the {@code n}-th retry (1-based): 1 s doubling, at most {@link #MAX_WAIT}. */
    static Duration backoff(int n) {
        int shift = Math.min(Math.max(n - 1, 0), 5);
        Duration d = Duration.ofSeconds(1L << shift);
        return d.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : d;
    }

    /** Runs {@code batch} until every record succeeded or was dead-lettered (see the class comment). */
    void run(List<TriggerRecord> batch) throws InterruptedException {
        if (batch.isEmpty()) {
            return;
        }
        int busy = 0;
        int failed = 0;
        while (true) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("closing");
            }
            deliveries.incrementAndGet();
            Outcome o = deliver.deliver(batch);
            switch (o) {
                case Outcome.Ok ok -> {
                    return;
                }
                case Outcome.Transient t -> {
                    lastError = t.error();
                    pause.sleep(backoff(++busy));
                    continue;
                }
                case Outcome.ItemFailures f when f.failed().size() < batch.size() -> {
                    failures.incrementAndGet();
                    lastError = "the function reported " + f.failed().size() + " of " + batch.size() + " records failed";
                    run(f.failed());
                    return;
                }
                default -> {
                }
            }
            failures.incrementAndGet();
            String error = o instanceof Outcome.Failed f ? f.error() : "the function reported the record failed";
            lastError = error;
            if (batch.size() > 1) {
                int half = batch.size() / 2;
                run(batch.subList(0, half));
                run(batch.subList(half, batch.size()));
                return;
            }
            failed++;
            if (failed <= retries) {
                pause.sleep(backoff(failed));
                continue;
            }
            deadLetter(batch.getFirst(), error, failed);
            return;
        }
    }

    private void deadLetter(TriggerRecord r, String error, int attempts) throws InterruptedException {
        if (!deadLetters.configured()) {
            skipped.incrementAndGet();
            LOG.warning(label + ": record " + r.origin() + " failed " + attempts + " times and is skipped (no "
                    + "dead-letter-topic): " + error);
            return;
        }
        int tries = 0;
        while (true) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("closing");
            }
            try {
                deadLetters.send(r, error, attempts);
                deadLettered.incrementAndGet();
                LOG.warning(label + ": record " + r.origin() + " failed " + attempts + " times; sent to the "
                        + "dead-letter topic: " + error);
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                lastError = "dead-letter send failed: " + e.getMessage();
                LOG.warning(label + ": " + lastError + " (record " + r.origin() + "; retrying)");
                pause.sleep(backoff(++tries));
            }
        }
    }
}
