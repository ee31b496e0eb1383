/**
 * The monitoring report: every invocation record rolled up into minute and hour buckets per function version (with
 * mergeable latency histograms) in the node's H2 database, gathered from every live node and merged into one
 * report per function or namespace over a window.
 */
package dev.nest.report;
