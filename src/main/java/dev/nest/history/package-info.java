/** The region's invocation records and log lines: one node answers for all by asking the others and merging. */
package dev.nest.history;
