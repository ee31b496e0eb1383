/**
 * Carries per-function load from every node to the leader's scaler: each node's {@link dev.nest.load.LoadReporter}
 * sends its node agent's snapshot to the leader once a second (at once when a request starves), and the leader's
 * {@link dev.nest.load.ClusterLoad} sums the live reports with its own agent's load.
 */
package dev.nest.load;
