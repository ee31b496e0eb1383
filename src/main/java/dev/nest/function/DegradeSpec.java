package dev.nest.function;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A function's circuit breaker (the spec's {@code degrade:} block, the seed's "降级"): when, over the last
 * {@code window}, at least {@code minRequests} calls were made and the share that failed reached {@code errorRate}
 * percent, or their {@code percentile} latency exceeded {@code latency}, the breaker opens: for {@code openFor} the
 * gateway serves the {@code fallback} instead of the function. Then it lets {@code probes} calls through (half-open):
 * when they all succeed it closes, otherwise it opens again.
 *
 * @param errorRate  percent of failed calls (5xx from the function, timeouts, failed instances) that opens it, 1 to
 *                   100; empty when only latency counts
 * @param latency    the latency above which it opens; empty when only errors count (one of the two is required)
 * @param percentile which latency percentile is compared with {@code latency}, 50 to 99.9 (default 99)
 * @param window     how far back calls count, 1 s to 10 min (default 30 s), in one-second steps
 * @param minRequests the calls the window must hold before it can open, 1 to 100000 (default 20)
 * @param openFor    how long it stays open before probing, 1 s to 1 h (default 30 s)
 * @param probes     the calls let through while half-open, 1 to 100 (default 3)
 * @param fallback   what callers get while it is open; empty: 503 with {@code Retry-After}
 */
public record DegradeSpec(OptionalInt errorRate, Optional<Duration> latency, double percentile, Duration window,
                          int minRequests, Duration openFor, int probes, Optional<Fallback> fallback) {
    public static final double DEFAULT_PERCENTILE = 99;
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(30);
    public static final int DEFAULT_MIN_REQUESTS = 20;
    public static final Duration DEFAULT_OPEN_FOR = Duration.ofSeconds(30);
    public static final int DEFAULT_PROBES = 3;

    public DegradeSpec {
        if (errorRate.isEmpty() && latency.isEmpty()) {
            throw new IllegalArgumentException("a circuit breaker needs an error rate or a latency threshold");
        }
    }

    /** What the gateway serves while the breaker is open. */
    public sealed interface Fallback permits FixedResponse, FunctionFallback {
    }

    /**
     * A fixed answer.
     *
     * @param status  HTTP status, 200 to 599 (default 200)
     * @param headers response headers (names lower case)
     * @param body    the body, UTF-8 text up to {@value DegradeParser#MAX_BODY} bytes
     */
    public record FixedResponse(int status, Map<String, String> headers, String body) implements Fallback {
        public FixedResponse {
            headers = Map.copyOf(headers);
        }
    }

    /**
     * Another function of the same namespace, invoked with the caller's request.
     *
     * @param function its name
     */
    public record FunctionFallback(String function) implements Fallback {
    }
}
