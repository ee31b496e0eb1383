package dev.nest.pool;

/**
 * The state of one runtime's pool on this node, for {@code GET /api/v1/pools} and the metrics.
 *
 * @param runtime   the runtime
 * @param size      pods the pool keeps (its target)
 * @param ready     pods started, healthy and waiting to be handed out
 * @param starting  pods being started
 * @param memoryMb  memory of every pod of the pool (the runtime's default); functions with more never take one
 * @param hits      cold starts served by a pool pod since the node started
 * @param misses    cold starts that found the pool empty
 * @param lastError why the latest start failed, empty once a start succeeds
 * @param retryInMs while starts fail: how long until the next attempt; 0 otherwise
 */
public record PoolStatus(String runtime, int size, int ready, int starting, int memoryMb, long hits, long misses,
                         String lastError, long retryInMs) {
}
