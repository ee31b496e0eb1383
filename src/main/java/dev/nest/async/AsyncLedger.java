package dev.nest.async;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/** What the admin API reads and changes of async invocations: the ledger, dead letters and redrive. Thread-safe. */
public interface AsyncLedger {
    /** No async back end: nothing is found, nothing is redriven. */
    AsyncLedger NONE = new AsyncLedger() {
        @Override
        public Optional<EventStatus> status(String id) {
            return Optional.empty();
        }

        @Override
        public List<EventStatus> deadLetters(String function, int limit) {
            return List.of();
        }

        @Override
        public int redrive(String function, Optional<String> id) {
            return 0;
        }
    };

    /** The ledger entry of an async invocation. */
    Optional<EventStatus> status(String id);

    /** A function's dead letters ({@code namespace/name}), newest first. */
    List<EventStatus> deadLetters(String function, int limit);

    /** Sends a function's dead letters again (one by id, or all); the number redriven. */
    int redrive(String function, Optional<String> id);

    /**
     * Cancels an async invocation of this node (see {@link Dispatcher#cancel}): completes with true once it is stored
     * as {@link EventState#CANCELLED}, false when it could not be cancelled. Default: nothing is cancelled.
     */
    default CompletableFuture<Boolean> cancel(String id, String reason) {
        return CompletableFuture.completedFuture(false);
    }

    /** The ledger of {@code queue}; {@code wake} is called after a redrive (the dispatcher's {@link Dispatcher#wake}). */
    static AsyncLedger of(EventQueue queue, Runnable wake) {
        return of(queue, wake, (id, reason) -> CompletableFuture.completedFuture(false));
    }

    /** The ledger of {@code queue} whose {@link #cancel} is {@code cancel} (the dispatcher's). */
    static AsyncLedger of(EventQueue queue, Runnable wake,
                          BiFunction<String, String, CompletableFuture<Boolean>> cancel) {
        return new AsyncLedger() {
            @Override
            public CompletableFuture<Boolean> cancel(String id, String reason) {
                return cancel.apply(id, reason);
            }

            @Override
            public Optional<EventStatus> status(String id) {
                return queue.status(id);
            }

            @Override
            public List<EventStatus> deadLetters(String function, int limit) {
                return queue.deadLetters(function, limit);
            }

            @Override
            public int redrive(String function, Optional<String> id) {
                int n = queue.redrive(function, id);
                if (n > 0) {
                    wake.run();
                }
                return n;
            }
        };
    }
}
