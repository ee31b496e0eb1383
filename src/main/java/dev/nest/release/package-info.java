/**
 * Canary releases and the aliases they move: the API's alias and release operations ({@link dev.nest.release.Aliases},
 * {@link dev.nest.release.Releases}), each node's per-version request counts ({@link dev.nest.release.TrafficCounters}),
 * the pure judgement of a step ({@link dev.nest.release.ReleaseAnalysis}) and the leader's loop that applies it
 * ({@link dev.nest.release.ReleaseController}).
 */
package dev.nest.release;
