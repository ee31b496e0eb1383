package dev.nest.async;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How many async invocations of the built-in {@code h2} queue ({@link H2EventQueue}'s table) are not finished yet
 * (queued, being tried, or waiting for a retry) and since when the oldest waits, per function or namespace: the
 * monitoring report's queue depth and age on this node. Read on a connection of its own; a read that fails (no such
 * table: another queue back end) answers empty. Thread-safe (reads are serialized).
 */
public final class H2Backlog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(H2Backlog.class.getName());

    /**
     * @param depth  events not finished
     * @param oldest when the oldest of them was enqueued (or redriven), empty when there are none
     */
    public record Backlog(long depth, Optional<Instant> oldest) {
    }

    private final Connection connection;

    private H2Backlog(Connection connection) {
        this.connection = connection;
    }

    /** Opens a connection to the node database at {@code jdbcUrl}; empty when it cannot. */
    public static Optional<H2Backlog> open(String jdbcUrl) {
        try {
            return Optional.of(new H2Backlog(DriverManager.getConnection(jdbcUrl, "nest", "")));
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "cannot read the async backlog: " + e.getMessage(), e);
            return Optional.empty();
        }
    }

    /** The backlog of one function ({@code namespace/name}), or of every function of a namespace. */
    public synchronized Optional<Backlog> of(String name, boolean namespace) {
        String where = namespace ? "function LIKE ? ESCAPE '\\'" : "function = ?";
        String match = namespace ? name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%" : name;
        try (PreparedStatement p = connection.prepareStatement("SELECT COUNT(*), MIN(enqueued_at) FROM async_events "
                + "WHERE state IN ('QUEUED', 'RUNNING', 'RETRYING') AND " + where)) {
            p.setString(1, match);
            try (ResultSet rs = p.executeQuery()) {
                rs.next();
                long depth = rs.getLong(1);
                long oldest = rs.getLong(2);
                return Optional.of(new Backlog(depth, rs.wasNull() ? Optional.empty()
                        : Optional.of(Instant.ofEpochMilli(oldest))));
            }
        } catch (SQLException e) {
            LOG.log(Level.FINE, "cannot read the async backlog", e);
            return Optional.empty();
        }
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.log(Level.FINE, "closing the async backlog's connection", e);
        }
    }
}
