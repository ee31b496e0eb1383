package dev.nest.limits;

/** The states of a function's circuit breaker. */
public enum BreakerState {
    /** Calls go to the function; their outcomes fill the window. */
    CLOSED,
    /** Calls get the fallback until the open time is over. */
    OPEN,
    /** A few probe calls go to the function; the others get the fallback. */
    HALF_OPEN;

    /** The name in the API and the metrics: {@code closed}, {@code open}, {@code half-open}. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
