/** Asynchronous invocations: accepted durably, delivered at least once with retries, a ledger and dead letters. */
package dev.nest.async;
