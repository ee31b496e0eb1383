package dev.nest.history;

import java.util.List;
import java.util.Optional;

/**
 * One page of the region's history.
 *
 * @param items       the items, newest first
 * @param next        the cursor of the next (older) page, when this one is full
 * @param unreachable the nodes that did not answer in time (their items are missing)
 */
public record Page<T>(List<T> items, Optional<String> next, List<String> unreachable) {
    /** Whether some node's items are missing. */
    public boolean partial() {
        return !unreachable.isEmpty();
    }
}
