package dev.nest.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The size bound of {@link NodeStore} ({@code store.max-size}): while the rows' estimated size is above it, deletes
 * the oldest invocation batches and log lines together, in steps of a sixteenth of the stored time span (at least a
 * second), oldest first. The estimate is the stored bytes of the rows (compressed invocation batches, log text) plus
 * {@link #ROW_OVERHEAD} per row; the database file does not shrink (H2 reuses the freed pages), so the bound keeps
 * it from growing. Runs on the store's writer thread, on its connection; the caller commits.
 */
final class SizeRetention {
    /** Bytes counted per row for its other columns and index entries. */
    static final long ROW_OVERHEAD = 100;
    private static final int MAX_STEPS = 256;

    private SizeRetention() {
    }

    /** The rows' estimated size, bytes. */
    static long bytes(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet a = s.executeQuery("SELECT COALESCE(SUM(OCTET_LENGTH(data)), 0) + COUNT(*) * " + ROW_OVERHEAD
                     + " FROM invocation_batches")) {
            a.next();
            long n = a.getLong(1);
            try (ResultSet b = s.executeQuery("SELECT COALESCE(SUM(OCTET_LENGTH(text)), 0) + COUNT(*) * " + ROW_OVERHEAD
                    + " FROM logs")) {
                b.next();
                return n + b.getLong(1);
            }
        }
    }

    /** Deletes the oldest rows until the estimate is at most {@code maxBytes}; returns the rows deleted. */
    static int enforce(Connection c, long maxBytes) throws SQLException {
        int deleted = 0;
        for (int step = 0; step < MAX_STEPS && bytes(c) > maxBytes; step++) {
            long[] span = span(c);
            if (span[0] == Long.MAX_VALUE) {
                break;
            }
            long cutoff = span[0] + Math.max((span[1] - span[0]) / 16, 1_000);
            try (PreparedStatement a = c.prepareStatement("DELETE FROM invocation_batches WHERE b < ?");
                 PreparedStatement i = c.prepareStatement("DELETE FROM invocation_index WHERE b < ?");
                 PreparedStatement l = c.prepareStatement("DELETE FROM logs WHERE at < ?")) {
                a.setLong(1, cutoff << 12);
                i.setLong(1, cutoff << 12);
                l.setObject(1, Instant.ofEpochMilli(cutoff).atOffset(ZoneOffset.UTC));
                i.executeUpdate();
                deleted += a.executeUpdate() + l.executeUpdate();
            }
        }
        return deleted;
    }

    /** The oldest and newest times stored (epoch millis), {@code MAX_VALUE} first when nothing is. */
    private static long[] span(Connection c) throws SQLException {
        long oldest = Long.MAX_VALUE;
        long newest = Long.MIN_VALUE;
        try (Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT MIN(b), MAX(b) FROM invocation_batches")) {
                if (r.next() && r.getObject(1) != null) {
                    oldest = r.getLong(1) >>> 12;
                    newest = r.getLong(2) >>> 12;
                }
            }
            try (ResultSet r = s.executeQuery("SELECT MIN(at), MAX(at) FROM logs")) {
                if (r.next() && r.getObject(1) != null) {
                    oldest = Math.min(oldest, r.getObject(1, OffsetDateTime.class).toInstant().toEpochMilli());
                    newest = Math.max(newest, r.getObject(2, OffsetDateTime.class).toInstant().toEpochMilli());
                }
            }
        }
        return new long[] {oldest, newest};
    }
}
