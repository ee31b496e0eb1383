package dev.nest.store;

import dev.nest.common.NestException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's H2 database ({@code <data>/nest.mv.db}): invocation records, log lines and the deploy audit.
 *
 * <p>Writes never block the invocation path: {@link #record} and {@link #log} put rows on a bounded queue
 * that one writer thread drains in batches. When the queue is full (the disk cannot keep up) rows are
 * dropped and counted in {@link #dropped()} rather than slowing invocations. {@link #flush} waits until
 * everything queued before it is written (the API calls it before reading). Rows older than
 * {@code store.retention} are deleted hourly; when the rows' estimated size is above {@code store.max-size}, the oldest
 * are deleted until it is not (checked every ten minutes and on {@link #purge()}; {@link SizeRetention}).
 *
 * <p>Thread-safety: every public method may be called from any thread.
 */
public final class NodeStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeStore.class.getName());
    private static final int QUEUE = 65_536;
    private static final int BATCH = 4_000;
    /** The most the writer gathers after a batch's first row (a batch has a fixed cost in H2): see {@link #gather}. */
    static final long GATHER_MILLIS = 100;
    /** The writer's pause after a batch's first row; callers that wait for the writer (flush, purge, close) hurry it. */
    private final dev.nest.common.BatchGather gather = new dev.nest.common.BatchGather(GATHER_MILLIS, 10, BATCH - 1);

    private final Connection writer;
    private final String url;
    private final Clock clock;
    private final Duration retention;
    private final int maxLine;
    private final long maxBytes;
    private Instant lastSizeCheck = Instant.EPOCH;
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    private Instant lastPurge = Instant.EPOCH;

    private record Flush(CompletableFuture<Void> done) {
    }

    private record Purge(CompletableFuture<Void> done) {
    }

    /** The default of {@code store.max-size}: 1 GiB. */
    public static final long DEFAULT_MAX_BYTES = 1L << 30;

    private static final Object STOP = new Object();

    private NodeStore(Connection writer, String url, Clock clock, Duration retention, int maxLine, long maxBytes) {
        this.maxBytes = maxBytes;
        this.writer = writer;
        this.url = url;
        this.clock = clock;
        this.retention = retention;
        this.maxLine = maxLine;
        this.thread = Thread.ofPlatform().name("nest-store-writer").daemon().start(this::drain);
    }

    /** Opens (creating if needed) the database under {@code dataDir}. */
    public static NodeStore open(Path dataDir, Clock clock, Duration retention, int maxLineBytes) {
        return open(dataDir, clock, retention, maxLineBytes, DEFAULT_MAX_BYTES);
    }

    /** Opens (creating if needed) the database under {@code dataDir}, keeping its rows under {@code maxBytes}. */
    public static NodeStore open(Path dataDir, Clock clock, Duration retention, int maxLineBytes, long maxBytes) {
        String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("nest") + ";DB_CLOSE_ON_EXIT=FALSE";
        try {
            Connection c = DriverManager.getConnection(url, "nest", "");
            try (Statement s = c.createStatement()) {
                s.execute("""
                        CREATE TABLE IF NOT EXISTS invocation_batches (
                          b BIGINT PRIMARY KEY, n INT NOT NULL, data VARBINARY(1000000000) NOT NULL)""");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS invocation_index (
                          function VARCHAR(160) NOT NULL, b BIGINT NOT NULL, PRIMARY KEY (function, b))""");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS logs (
                          seq BIGINT AUTO_INCREMENT PRIMARY KEY, at TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                          function VARCHAR(160) NOT NULL, version INT NOT NULL, invocation_id VARCHAR(64) NOT NULL,
                          instance VARCHAR(128) NOT NULL, level VARCHAR(8) NOT NULL, text VARCHAR(1048576) NOT NULL)""");
                s.execute("CREATE INDEX IF NOT EXISTS logs_fn ON logs(function, seq)");
                s.execute("CREATE INDEX IF NOT EXISTS logs_inv ON logs(invocation_id)");
                s.execute("CREATE INDEX IF NOT EXISTS logs_at ON logs(at, seq)"); // added later: time-ordered reads
                s.execute("""
                        CREATE TABLE IF NOT EXISTS audit (
                          seq BIGINT AUTO_INCREMENT PRIMARY KEY, at TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                          function VARCHAR(160) NOT NULL, action VARCHAR(32) NOT NULL, version INT NOT NULL,
                          source VARCHAR(256) NOT NULL, detail VARCHAR(2000) NOT NULL)""");
            }
            c.setAutoCommit(false);
            return new NodeStore(c, url, clock, retention, maxLineBytes, maxBytes);
        } catch (SQLException e) {
            throw new NestException(500, "store unavailable", "cannot open the node database " + url + ": "
                    + e.getMessage() + " (is another Nest process using data dir " + dataDir + "? use --data)", e);
        }
    }

    /** The JDBC URL of this database, for modules that keep their own tables in it on their own connections. */
    public String jdbcUrl() {
        return url;
    }

    /** Queues an invocation record; never blocks. */
    public void record(InvocationRecord r) {
        offer(r);
    }

    /** Queues a log line; never blocks. */
    public void log(LogLine line) {
        offer(line);
    }

    /** Queues an audit entry; never blocks. */
    public void audit(AuditEntry entry) {
        offer(entry);
    }

    private void offer(Object row) {
        if (closed || !queue.offer(row)) {
            long n = dropped.incrementAndGet();
            if (Long.bitCount(n) == 1) {
                LOG.warning("node store is behind: " + n + " rows dropped so far");
            }
        }
    }

    public long dropped() {
        return dropped.get();
    }

    /** Waits until every row queued before this call is written. */
    public void flush() {
        if (closed) {
            return;
        }
        Flush f = new Flush(new CompletableFuture<>());
        try {
            queue.put(f);
            gather.hurry();
            f.done().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new NestException(500, "store unavailable", "the node database did not flush: " + e.getMessage(), e);
        }
    }

    private void drain() {
        List<Object> batch = new ArrayList<>(BATCH);
        while (true) {
            try {
                Object first = queue.poll(500, TimeUnit.MILLISECONDS);
                if (first != null) {
                    batch.add(first);
                    if (!(first instanceof Flush) && !(first instanceof Purge) && first != STOP) {
                        // gather for a moment: fewer, larger batches, and producers do not wake this thread per row
                        gather.pause(queue);
                    }
                    gather.reset();
                    queue.drainTo(batch, BATCH - 1);
                    boolean stop = batch.remove(STOP);
                    List<Purge> purges = batch.stream().filter(Purge.class::isInstance).map(Purge.class::cast).toList();
                    batch.removeAll(purges);
                    write(batch);
                    if (!purges.isEmpty()) {
                        lastPurge = Instant.EPOCH;
                        lastSizeCheck = Instant.EPOCH;
                        purgeIfDue();
                        purges.forEach(p -> p.done().complete(null));
                    }
                    batch.clear();
                    if (stop) {
                        return;
                    }
                }
                purgeIfDue();
            } catch (InterruptedException e) {
                // only close() stops the writer, through STOP; an interrupt must not break H2's file channel
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "node store writer", e);
                batch.clear();
            }
        }
    }

    /** The writer thread's statements, prepared once and kept while they work (dropped after a failure). */
    private WriterStatements statements;
    /** The writer thread's reusable batch encoder. */
    private final InvocationCodec.Encoder encoder = new InvocationCodec.Encoder();

    private void write(List<Object> batch) {
        if (batch.isEmpty()) {
            return;
        }
        List<Flush> flushes = new ArrayList<>();
        List<InvocationRecord> invocations = new ArrayList<>();
        try {
            if (statements == null) {
                statements = WriterStatements.prepare(writer);
            }
            PreparedStatement inv = statements.inv();
            PreparedStatement idx = statements.idx();
            PreparedStatement log = statements.log();
            PreparedStatement aud = statements.aud();
            int nl = 0;
            int na = 0;
            for (Object o : batch) {
                switch (o) {
                    case InvocationRecord r -> invocations.add(r);
                    case LogLine l -> {
                        log.setObject(1, l.at().atOffset(java.time.ZoneOffset.UTC));
                        log.setString(2, truncate(l.function(), 160));
                        log.setInt(3, l.version());
                        log.setString(4, truncate(l.invocationId(), 64));
                        log.setString(5, truncate(l.instance(), 128));
                        log.setString(6, truncate(l.level(), 8));
                        log.setString(7, truncate(l.text(), maxLine));
                        log.addBatch();
                        nl++;
                    }
                    case AuditEntry a -> {
                        aud.setObject(1, a.at().atOffset(java.time.ZoneOffset.UTC));
                        aud.setString(2, truncate(a.function(), 160));
                        aud.setString(3, truncate(a.action(), 32));
                        aud.setInt(4, a.version());
                        aud.setString(5, truncate(a.source(), 256));
                        aud.setString(6, truncate(a.detail(), 2000));
                        aud.addBatch();
                        na++;
                    }
                    case Flush f -> flushes.add(f);
                    default -> throw new IllegalStateException("unexpected row " + o);
                }
            }
            if (!invocations.isEmpty()) {
                long b = nextBatch();
                inv.setLong(1, b);
                inv.setInt(2, invocations.size());
                inv.setBytes(3, encoder.encode(invocations));
                inv.executeUpdate();
                for (String fn : WriterStatements.functions(invocations)) {
                    idx.setString(1, truncate(fn, 160));
                    idx.setLong(2, b);
                    idx.addBatch();
                }
                idx.executeBatch();
            }
            if (nl > 0) {
                log.executeBatch();
            }
            if (na > 0) {
                aud.executeBatch();
            }
            writer.commit();
        } catch (SQLException | RuntimeException e) {
            if (statements != null) {
                statements.close(); // a failed batch may leave parameters behind: the retries prepare anew
                statements = null;
            }
            try {
                writer.rollback();
            } catch (SQLException ignored) {
                // the connection is broken; the row-by-row retry reports it
            }
            if (batch.size() > 1) {
                // one bad row must not lose the others: write them one at a time, dropping only the bad ones
                for (Object row : batch) {
                    if (!(row instanceof Flush)) {
                        write(new ArrayList<>(List.of(row)));
                    }
                }
            } else {
                long n = dropped.incrementAndGet();
                LOG.log(Level.WARNING, "node database refused a row (" + n + " dropped so far): " + e.getMessage());
            }
        } finally {
            flushes.forEach(f -> f.done().complete(null));
        }
    }

    /**
     * The row key of an invocation: ids made by the gateway start with 16 hex digits of
     * {@code epochMillis << 20 | sequence}, which serve as the primary key (time-ordered, so "recent" is a
     * key range). Other ids fall back to their start time and a hash.
     */
    static long key(String id, Instant startedAt) {
        if (gatewayId(id)) {
            return Long.parseUnsignedLong(id.substring(0, 16), 16);
        }
        return startedAt.toEpochMilli() << 20 | (id.hashCode() & 0xfffff);
    }

    private long lastBatch;

    /**
     * The key of the next invocation batch: {@code writtenMillis << 12 | n}, increasing. A record is written
     * after it started, so the batch holding an invocation that started at T was written at T or later.
     */
    private long nextBatch() {
        long b = Math.max(clock.millis() << 12, lastBatch + 1);
        lastBatch = b;
        return b;
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    /** Applies the retention (age, then size) now and waits until it is done. */
    public void purge() {
        if (closed) {
            return;
        }
        Purge p = new Purge(new CompletableFuture<>());
        try {
            queue.put(p);
            gather.hurry();
            p.done().get(5, TimeUnit.MINUTES);
        } catch (Exception e) {
            throw new NestException(500, "store unavailable", "the node database did not purge: " + e.getMessage(), e);
        }
    }

    private void purgeIfDue() {
        purgeByAge();
        Instant now = clock.instant();
        if (Duration.between(lastSizeCheck, now).toMinutes() < 10) {
            return;
        }
        lastSizeCheck = now;
        try {
            int n = SizeRetention.enforce(writer, maxBytes);
            writer.commit();
            if (n > 0) {
                LOG.info("purged the " + n + " oldest rows to keep the node database under store.max-size (" + maxBytes
                        + " bytes)");
            }
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "purge by size failed", e);
            try {
                writer.rollback();
            } catch (SQLException ignored) {
                // reported above
            }
        }
    }

    private void purgeByAge() {
        Instant now = clock.instant();
        if (Duration.between(lastPurge, now).toMinutes() < 60) {
            return;
        }
        lastPurge = now;
        Instant cutoff = now.minus(retention);
        try (PreparedStatement a = writer.prepareStatement("DELETE FROM invocation_batches WHERE b < ?");
             PreparedStatement c = writer.prepareStatement("DELETE FROM invocation_index WHERE b < ?");
             PreparedStatement b = writer.prepareStatement("DELETE FROM logs WHERE at < ?")) {
            a.setLong(1, cutoff.toEpochMilli() << 12);
            c.setLong(1, cutoff.toEpochMilli() << 12);
            c.executeUpdate();
            b.setObject(1, cutoff.atOffset(java.time.ZoneOffset.UTC));
            int n = a.executeUpdate() + b.executeUpdate();
            writer.commit();
            if (n > 0) {
                LOG.info("purged " + n + " rows older than " + cutoff);
            }
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "purge failed", e);
        }
    }

    // ---- reads (each on its own connection; H2 serves them concurrently with the writer) -----------------

    /** Invocation records by {@code query}, newest first (start time, then id, descending). */
    public List<InvocationRecord> invocations(InvocationQuery query) {
        return StoreReads.invocations(url, query);
    }

    /**
     * Log lines by {@code query}: the newest first when paging ({@code after} empty), the oldest first when
     * following ({@code after} given).
     */
    public List<StoredLine> lines(LogQuery query) {
        return StoreReads.logs(url, query);
    }

    /** The sequence number of the newest line, 0 when there is none: where a follower that starts now begins. */
    public long lastLineSeq() {
        return StoreReads.lastSeq(url);
    }

    /** Recent invocations, newest first by start time; {@code function} empty means all. */
    public List<InvocationRecord> invocations(Optional<String> function, int limit) {
        String sql = function.isPresent()
                ? "SELECT x.b, x.data FROM invocation_index i JOIN invocation_batches x ON x.b = i.b"
                + " WHERE i.function = ? ORDER BY i.b DESC"
                : "SELECT b, data FROM invocation_batches ORDER BY b DESC";
        List<InvocationRecord> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        try (Connection c = DriverManager.getConnection(url, "nest", "");
             PreparedStatement ps = c.prepareStatement(sql)) {
            function.ifPresent(f -> {
                try {
                    ps.setString(1, f);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            ps.setFetchSize(16);
            try (ResultSet rs = ps.executeQuery()) {
                java.util.PriorityQueue<InvocationRecord> newest = new java.util.PriorityQueue<>(
                        java.util.Comparator.comparingLong((InvocationRecord r) -> key(r.id(), r.startedAt())));
                while (rs.next()) {
                    long writtenMillis = rs.getLong(1) >>> 12;
                    // every record in this batch and in older ones started before it was written
                    if (newest.size() >= limit && newest.peek().startedAt().toEpochMilli() > writtenMillis) {
                        break;
                    }
                    for (InvocationRecord r : InvocationCodec.decode(rs.getBytes(2))) {
                        if (function.isPresent() && !function.get().equals(r.function())) {
                            continue;
                        }
                        newest.add(r);
                        if (newest.size() > limit) {
                            newest.poll();
                        }
                    }
                }
                out.addAll(newest);
            }
        } catch (SQLException e) {
            throw new NestException(500, "store unavailable", "node database query failed: " + e.getMessage(), e);
        }
        out.sort(java.util.Comparator.comparingLong((InvocationRecord r) -> key(r.id(), r.startedAt())).reversed());
        List<InvocationRecord> unique = new ArrayList<>(out.size());
        for (InvocationRecord r : out) {
            if (seen.add(r.id())) {
                unique.add(r);
            }
        }
        return unique;
    }

    /**
     * One invocation by id. Gateway ids carry their start time, so only batches written after it are read;
     * other ids are searched in every batch, newest first.
     */
    public Optional<InvocationRecord> invocation(String id) {
        boolean timed = gatewayId(id);
        // a minute of slack: the batch's clock and the gateway's may disagree slightly
        long from = timed ? ((key(id, Instant.EPOCH) >>> 20) - 60_000) << 12 : Long.MIN_VALUE;
        String sql = timed ? "SELECT data FROM invocation_batches WHERE b >= ? ORDER BY b"
                : "SELECT data FROM invocation_batches ORDER BY b DESC";
        try (Connection c = DriverManager.getConnection(url, "nest", "");
             PreparedStatement ps = c.prepareStatement(sql)) {
            if (timed) {
                ps.setLong(1, from);
            }
            ps.setFetchSize(4);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    for (InvocationRecord r : InvocationCodec.decode(rs.getBytes(1))) {
                        if (r.id().equals(id)) {
                            return Optional.of(r);
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new NestException(500, "store unavailable", "node database query failed: " + e.getMessage(), e);
        }
        return Optional.empty();
    }

    static boolean gatewayId(String id) {
        if (id.length() < 16) {
            return false;
        }
        for (int i = 0; i < 16; i++) {
            if (Character.digit(id.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Log lines, oldest first among the newest {@code limit}; filters are optional. */
    public List<LogLine> logs(Optional<String> function, Optional<String> invocationId, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM (SELECT * FROM logs WHERE 1=1");
        function.ifPresent(f -> sql.append(" AND function = ?"));
        invocationId.ifPresent(f -> sql.append(" AND invocation_id = ?"));
        sql.append(" ORDER BY seq DESC LIMIT ?) ORDER BY seq");
        return StoreReads.query(url, sql.toString(), ps -> {
            int i = 1;
            if (function.isPresent()) {
                ps.setString(i++, function.get());
            }
            if (invocationId.isPresent()) {
                ps.setString(i++, invocationId.get());
            }
            ps.setInt(i, limit);
        }, rs -> new LogLine(rs.getObject("at", java.time.OffsetDateTime.class).toInstant(), rs.getString("function"),
                rs.getInt("version"), rs.getString("invocation_id"), rs.getString("instance"), rs.getString("level"),
                rs.getString("text")));
    }

    public List<AuditEntry> audit(Optional<String> function, int limit) {
        String sql = "SELECT * FROM audit" + (function.isPresent() ? " WHERE function = ?" : "") + " ORDER BY seq DESC LIMIT ?";
        return StoreReads.query(url, sql, ps -> {
            int i = 1;
            if (function.isPresent()) {
                ps.setString(i++, function.get());
            }
            ps.setInt(i, limit);
        }, rs -> new AuditEntry(rs.getObject("at", java.time.OffsetDateTime.class).toInstant(), rs.getString("function"),
                rs.getString("action"), rs.getInt("version"), rs.getString("source"), rs.getString("detail")));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            queue.put(STOP);
            gather.hurry();
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            if (statements != null) {
                statements.close();
            }
            encoder.close();
        }
        try {
            writer.commit();
            try (Statement s = writer.createStatement()) {
                s.execute("SHUTDOWN");
            }
            writer.close();
        } catch (SQLException e) {
            LOG.log(Level.FINE, "closing the node database", e);
        }
    }
}
