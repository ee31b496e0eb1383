package dev.nest.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * The node store writer's INSERT statements, prepared once on its connection and reused for every batch (H2 parses
 * and plans a statement at each prepare). Owned by the writer thread; after a failed batch the writer closes them and
 * prepares new ones, so no parameters of a failed batch are left behind.
 */
record WriterStatements(PreparedStatement inv, PreparedStatement idx, PreparedStatement log, PreparedStatement aud) {
    static WriterStatements prepare(Connection c) throws SQLException {
        return new WriterStatements(c.prepareStatement("INSERT INTO invocation_batches VALUES (?,?,?)"),
                c.prepareStatement("INSERT INTO invocation_index VALUES (?,?)"),
                c.prepareStatement("INSERT INTO logs(at, function, version, invocation_id, instance, level, text)"
                        + " VALUES (?,?,?,?,?,?,?)"),
                c.prepareStatement("INSERT INTO audit(at, function, action, version, source, detail)"
                        + " VALUES (?,?,?,?,?,?)"));
    }

    /** Closes every statement, ignoring failures (they are dropped either way). */
    void close() {
        for (PreparedStatement ps : List.of(inv, idx, log, aud)) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // dropped either way
            }
        }
    }

    /**
     * The functions of a non-empty batch, sorted, each once. A batch usually holds one or a few functions: each
     * record is compared with the previous one's function first, and a set is made only when a second one appears.
     */
    static Collection<String> functions(List<InvocationRecord> invocations) {
        String last = invocations.getFirst().function();
        TreeSet<String> out = null;
        for (InvocationRecord r : invocations) {
            String fn = r.function();
            if (fn.equals(last)) {
                continue;
            }
            if (out == null) {
                out = new TreeSet<>();
                out.add(last);
            }
            out.add(fn);
            last = fn;
        }
        return out == null ? List.of(last) : out;
    }
}
