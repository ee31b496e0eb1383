/**
 * Admission at the gateway: rate limits (token buckets per function, namespace and token, each gateway enforcing its
 * share of a cluster-wide limit) and degradation (a circuit breaker per function that serves a fallback while
 * open), decided in one call ({@link dev.nest.limits.Admission#admit}) before an instance is leased.
 */
package dev.nest.limits;
