/**
 * Small shared vocabulary used by every module: JSON mapping, durations and sizes, the error base type and its JSON
 * shape, and the ticker that drives periodic loops.
 */
package dev.nest.common;
