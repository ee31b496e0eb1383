package dev.nest.history;

import dev.nest.store.LogLine;
import java.util.Comparator;

/**
 * A log line and the node that holds it.
 *
 * @param node the node's id
 * @param seq  the line's sequence number on that node
 * @param line the line
 */
public record NodeLine(String node, long seq, LogLine line) {
    /** Newest first: by time, then node, then sequence, descending. */
    public static final Comparator<NodeLine> NEWEST_FIRST = Comparator.comparing((NodeLine l) -> l.line().at())
            .thenComparing(NodeLine::node).thenComparingLong(NodeLine::seq).reversed();
}
