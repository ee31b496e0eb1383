package dev.nest.limits;

import dev.nest.common.Rate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The token buckets of every limited function, namespace and token on this gateway. A request takes one token from
 * the bucket of each limit that applies to it; when one is empty, the tokens already taken are put back and the
 * request is refused with the time until that bucket has a token again.
 *
 * <p>In a cluster of {@code n} live gateways each enforces {@code 1/n} of a limit: its bucket refills at
 * {@code rate/n} and holds {@code burst/n} (at least 1). When {@code n} or a limit changes, the bucket is reshaped
 * and keeps its tokens. Limits that are spread unevenly over the gateways (a client that always reaches the same
 * node) are enforced at that node's share: the cluster's total is then lower than the limit, never higher.
 *
 * <p>Memory: one small bucket per limited key; when more than {@value #MAX_BUCKETS} exist, full (idle) ones are
 * dropped, which loses nothing (a dropped bucket comes back full). Thread-safe; called on gateway event loops.
 */
final class RateLimits {
    static final int MAX_BUCKETS = 100_000;

    /** What a limit belongs to. */
    enum Kind {
        FUNCTION, NAMESPACE, TOKEN;

        String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One limit that applies to a request.
     *
     * @param kind  function, namespace or token
     * @param name  the function id, namespace or token name
     * @param rate  the cluster-wide rate
     * @param burst the cluster-wide burst
     */
    record Limit(Kind kind, String name, Rate rate, int burst) {
    }

    /**
     * A refusal: the limit whose bucket was empty, and when it will have a token again.
     *
     * @param limit    the limit
     * @param waitNanos nanoseconds until a retry may pass
     */
    record Refusal(Limit limit, long waitNanos) {
    }

    private record Key(Kind kind, String name) {
    }

    private final Map<Key, TokenBucket> buckets = new ConcurrentHashMap<>();

    /**
     * Takes a token for every limit in {@code limits} at {@code now}, each at its share for {@code gateways} live
     * gateways; empty when the request may pass, else the refusal with the longest wait among the empty buckets.
     */
    Optional<Refusal> take(List<Limit> limits, int gateways, long now) {
        Refusal refusal = null;
        int taken = 0;
        TokenBucket[] held = new TokenBucket[limits.size()];
        for (Limit l : limits) {
            TokenBucket b = bucket(l, gateways, now);
            long wait = b.take(now);
            if (wait == 0) {
                held[taken++] = b;
            } else if (refusal == null || wait > refusal.waitNanos()) {
                refusal = new Refusal(l, wait);
            }
        }
        if (refusal == null) {
            return Optional.empty();
        }
        for (int i = 0; i < taken; i++) {
            held[i].giveBack();
        }
        return Optional.of(refusal);
    }

    /** The bucket's capacity for {@code limit} at one gateway of {@code gateways}. */
    static double capacity(Limit limit, int gateways) {
        return Math.max(1.0, (double) limit.burst() / Math.max(1, gateways));
    }

    /** The nanoseconds one gateway of {@code gateways} takes to refill one token of {@code limit}. */
    static double nanosPerToken(Limit limit, int gateways) {
        return limit.rate().nanosPerRequest() * Math.max(1, gateways);
    }

    private TokenBucket bucket(Limit l, int gateways, long now) {
        double capacity = capacity(l, gateways);
        double refill = nanosPerToken(l, gateways);
        Key key = new Key(l.kind(), l.name());
        TokenBucket b = buckets.get(key);
        if (b == null) {
            if (buckets.size() >= MAX_BUCKETS) {
                buckets.values().removeIf(x -> x.tokens(now) >= x.capacity);
            }
            b = buckets.computeIfAbsent(key, k -> new TokenBucket(capacity, refill, now));
        }
        if (b.capacity != capacity || b.nanosPerToken != refill) {
            TokenBucket old = b;
            b = buckets.compute(key, (k, cur) -> cur == old ? old.reshaped(capacity, refill, now) : cur);
        }
        return b;
    }
}
