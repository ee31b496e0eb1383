package dev.nest.async;

import dev.nest.async.Outcome.Answered;
import dev.nest.async.Outcome.Refused;
import dev.nest.async.Outcome.Unreachable;
import dev.nest.function.AsyncSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * What to do after an attempt: pure functions of the spec, the event, the outcome, the time and a random number.
 *
 * <ul>
 *   <li>An answer below 400 is a success. 408, 429 and 5xx from the function (and Nest's 502/504 for a failed or
 *       timed-out instance), or no answer at all, use up an attempt and are retried while {@code async.retries}
 *       allows; any other 4xx is the caller's mistake and fails at once.</li>
 *   <li>A refusal by Nest's admission (429, 503) is retried without using up an attempt.</li>
 *   <li>Retries wait {@link #backoff}: exponential from {@link #BASE} to {@link #CAP} with full jitter.</li>
 *   <li>No try is scheduled after {@code enqueuedAt + async.max-age}: the event gives up instead.</li>
 * </ul>
 */
public final class RetryPolicy {
    public static final Duration BASE = Duration.ofSeconds(1);
    public static final Duration CAP = Duration.ofMinutes(5);

    /** The decision after one attempt. */
    public sealed interface Decision {
    }

    /** Done: keep the result. */
    public record Succeed(int attempt, Result result) implements Decision {
    }

    /** Try again at {@code at}. */
    public record Retry(int attempt, int rejections, Instant at, Result last) implements Decision {
    }

    /** Failed for good (to the on-failure destination, or dead). */
    public record GiveUp(int attempt, Result last) implements Decision {
    }

    /** How an answer's status counts. */
    public enum Kind {
        SUCCESS, RETRYABLE, PERMANENT
    }

    private RetryPolicy() {
    }

    /** How a status the function answered with counts. */
    public static Kind kind(int status) {
        if (status < 400) {
            return Kind.SUCCESS;
        }
        return status == 408 || status == 429 || status >= 500 ? Kind.RETRYABLE : Kind.PERMANENT;
    }

    /** The wait before retry {@code n} (1, 2, ...): uniform in [0, min(CAP, BASE * 2^(n-1))], {@code random} in [0, 1). */
    public static Duration backoff(int n, double random) {
        long ceiling = n >= 30 ? CAP.toMillis() : Math.min(CAP.toMillis(), BASE.toMillis() << Math.max(0, n - 1));
        return Duration.ofMillis((long) Math.floor(random * (ceiling + 1)));
    }

    /** When the event stops being worth delivering. */
    public static Instant expiry(AsyncSpec spec, Event event) {
        return event.request().enqueuedAt().plus(spec.maxAge());
    }

    /** Whether the event is too old to try now. */
    public static boolean expired(AsyncSpec spec, Event event, Instant now) {
        return now.isAfter(expiry(spec, event));
    }

    /** The decision after {@code outcome} of the attempt on {@code event}. */
    public static Decision decide(AsyncSpec spec, Event event, Outcome outcome, Instant now, DoubleSupplier random) {
        int attempt = event.attempt();
        Instant expiry = expiry(spec, event);
        switch (outcome) {
            case Refused r -> {
                int rejections = event.rejections() + 1;
                Instant at = now.plus(backoff(rejections, random.getAsDouble()));
                Result last = Result.error(r.status(), 0, "refused by admission: " + r.reason());
                if (at.isAfter(expiry)) {
                    return new GiveUp(attempt, Result.error(r.status(), 0, "expired after max-age "
                            + spec.maxAge() + "; last refused by admission: " + r.reason()));
                }
                return new Retry(attempt, rejections, at, last);
            }
            case Answered a when kind(a.status()) == Kind.SUCCESS -> {
                return new Succeed(attempt + 1, new Result(a.status(), a.durationMs(), a.body(), ""));
            }
            case Answered a when kind(a.status()) == Kind.PERMANENT -> {
                return new GiveUp(attempt + 1, Result.error(a.status(), a.durationMs(),
                        "the function answered " + a.status() + " (not retried): " + excerpt(a.body())));
            }
            case Answered a -> {
                return retryOrGiveUp(spec, event, now, random, expiry, Result.error(a.status(), a.durationMs(),
                        "the function answered " + a.status() + ": " + excerpt(a.body())));
            }
            case Unreachable u -> {
                return retryOrGiveUp(spec, event, now, random, expiry, Result.error(0, u.durationMs(), u.error()));
            }
        }
    }

    private static Decision retryOrGiveUp(AsyncSpec spec, Event event, Instant now, DoubleSupplier random,
                                          Instant expiry, Result last) {
        int attempt = event.attempt() + 1;
        if (attempt > spec.retries()) {
            return new GiveUp(attempt, new Result(last.status(), last.durationMs(), last.body(),
                    last.error() + " (retries used up: " + spec.retries() + ")"));
        }
        Instant at = now.plus(backoff(attempt, random.getAsDouble()));
        if (at.isAfter(expiry)) {
            return new GiveUp(attempt, new Result(last.status(), last.durationMs(), last.body(),
                    last.error() + " (expired: max-age " + spec.maxAge() + ")"));
        }
        return new Retry(attempt, event.rejections(), at, last);
    }

    private static String excerpt(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 500), StandardCharsets.UTF_8);
        return s.isBlank() ? "(empty body)" : s;
    }
}
