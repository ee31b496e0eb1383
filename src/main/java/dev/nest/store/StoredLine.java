package dev.nest.store;

/**
 * A log line with its place in this node's store.
 *
 * @param seq  its sequence number on this node (increasing in the order lines were written)
 * @param line the line
 */
public record StoredLine(long seq, LogLine line) {
}
