package dev.nest.report;

import dev.nest.store.InvocationRecord;
import java.time.Instant;
import java.util.Map;

/** The one place the report's tests build invocation records. */
final class Records {
    private Records() {
    }

    static InvocationRecord record(String function, int version, Instant at, double ms, int status, boolean cold,
                                   String instance, String error, Map<String, Double> phases) {
        return new InvocationRecord("inv-" + at.toEpochMilli() + "-" + Math.round(ms * 1000), function, version, at, ms,
                status, cold, instance, error, phases);
    }

    /** A warm, successful invocation served by instance {@code i-1}. */
    static InvocationRecord ok(String function, Instant at, double ms) {
        return record(function, 1, at, ms, 200, false, "i-1", "", Map.of());
    }
}
