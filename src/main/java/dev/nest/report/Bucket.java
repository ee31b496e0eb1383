package dev.nest.report;

/**
 * One node's figures for one function version over one bucket of time, as stored and as sent between nodes.
 *
 * @param function       {@code namespace/name}
 * @param version        the function version
 * @param resolution     the bucket's length in seconds ({@link Resolution#MINUTE} or {@link Resolution#HOUR})
 * @param at             the bucket's start, epoch seconds, a multiple of {@code resolution}
 * @param requests       invocations that ended in the bucket
 * @param errors         of which server errors (5xx other than throttles) or errors the function raised
 * @param throttles      of which refused before any instance with 429 or 503 (rate limits, full queues, open breakers)
 * @param coldStarts     of which waited for a new instance
 * @param maxConcurrency the most requests in flight on this node's instances of the version at one sample (once a second)
 * @param instances      the most instances of the version on this node at one sample
 * @param latency        {@link Latency#encode} of the durations (gateway arrival to response)
 * @param init           {@link Latency#encode} of the cold starts' {@code init} phase
 */
public record Bucket(String function, int version, int resolution, long at, long requests, long errors, long throttles,
                     long coldStarts, int maxConcurrency, int instances, byte[] latency, byte[] init) {
    /** The function's namespace. */
    public String namespace() {
        int slash = function.indexOf('/');
        return slash < 0 ? "default" : function.substring(0, slash);
    }
}
