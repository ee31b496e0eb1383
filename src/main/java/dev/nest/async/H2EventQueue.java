package dev.nest.async;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.ToIntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The built-in {@link EventQueue}: one table, {@code async_events}, in the node's H2 database (or any H2 URL).
 *
 * <p>Durability: enqueues are written by one writer thread in groups: the group's rows are committed, then
 * {@code CHECKPOINT SYNC} writes the MVStore chunk and fsyncs the file, and only then are the group's futures
 * completed. (A plain H2 commit is not enough: MVStore writes committed changes to the file from a background
 * thread up to {@code WRITE_DELAY}, 500 ms, later, so a {@code kill -9} could lose them.) Leases, acks and retries
 * are plain commits: losing one on a crash only means a delivery is made again (at least once).
 *
 * <p>Leases: a row is {@code RUNNING} with {@code visible_at} = the lease's end; when that passes without an ack
 * it is due again. On open, rows left {@code RUNNING} by a previous process are due at once (this node owns its
 * database; nobody else can be delivering them).
 *
 * <p>Limits: {@link #lease} looks at most {@code 8 * max + 64} due rows, oldest first, so when one function is at
 * its cap with more due rows than that, other functions' rows wait for the next lease. Bodies are kept whole in
 * the row; the ingress bounds them ({@code async.max-payload}).
 *
 * <p>Threads: enqueue from any thread (never blocks: it queues for the writer); everything else takes this
 * object's lock and uses a second connection.
 */
public final class H2EventQueue implements EventQueue {
    private static final Logger LOG = Logger.getLogger(H2EventQueue.class.getName());
    private static final int GROUP = 256;
    private static final String COLUMNS = "id, function, state, attempt, rejections, visible_at, enqueued_at, finished_at, "
            + "method, path, query, headers, body, idem_key, status, duration_ms, last_error, result";

    private final Connection writer;
    private final Connection ops;
    private final Clock clock;
    private final BlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    private record Pending(NewEvent event, CompletableFuture<Enqueued> done) {
    }

    private static final Pending STOP = new Pending(null, null);

    private H2EventQueue(Connection writer, Connection ops, Clock clock) {
        this.writer = writer;
        this.ops = ops;
        this.clock = clock;
        this.thread = Thread.ofPlatform().name("nest-async-writer").daemon().start(this::write);
    }

    /**
     * Opens the queue on the H2 database at {@code jdbcUrl} (the node store's, see
     * {@code NodeStore#jdbcUrl()}), creating its table, and makes rows a crashed process had leased due again.
     *
     * @throws AsyncException (503) when the database cannot be opened
     */
    public static H2EventQueue open(String jdbcUrl, Clock clock) {
        try {
            Connection w = DriverManager.getConnection(jdbcUrl, "nest", "");
            Connection o = DriverManager.getConnection(jdbcUrl, "nest", "");
            try (Statement s = w.createStatement()) {
                s.execute("""
                        CREATE TABLE IF NOT EXISTS async_events (
                          id VARCHAR(64) PRIMARY KEY, function VARCHAR(160) NOT NULL, state VARCHAR(10) NOT NULL,
                          attempt INT NOT NULL, rejections INT NOT NULL, visible_at BIGINT NOT NULL,
                          enqueued_at BIGINT NOT NULL, finished_at BIGINT, method VARCHAR(16) NOT NULL,
                          path VARCHAR(16384) NOT NULL, query VARCHAR(16384) NOT NULL, headers VARCHAR(1048576) NOT NULL,
                          body VARBINARY(1000000000) NOT NULL, idem_key VARCHAR(256), status INT NOT NULL,
                          duration_ms BIGINT NOT NULL, last_error VARCHAR(2000) NOT NULL, result VARBINARY(262144))""");
                s.execute("CREATE INDEX IF NOT EXISTS async_due ON async_events(state, visible_at)");
                s.execute("CREATE INDEX IF NOT EXISTS async_fn ON async_events(function, state, finished_at)");
                s.execute("CREATE INDEX IF NOT EXISTS async_idem ON async_events(function, idem_key)");
            }
            try (PreparedStatement p = o.prepareStatement("UPDATE async_events SET state = CASE WHEN attempt > 0 "
                    + "OR rejections > 0 THEN 'RETRYING' ELSE 'QUEUED' END, visible_at = ? WHERE state = 'RUNNING'")) {
                p.setLong(1, clock.millis());
                int n = p.executeUpdate();
                if (n > 0) {
                    LOG.info(n + " asynchronous invocations were running when Nest stopped; they are due again");
                }
            }
            w.setAutoCommit(false);
            o.setAutoCommit(false);
            return new H2EventQueue(w, o, clock);
        } catch (SQLException e) {
            throw new AsyncException(503, "async queue unavailable", "cannot open the async queue in " + jdbcUrl
                    + ": " + e.getMessage(), e);
        }
    }

    // ---- enqueue: the writer thread ----------------------------------------------------------------------

    @Override
    public CompletableFuture<Enqueued> enqueue(NewEvent event) {
        CompletableFuture<Enqueued> done = new CompletableFuture<>();
        if (closed) {
            done.completeExceptionally(new AsyncException(503, "async queue closed", "this node is shutting down"));
        } else {
            pending.add(new Pending(event, done));
        }
        return done;
    }

    private void write() {
        List<Pending> group = new ArrayList<>(GROUP);
        while (true) {
            try {
                group.add(pending.take());
                pending.drainTo(group, GROUP - 1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            boolean stop = group.remove(STOP);
            if (!group.isEmpty()) {
                writeGroup(group);
            }
            group.clear();
            if (stop) {
                return;
            }
        }
    }

    private void writeGroup(List<Pending> group) {
        List<Enqueued> answers = new ArrayList<>(group.size());
        try {
            Map<String, String> seen = new HashMap<>();
            long since = clock.millis() - IDEMPOTENCY_WINDOW.toMillis();
            for (Pending p : group) {
                NewEvent e = p.event();
                Optional<String> first = Optional.empty();
                if (e.idempotencyKey().isPresent()) {
                    String k = e.function() + "\n" + e.idempotencyKey().get();
                    first = Optional.ofNullable(seen.get(k)).or(() -> firstWithKey(e, since));
                    seen.putIfAbsent(k, e.id());
                }
                if (first.isPresent()) {
                    answers.add(new Enqueued(first.get(), true));
                } else {
                    insert(e);
                    answers.add(new Enqueued(e.id(), false));
                }
            }
            writer.commit();
            try (Statement s = writer.createStatement()) {
                s.execute("CHECKPOINT SYNC");
            }
        } catch (SQLException | RuntimeException e) {
            rollback(writer);
            LOG.log(Level.WARNING, "could not store " + group.size() + " asynchronous invocations", e);
            AsyncException failure = new AsyncException(503, "async queue unavailable",
                    "the invocation could not be stored durably: " + e.getMessage(), e);
            group.forEach(p -> p.done().completeExceptionally(failure));
            return;
        }
        for (int i = 0; i < group.size(); i++) {
            group.get(i).done().complete(answers.get(i));
        }
    }

    private Optional<String> firstWithKey(NewEvent e, long since) {
        try (PreparedStatement p = writer.prepareStatement("SELECT id FROM async_events WHERE function = ? AND "
                + "idem_key = ? AND enqueued_at >= ? ORDER BY enqueued_at LIMIT 1")) {
            p.setString(1, e.function());
            p.setString(2, e.idempotencyKey().get());
            p.setLong(3, since);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException x) {
            throw new AsyncException(503, "async queue unavailable", x.getMessage(), x);
        }
    }

    private void insert(NewEvent e) throws SQLException {
        try (PreparedStatement p = writer.prepareStatement("INSERT INTO async_events (" + COLUMNS + ") VALUES "
                + "(?, ?, 'QUEUED', 0, 0, ?, ?, NULL, ?, ?, ?, ?, ?, ?, 0, 0, '', NULL)")) {
            p.setString(1, e.id());
            p.setString(2, e.function());
            p.setLong(3, e.enqueuedAt().toEpochMilli());
            p.setLong(4, e.enqueuedAt().toEpochMilli());
            p.setString(5, e.method());
            p.setString(6, e.path());
            p.setString(7, e.query());
            p.setString(8, String.join("\n", e.headers()));
            p.setBytes(9, e.body());
            if (e.idempotencyKey().isPresent()) {
                p.setString(10, e.idempotencyKey().get());
            } else {
                p.setNull(10, Types.VARCHAR);
            }
            p.executeUpdate();
        }
    }

    // ---- leases and outcomes: under the lock, on the ops connection ---------------------------------------

    @Override
    public synchronized List<Event> lease(int max, Duration leaseFor, ToIntFunction<String> room) {
        if (max <= 0 || closed) {
            return List.of();
        }
        long now = clock.millis();
        long until = now + leaseFor.toMillis();
        List<Event> out = new ArrayList<>();
        Map<String, Integer> taken = new HashMap<>();
        try {
            List<Row> due = rows("WHERE state IN ('QUEUED', 'RETRYING', 'RUNNING') AND visible_at <= ? "
                    + "ORDER BY visible_at, id LIMIT ?", now, 8L * max + 64);
            try (PreparedStatement p = ops.prepareStatement(
                    "UPDATE async_events SET state = 'RUNNING', visible_at = ? WHERE id = ? AND visible_at = ?")) {
                for (Row r : due) {
                    if (out.size() >= max) {
                        break;
                    }
                    int t = taken.getOrDefault(r.request.function(), 0);
                    if (t >= room.applyAsInt(r.request.function())) {
                        continue;
                    }
                    p.setLong(1, until);
                    p.setString(2, r.request.id());
                    p.setLong(3, r.visibleAt);
                    if (p.executeUpdate() == 1) {
                        taken.put(r.request.function(), t + 1);
                        out.add(new Event(r.request, r.attempt, r.rejections, Instant.ofEpochMilli(until)));
                    }
                }
            }
            ops.commit();
            return out;
        } catch (SQLException e) {
            rollback(ops);
            throw new AsyncException(503, "async queue unavailable", "cannot lease events: " + e.getMessage(), e);
        }
    }

    @Override
    public void succeeded(String id, int attempt, Result result) {
        byte[] kept = result.body().length <= MAX_RESULT ? result.body() : Arrays.copyOf(result.body(), MAX_RESULT);
        end(id, EventState.SUCCEEDED, attempt, result, kept);
    }

    @Override
    public void finish(String id, int attempt, Result last) {
        end(id, EventState.FAILED, attempt, last, null);
    }

    @Override
    public void dead(String id, int attempt, Result last) {
        end(id, EventState.DEAD, attempt, last, null);
    }

    private synchronized void end(String id, EventState state, int attempt, Result r, byte[] result) {
        update("UPDATE async_events SET state = ?, attempt = ?, finished_at = ?, status = ?, duration_ms = ?, "
                + "last_error = ?, result = ? WHERE id = ?", state.name(), attempt, clock.millis(), r.status(),
                r.durationMs(), cut(r.error()), result, id);
    }

    @Override
    public boolean cancels() {
        return true;
    }

    @Override
    public synchronized boolean cancel(String id, String reason) {
        return update("UPDATE async_events SET state = 'CANCELLED', finished_at = ?, last_error = ? WHERE id = ? AND "
                + "state IN ('QUEUED', 'RETRYING')", clock.millis(), cut(reason), id) == 1;
    }

    @Override
    public void cancelled(String id, int attempt, Result last) {
        end(id, EventState.CANCELLED, attempt, last, null);
    }

    @Override
    public synchronized void retry(String id, int attempt, int rejections, Instant at, Result last) {
        update("UPDATE async_events SET state = 'RETRYING', attempt = ?, rejections = ?, visible_at = ?, status = ?, "
                + "duration_ms = ?, last_error = ? WHERE id = ?", attempt, rejections, at.toEpochMilli(), last.status(),
                last.durationMs(), cut(last.error()), id);
    }

    @Override
    public synchronized int redrive(String function, Optional<String> id) {
        String sql = "UPDATE async_events SET state = 'QUEUED', attempt = 0, rejections = 0, visible_at = ?, "
                + "enqueued_at = ?, finished_at = NULL WHERE function = ? AND state = 'DEAD'";
        long now = clock.millis();
        return id.isPresent() ? update(sql + " AND id = ?", now, now, function, id.get())
                : update(sql, now, now, function);
    }

    @Override
    public synchronized Optional<EventStatus> status(String id) {
        try {
            return rows("WHERE id = ?", id).stream().findFirst().map(Row::view);
        } catch (SQLException e) {
            throw new AsyncException(503, "async queue unavailable", e.getMessage(), e);
        }
    }

    @Override
    public synchronized Optional<NewEvent> request(String id) {
        try {
            return rows("WHERE id = ?", id).stream().findFirst().map(r -> r.request);
        } catch (SQLException e) {
            throw new AsyncException(503, "async queue unavailable", e.getMessage(), e);
        }
    }

    @Override
    public synchronized List<EventStatus> deadLetters(String function, int limit) {
        try {
            return rows("WHERE function = ? AND state = 'DEAD' ORDER BY finished_at DESC, id DESC LIMIT ?", function,
                    (long) limit).stream().map(Row::view).toList();
        } catch (SQLException e) {
            throw new AsyncException(503, "async queue unavailable", e.getMessage(), e);
        }
    }

    @Override
    public synchronized int purge(Instant finishedBefore) {
        long keyWindow = clock.millis() - IDEMPOTENCY_WINDOW.toMillis();
        long dead = Math.min(finishedBefore.toEpochMilli(), clock.millis() - DEAD_LETTER_RETENTION.toMillis());
        return update("DELETE FROM async_events WHERE (state IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND finished_at < ? "
                + "OR state = 'DEAD' AND finished_at < ?) AND (idem_key IS NULL OR enqueued_at < ?)",
                finishedBefore.toEpochMilli(), dead, keyWindow);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pending.add(STOP);
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (Connection c : List.of(writer, ops)) {
                try {
                    c.close();
                } catch (SQLException e) {
                    LOG.log(Level.FINE, "closing the async queue", e);
                }
            }
        }
        for (Pending p; (p = pending.poll()) != null; ) {
            if (p != STOP) {
                p.done().completeExceptionally(new AsyncException(503, "async queue closed", "this node is shutting down"));
            }
        }
    }

    // ---- rows ---------------------------------------------------------------------------------------------

    private record Row(NewEvent request, EventState state, int attempt, int rejections, long visibleAt,
                       Long finishedAt, int status, long durationMs, String lastError, byte[] result) {
        EventStatus view() {
            return new EventStatus(request.id(), request.function(), state, attempt, request.enqueuedAt(),
                    state == EventState.QUEUED || state == EventState.RETRYING
                            ? Optional.of(Instant.ofEpochMilli(visibleAt)) : Optional.empty(),
                    status, durationMs, lastError, Optional.ofNullable(result),
                    Optional.ofNullable(finishedAt).map(Instant::ofEpochMilli));
        }
    }

    private List<Row> rows(String where, Object... args) throws SQLException {
        try (PreparedStatement p = ops.prepareStatement("SELECT " + COLUMNS + " FROM async_events " + where)) {
            bind(p, args);
            List<Row> out = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    String h = rs.getString("headers");
                    long fin = rs.getLong("finished_at");
                    Long finished = rs.wasNull() ? null : fin;
                    NewEvent e = new NewEvent(rs.getString("id"), rs.getString("function"), rs.getString("method"),
                            rs.getString("path"), rs.getString("query"),
                            h.isEmpty() ? List.of() : List.of(h.split("\n", -1)), rs.getBytes("body"),
                            Optional.ofNullable(rs.getString("idem_key")), Instant.ofEpochMilli(rs.getLong("enqueued_at")));
                    out.add(new Row(e, EventState.valueOf(rs.getString("state")), rs.getInt("attempt"),
                            rs.getInt("rejections"), rs.getLong("visible_at"), finished, rs.getInt("status"),
                            rs.getLong("duration_ms"), rs.getString("last_error"), rs.getBytes("result")));
                }
            }
            ops.commit();
            return out;
        }
    }

    private int update(String sql, Object... args) {
        try (PreparedStatement p = ops.prepareStatement(sql)) {
            bind(p, args);
            int n = p.executeUpdate();
            ops.commit();
            return n;
        } catch (SQLException e) {
            rollback(ops);
            throw new AsyncException(503, "async queue unavailable", "cannot update the async queue: " + e.getMessage(), e);
        }
    }

    private static void bind(PreparedStatement p, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                p.setNull(i + 1, Types.VARBINARY);
            } else if (a instanceof byte[] b) {
                p.setBytes(i + 1, b);
            } else {
                p.setObject(i + 1, a);
            }
        }
    }

    private static String cut(String s) {
        return s.length() <= 2000 ? s : s.substring(0, 1999) + "…";
    }

    private static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            LOG.log(Level.FINE, "rollback failed", e);
        }
    }
}
