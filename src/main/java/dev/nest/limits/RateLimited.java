package dev.nest.limits;

/**
 * How many invocations of a function this gateway refused with 429 because of one kind of limit.
 *
 * @param function {@code namespace/name}
 * @param limit    {@code function}, {@code namespace} or {@code token}
 * @param count    refusals since the node started
 */
public record RateLimited(String function, String limit, long count) {
}
