package dev.nest.history;

import dev.nest.store.InvocationQuery;
import dev.nest.store.InvocationRecord;
import dev.nest.store.LogLine;
import dev.nest.store.LogQuery;
import dev.nest.store.StoredLine;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A node's records and lines in memory, queried as the H2 store queries them. */
final class InMemoryLocalHistory implements LocalHistory {
    final List<InvocationRecord> records = new ArrayList<>();
    final List<StoredLine> lines = new ArrayList<>();

    void line(LogLine l) {
        lines.add(new StoredLine(lines.size() + 1, l));
    }

    @Override
    public synchronized List<InvocationRecord> invocations(InvocationQuery q) {
        return records.stream().filter(q::matches).sorted(InvocationQuery.NEWEST_FIRST).limit(q.limit()).toList();
    }

    @Override
    public synchronized List<StoredLine> lines(LogQuery q) {
        var s = lines.stream()
                .filter(l -> q.function().map(l.line().function()::equals).orElse(true))
                .filter(l -> q.invocation().map(l.line().invocationId()::equals).orElse(true))
                .filter(l -> q.since().map(t -> !l.line().at().isBefore(t)).orElse(true))
                .filter(l -> q.until().map(t -> l.line().at().isBefore(t)).orElse(true))
                .filter(l -> q.before().map(p -> l.line().at().isBefore(p.at())
                        || l.line().at().equals(p.at()) && l.seq() < p.seqBelow()).orElse(true));
        if (q.after().isPresent()) {
            return s.filter(l -> l.seq() > q.after().get()).sorted(Comparator.comparingLong(StoredLine::seq))
                    .limit(q.limit()).toList();
        }
        return s.sorted(Comparator.comparing((StoredLine l) -> l.line().at()).thenComparingLong(StoredLine::seq).reversed())
                .limit(q.limit()).toList();
    }

    @Override
    public synchronized long lastLineSeq() {
        return lines.size();
    }
}
