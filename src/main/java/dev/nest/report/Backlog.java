package dev.nest.report;

/**
 * Async invocations of a function or namespace waiting to be delivered.
 *
 * @param depth            how many wait
 * @param oldestAgeSeconds how long the oldest has waited
 */
public record Backlog(long depth, double oldestAgeSeconds) {
    /** Two nodes' backlogs as one: the depths add, the oldest is the older. */
    public Backlog plus(Backlog other) {
        return new Backlog(depth + other.depth, Math.max(oldestAgeSeconds, other.oldestAgeSeconds));
    }
}
