package dev.nest.store;

import dev.nest.common.NestException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The filtered reads of {@link NodeStore}: invocation records by {@link InvocationQuery} and log lines by
 * {@link LogQuery}, each on its own connection (H2 serves them while the writer writes).
 *
 * <p>Invocation records sit in batches keyed by the time they were written; a record is written after it started,
 * so reading batches newest first can stop once {@code limit} records were found that all started after the
 * current batch was written, or once batches are older than {@code since}. Thread-safe (no state).
 */
final class StoreReads {
    private StoreReads() {
    }

    static List<InvocationRecord> invocations(String url, InvocationQuery q) {
        String sql = q.function().isPresent()
                ? "SELECT x.b, x.data FROM invocation_index i JOIN invocation_batches x ON x.b = i.b"
                + " WHERE i.function = ? ORDER BY i.b DESC"
                : "SELECT b, data FROM invocation_batches ORDER BY b DESC";
        // the oldest of the newest `limit` at the head
        PriorityQueue<InvocationRecord> newest = new PriorityQueue<>(InvocationQuery.NEWEST_FIRST.reversed());
        Set<String> seen = new HashSet<>();
        try (Connection c = DriverManager.getConnection(url, "nest", "");
             PreparedStatement ps = c.prepareStatement(sql)) {
            if (q.function().isPresent()) {
                ps.setString(1, q.function().get());
            }
            ps.setFetchSize(16);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long writtenMillis = rs.getLong(1) >>> 12;
                    if (newest.size() >= q.limit() && newest.peek().startedAt().toEpochMilli() > writtenMillis) {
                        break; // this batch and older ones hold only records that started earlier
                    }
                    if (q.since().isPresent() && writtenMillis < q.since().get().toEpochMilli()) {
                        break; // everything in it started before `since`
                    }
                    for (InvocationRecord r : InvocationCodec.decode(rs.getBytes(2))) {
                        if (q.matches(r) && seen.add(r.id())) {
                            newest.add(r);
                            if (newest.size() > q.limit()) {
                                newest.poll();
                            }
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new NestException(500, "store unavailable", "node database query failed: " + e.getMessage(), e);
        }
        List<InvocationRecord> out = new ArrayList<>(newest);
        out.sort(InvocationQuery.NEWEST_FIRST);
        return out;
    }

    /** Paging ({@code after} empty): the newest matching lines, newest first. Following: oldest first. */
    static List<StoredLine> logs(String url, LogQuery q) {
        StringBuilder sql = new StringBuilder("SELECT * FROM logs WHERE 1=1");
        List<Object> args = new ArrayList<>();
        q.function().ifPresent(f -> {
            sql.append(" AND function = ?");
            args.add(f);
        });
        q.invocation().ifPresent(i -> {
            sql.append(" AND invocation_id = ?");
            args.add(i);
        });
        q.since().ifPresent(s -> {
            sql.append(" AND at >= ?");
            args.add(s.atOffset(ZoneOffset.UTC));
        });
        q.until().ifPresent(u -> {
            sql.append(" AND at < ?");
            args.add(u.atOffset(ZoneOffset.UTC));
        });
        q.before().ifPresent(p -> {
            sql.append(" AND (at < ? OR (at = ? AND seq < ?))");
            args.add(p.at().atOffset(ZoneOffset.UTC));
            args.add(p.at().atOffset(ZoneOffset.UTC));
            args.add(p.seqBelow());
        });
        if (q.after().isPresent()) {
            sql.append(" AND seq > ? ORDER BY seq LIMIT ?");
            args.add(q.after().get());
        } else {
            sql.append(" ORDER BY at DESC, seq DESC LIMIT ?");
        }
        args.add(q.limit());
        try (Connection c = DriverManager.getConnection(url, "nest", "");
             PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            List<StoredLine> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new StoredLine(rs.getLong("seq"), new LogLine(
                            rs.getObject("at", OffsetDateTime.class).toInstant(), rs.getString("function"),
                            rs.getInt("version"), rs.getString("invocation_id"), rs.getString("instance"),
                            rs.getString("level"), rs.getString("text"))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new NestException(500, "store unavailable", "node database query failed: " + e.getMessage(), e);
        }
    }

    /** The highest sequence number of a line, 0 when there is none (where a follower that starts now begins). */
    static long lastSeq(String url) {
        try (Connection c = DriverManager.getConnection(url, "nest", "");
             PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM logs");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new NestException(500, "store unavailable", "node database query failed: " + e.getMessage(), e);
        }
    }

    interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** Runs {@code sql} on a connection of its own, bound by {@code binder}, mapping each row. */
    static <T> List<T> query(String url, String sql, Binder binder, RowMapper<T> mapper) {
        try (Connection c = DriverManager.getConnection(url, "nest", "");
             PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            List<T> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(mapper.map(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new NestException(500, "store unavailable", "node database query failed: " + e.getMessage(), e);
        }
    }
}
