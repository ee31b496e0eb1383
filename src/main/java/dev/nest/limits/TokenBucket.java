package dev.nest.limits;

/**
 * One token bucket: holds at most {@code capacity} tokens, refills one every {@code nanosPerToken}, starts full.
 * Times are monotonic nanoseconds given by the caller, so the bucket is a pure function of its history.
 * Thread-safe (its methods are synchronized; each holds the lock for a few arithmetic operations).
 */
final class TokenBucket {
    final double capacity;
    final double nanosPerToken;
    private double tokens;
    private long last;

    TokenBucket(double capacity, double nanosPerToken, long now) {
        this(capacity, nanosPerToken, now, capacity);
    }

    TokenBucket(double capacity, double nanosPerToken, long now, double tokens) {
        if (!(capacity >= 1) || !(nanosPerToken > 0)) {
            throw new IllegalArgumentException("a bucket needs a capacity of at least 1 and a positive refill time");
        }
        this.capacity = capacity;
        this.nanosPerToken = nanosPerToken;
        this.tokens = Math.min(capacity, Math.max(0, tokens));
        this.last = now;
    }

    private void refill(long now) {
        if (now > last) {
            tokens = Math.min(capacity, tokens + (now - last) / nanosPerToken);
            last = now;
        }
    }

    /** Takes a token: 0 when one was taken, otherwise the nanoseconds until one will be there (at least 1). */
    synchronized long take(long now) {
        refill(now);
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) * nanosPerToken));
    }

    /** Puts back a token taken for a request that was refused by another limit. */
    synchronized void giveBack() {
        tokens = Math.min(capacity, tokens + 1);
    }

    /** The tokens in it at {@code now}. */
    synchronized double tokens(long now) {
        refill(now);
        return tokens;
    }

    /** A bucket of another shape that keeps this one's tokens (at most its new capacity). */
    synchronized TokenBucket reshaped(double newCapacity, double newNanosPerToken, long now) {
        refill(now);
        return new TokenBucket(newCapacity, newNanosPerToken, now, tokens);
    }
}
