package dev.nest.async;

import java.util.List;
import java.util.Optional;

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

    /** The ledger of {@code queue}; {@code wake} is called after a redrive (the dispatcher's {@link Dispatcher#wake}). */
    static AsyncLedger of(EventQueue queue, Runnable wake) {
        return new AsyncLedger() {
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
