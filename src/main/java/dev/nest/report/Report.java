package dev.nest.report;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A monitoring report of a function or a namespace over a window, merged from every node that answered.
 * Durations are in milliseconds.
 *
 * @param function      the function ({@code name}), empty for a namespace's report
 * @param namespace     the namespace
 * @param window        the window's label ({@code 5m} ... {@code 7d})
 * @param from          the start of the first point
 * @param until         the end of the last point
 * @param bucketSeconds the length of one point of {@code series}
 * @param partial       whether some live node did not answer (its figures are missing)
 * @param unreachable   the ids of the nodes that did not answer
 * @param totals        the whole window
 * @param series        one point per {@code bucketSeconds}, oldest first, points without requests included
 */
public record Report(Optional<String> function, String namespace, String window, Instant from, Instant until,
                     int bucketSeconds, boolean partial, List<String> unreachable, Totals totals, List<Point> series) {

    /**
     * @param maxConcurrency  the most requests in flight at once (summed over nodes and versions per minute)
     * @param instances       the most instances at once (summed over nodes and versions per minute)
     * @param queueDepth      async invocations waiting now (0 when the queue does not say)
     * @param queueAgeSeconds how long the oldest waiting one has waited
     */
    public record Totals(long requests, long errors, double errorRate, long throttles, double p50, double p95,
                        double p99, long coldStarts, double coldStartRate, double initP50, int maxConcurrency,
                        int instances, long queueDepth, double queueAgeSeconds) {
    }

    public record Point(Instant at, long requests, long errors, long throttles, double p50, double p95, double p99,
                        long coldStarts, int maxConcurrency, int instances) {
    }

    /** The JSON document of the API (keys as docs/API.md shows them). */
    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("function", function.orElse(null));
        out.put("namespace", namespace);
        out.put("window", window);
        out.put("from", from.toString());
        out.put("until", until.toString());
        out.put("bucketSeconds", bucketSeconds);
        out.put("partial", partial);
        out.put("unreachable", unreachable);
        out.put("totals", totals);
        out.put("series", series.stream().map(p -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("at", p.at().toString());
            m.put("requests", p.requests());
            m.put("errors", p.errors());
            m.put("throttles", p.throttles());
            m.put("p50", p.p50());
            m.put("p95", p.p95());
            m.put("p99", p.p99());
            m.put("coldStarts", p.coldStarts());
            m.put("maxConcurrency", p.maxConcurrency());
            m.put("instances", p.instances());
            return m;
        }).toList());
        return out;
    }
}
