package dev.nest.trigger;

import java.util.Optional;

/**
 * One trigger's small stored state (at most {@link #MAX_BYTES}), kept in ZooKeeper so that it survives a leader
 * change: a cron trigger's last claimed tick. Writes are compare-and-set on the state's version and fenced by the
 * region's leader epoch, so a deposed leader cannot write after its successor claimed the leadership. Calls block
 * on ZooKeeper; call them off any event loop.
 */
public interface TriggerState {
    int MAX_BYTES = 64 * 1024;

    /** The stored state and its version; empty when none was written. */
    Optional<Stored> read();

    /**
     * Writes {@code data} if the stored version is still {@code expectedVersion} ({@code -1}: nothing stored yet).
     *
     * @return false when another write came first (read again and decide again)
     * @throws TriggerException 503 when this node is not the leader, was fenced off by a newer epoch, or ZooKeeper
     *                          is unreachable: the caller must not act on the write
     */
    boolean write(int expectedVersion, byte[] data);

    /** A stored state and the version a {@link #write} must name to replace it. */
    record Stored(byte[] data, int version) {
    }
}
