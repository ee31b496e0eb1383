/**
 * Turns a function's recent metrics, its scaling config and the clock into a desired instance count with a
 * human-readable reason, as a pure function (no I/O) that tests and the trace simulator call directly;
 * {@link dev.nest.scaler.ScalerLoop} runs it every second on the leader over the cluster's load.
 */
package dev.nest.scaler;
