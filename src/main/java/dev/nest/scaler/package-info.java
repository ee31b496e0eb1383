/**
 * Turns a function's recent metrics, its scaling config and the clock into a desired instance count with a
 * human-readable reason, as a pure function (no I/O) that tests and the trace simulator call directly.
 */
package dev.nest.scaler;
