package dev.nest.report;

/**
 * Async invocations of a function or namespace waiting to be delivered.
 *
 * @param depth            how many wait
 * @param oldestAgeSeconds how long the oldest has waited
 */
public record Backlog(long depth, double oldestAgeSeconds) {
}
