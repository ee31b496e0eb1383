package dev.nest.history;

import dev.nest.store.InvocationRecord;

/**
 * An invocation record and the node that holds it.
 *
 * @param node   the node's id
 * @param record the record
 */
public record NodeRecord(String node, InvocationRecord record) {
}
