package dev.nest.store;

import java.time.Instant;
import java.util.Optional;

/**
 * Which log lines to read.
 *
 * @param function   {@code namespace/name}, empty for every function
 * @param invocation only lines of this invocation
 * @param since      read at or after
 * @param until      read before
 * @param before     only lines that come before this position (paging back): older than its time, or at its time
 *                   with a lower sequence number
 * @param after      only lines with a sequence number above this one, oldest first (following)
 * @param limit      at most this many
 */
public record LogQuery(Optional<String> function, Optional<String> invocation, Optional<Instant> since,
                       Optional<Instant> until, Optional<Position> before, Optional<Long> after, int limit) {
    /**
     * A place in this node's lines, ordered by time, then sequence.
     *
     * @param at      a time
     * @param seqBelow at exactly {@code at}, only lines with a sequence number below this
     */
    public record Position(Instant at, long seqBelow) {
    }

    public LogQuery {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + " is not positive");
        }
    }
}
