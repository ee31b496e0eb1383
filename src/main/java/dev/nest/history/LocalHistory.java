package dev.nest.history;

import dev.nest.store.InvocationQuery;
import dev.nest.store.InvocationRecord;
import dev.nest.store.LogQuery;
import dev.nest.store.NodeStore;
import dev.nest.store.StoredLine;
import java.util.List;

/** This node's records and lines: what {@link RegionHistory} reads locally ({@link #of} a {@link NodeStore}). */
public interface LocalHistory {
    List<InvocationRecord> invocations(InvocationQuery query);

    List<StoredLine> lines(LogQuery query);

    /** The newest line's sequence number, 0 when there is none. */
    long lastLineSeq();

    /** The store's reads, each after a flush (so an answered invocation is listed). */
    static LocalHistory of(NodeStore store) {
        return new LocalHistory() {
            @Override
            public List<InvocationRecord> invocations(InvocationQuery query) {
                store.flush();
                return store.invocations(query);
            }

            @Override
            public List<StoredLine> lines(LogQuery query) {
                store.flush();
                return store.lines(query);
            }

            @Override
            public long lastLineSeq() {
                store.flush();
                return store.lastLineSeq();
            }
        };
    }
}
