/** The node's metrics in the Prometheus text format ({@code GET /metrics}): invocations, cold starts, pools, instances. */
package dev.nest.metrics;
