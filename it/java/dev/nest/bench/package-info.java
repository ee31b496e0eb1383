/**
 * Benchmarks that start the real {@code nest.jar}, real runtime hosts, nginx and wrk, and write their figures to
 * {@code docs/BENCHMARKS.md}; run them with {@code distribution/bench.sh}.
 */
package dev.nest.bench;
