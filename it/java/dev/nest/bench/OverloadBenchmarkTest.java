package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The overload benchmark's README row, rendered from fixed figures. */
class OverloadBenchmarkTest {
    @Test
    void row45SaysWhatTheTableSays() {
        assertEquals("row 45 | overload: a 100 ms function (2 instances of concurrency 1: capacity 20 req/s) offered 10x"
                        + " its capacity open-loop for 15 s: goodput / capacity; admitted p99 / unloaded p99; 429s and 503s"
                        + " without a matching `Retry-After` | >= 90%; <= 2x; 0 | 99%; 1.74x; 0 (of 2704 refusals) |"
                        + " `distribution/bench-overload.sh`",
                OverloadBenchmark.row(10, 15, 99.2, 1.7412, 0, 2704).line());
    }
}
