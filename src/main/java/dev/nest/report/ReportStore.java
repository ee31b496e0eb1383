package dev.nest.report;

import dev.nest.common.NestException;
import dev.nest.store.InvocationRecord;
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
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This node's report roll-ups in its H2 database (table {@code report_buckets}, beside the node store's tables, on
 * connections of its own): every invocation record is counted into a minute and an hour bucket of its function
 * version, and once a second the instances and requests in flight are sampled into the same buckets. Minute buckets
 * are kept {@link Resolution#MINUTE}'s two days, hour buckets eight days; older rows are deleted hourly, so the table
 * stays the same size for a steady set of functions.
 *
 * <p>Off the data path: {@link #accept} puts the record on a bounded queue and returns; when the queue is full
 * (the writer cannot keep up) the record is dropped and counted ({@link #dropped}), never waited for. One writer
 * thread, {@code nest-report-writer}, owns the open buckets and writes the changed ones every
 * {@link #WRITE_EVERY}; a bucket whose row exists already (a restarted node) is merged with it, not overwritten.
 * At most {@link #MAX_OPEN} buckets are open at once; records of further buckets are dropped and counted.
 *
 * <p>Reads ({@link #buckets}) first wait up to two seconds for the writer to write what it holds, then read the
 * table. Failure: a write that fails is logged and retried with the next round (the buckets stay open); a read that
 * fails is a 503. Thread-safety: every public method may be called from any thread.
 */
public final class ReportStore implements Consumer<InvocationRecord>, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ReportStore.class.getName());
    static final int QUEUE = 65_536;
    /**
     * The most the writer waits after the first record of a batch for more, in 10 ms slices ({@code common.BatchGather}); it
     * stops early when a reader waits ({@link #flush}, {@link #close}), so a read counts every record before it.
     */
    private static final long GATHER_MILLIS = 100;
    private final dev.nest.common.BatchGather gather = new dev.nest.common.BatchGather(GATHER_MILLIS, 10, 4_000);
    static final int MAX_OPEN = 50_000;
    static final Duration WRITE_EVERY = Duration.ofSeconds(5);
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(1);
    private static final Duration PURGE_EVERY = Duration.ofHours(1);
    /** How long a bucket stays open after it ended, for records that arrive late. */
    private static final long GRACE_SECONDS = 120;

    private record Key(Resolution res, String function, int version, long at) {
    }

    private static final class Open {
        final Rollup rollup = new Rollup();
        boolean dirty;
        boolean loaded;
    }

    private record Flush(CompletableFuture<Void> done) {
    }

    private static final Object STOP = new Object();

    private final Connection writer;
    private final Connection reader;
    private final Clock clock;
    private final Supplier<List<InstanceSample>> gauges;
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private final Map<Key, Open> open = new HashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    private Instant lastWrite;
    private Instant lastSample;
    private Instant lastPurge = Instant.EPOCH;

    private ReportStore(Connection writer, Connection reader, Clock clock, Supplier<List<InstanceSample>> gauges) {
        this.writer = writer;
        this.reader = reader;
        this.clock = clock;
        this.gauges = gauges;
        this.lastWrite = clock.instant();
        this.lastSample = Instant.EPOCH;
        this.thread = Thread.ofPlatform().name("nest-report-writer").daemon().start(this::run);
    }

    /**
     * Opens the roll-ups in the database at {@code jdbcUrl} (the node store's), creating the table when needed, and
     * starts the writer.
     *
     * @param gauges this node's instances, sampled once a second by the writer
     */
    public static ReportStore open(String jdbcUrl, Clock clock, Supplier<List<InstanceSample>> gauges) {
        try {
            Connection w = DriverManager.getConnection(jdbcUrl, "nest", "");
            try (Statement s = w.createStatement()) {
                s.execute("""
                        CREATE TABLE IF NOT EXISTS report_buckets (
                          res INT NOT NULL, function VARCHAR(160) NOT NULL, version INT NOT NULL, at BIGINT NOT NULL,
                          requests BIGINT NOT NULL, errors BIGINT NOT NULL, throttles BIGINT NOT NULL,
                          cold BIGINT NOT NULL, max_concurrency INT NOT NULL, instances INT NOT NULL,
                          latency VARBINARY(16777216) NOT NULL, init VARBINARY(16777216) NOT NULL,
                          PRIMARY KEY (res, function, version, at))""");
                s.execute("CREATE INDEX IF NOT EXISTS report_buckets_at ON report_buckets(res, at)");
            }
            w.setAutoCommit(false);
            Connection r = DriverManager.getConnection(jdbcUrl, "nest", "");
            return new ReportStore(w, r, clock, gauges);
        } catch (SQLException e) {
            throw new NestException(500, "report store unavailable", "cannot open the report tables in " + jdbcUrl
                    + ": " + e.getMessage(), e);
        }
    }

    /** Queues a record for the roll-ups; never blocks (a full queue drops it and counts it). */
    @Override
    public void accept(InvocationRecord r) {
        if (closed || !queue.offer(r)) {
            long n = dropped.incrementAndGet();
            if (Long.bitCount(n) == 1) {
                LOG.warning("report roll-ups are behind: " + n + " records not counted so far");
            }
        }
    }

    /** Records not counted: the queue was full, or too many buckets were open. */
    public long dropped() {
        return dropped.get();
    }

    /**
     * This node's buckets of {@code scope} at {@code res} that start in [{@code from}, {@code until}), oldest first,
     * after the writer wrote what it holds (waiting at most two seconds for it).
     */
    public List<Bucket> buckets(Scope scope, Resolution res, long fromSecond, long untilSecond) {
        flush();
        String where = scope.function() ? "function = ?" : "function LIKE ? ESCAPE '\\'";
        String match = scope.function() ? scope.name() : scope.name().replace("\\", "\\\\").replace("%", "\\%")
                .replace("_", "\\_") + "/%";
        synchronized (reader) {
            try (PreparedStatement ps = reader.prepareStatement("SELECT function, version, at, requests, errors, "
                    + "throttles, cold, max_concurrency, instances, latency, init FROM report_buckets WHERE res = ? AND "
                    + where + " AND at >= ? AND at < ? ORDER BY at, function, version")) {
                ps.setInt(1, res.seconds());
                ps.setString(2, match);
                ps.setLong(3, fromSecond);
                ps.setLong(4, untilSecond);
                List<Bucket> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Bucket(rs.getString(1), rs.getInt(2), res.seconds(), rs.getLong(3), rs.getLong(4),
                                rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getInt(8), rs.getInt(9),
                                rs.getBytes(10), rs.getBytes(11)));
                    }
                }
                return out;
            } catch (SQLException e) {
                throw NestException.unavailable("report unavailable", "cannot read the report buckets: " + e.getMessage());
            }
        }
    }

    /** Waits (at most two seconds) until the writer has written every record queued before this call. */
    public void flush() {
        if (closed) {
            return;
        }
        Flush f = new Flush(new CompletableFuture<>());
        if (!queue.offer(f)) {
            return; // full: the reader sees what is written
        }
        gather.hurry();
        try {
            f.done().get(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.FINE, "report flush did not complete", e);
        }
    }

    private void run() {
        List<Object> batch = new ArrayList<>();
        while (true) {
            Object first;
            try {
                first = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = STOP;
            }
            batch.clear();
            if (first != null) {
                batch.add(first);
                if (first instanceof InvocationRecord) {
                    // gather for a moment, as the node store does: under load, producers then find this thread
                    // busy or asleep instead of waking it once per request (a futex call on the request's thread)
                    try {
                        gather.pause(queue);
                    } catch (InterruptedException e) {
                        batch.add(STOP);
                    }
                }
                gather.reset();
                queue.drainTo(batch, 4_000);
            }
            Instant now = clock.instant();
            if (!now.isBefore(lastSample.plus(SAMPLE_EVERY))) {
                lastSample = now;
                sample(now);
            }
            boolean stop = false;
            List<Flush> flushes = new ArrayList<>();
            for (Object o : batch) {
                if (o instanceof InvocationRecord r) {
                    count(r);
                } else if (o instanceof Flush f) {
                    flushes.add(f);
                } else if (o == STOP) {
                    stop = true;
                }
            }
            if (stop || !flushes.isEmpty() || !now.isBefore(lastWrite.plus(WRITE_EVERY))) {
                lastWrite = now;
                write(now);
            }
            flushes.forEach(f -> f.done().complete(null));
            if (!now.isBefore(lastPurge.plus(PURGE_EVERY))) {
                lastPurge = now;
                purge(now);
            }
            if (stop) {
                return;
            }
        }
    }

    /**
     * The buckets the last record counted into, by resolution: records come in runs of one function version in one
     * minute, and those need no key or map lookup. Emptied when buckets are written (and may leave the map).
     */
    private static final Resolution[] RESOLUTIONS = Resolution.values();
    private final Open[] lastOpen = new Open[RESOLUTIONS.length];
    private final long[] lastAt = new long[RESOLUTIONS.length];
    private String lastFunction = "";
    private int lastVersion = Integer.MIN_VALUE;

    private void count(InvocationRecord r) {
        long second = r.startedAt().getEpochSecond();
        boolean same = r.version() == lastVersion && r.function().equals(lastFunction);
        for (int i = 0; i < RESOLUTIONS.length; i++) {
            Resolution res = RESOLUTIONS[i];
            long at = res.floor(second);
            Open o = same && lastOpen[i] != null && lastAt[i] == at ? lastOpen[i]
                    : openBucket(new Key(res, r.function(), r.version(), at));
            if (o == null) {
                dropped.incrementAndGet();
                forgetLast();
                return;
            }
            lastOpen[i] = o;
            lastAt[i] = at;
            o.rollup.add(r);
            o.dirty = true;
        }
        lastFunction = r.function();
        lastVersion = r.version();
    }

    private void forgetLast() {
        java.util.Arrays.fill(lastOpen, null);
        lastFunction = "";
        lastVersion = Integer.MIN_VALUE;
    }

    private Open openBucket(Key k) {
        Open o = open.get(k);
        if (o == null && open.size() < MAX_OPEN) {
            o = new Open();
            open.put(k, o);
        }
        return o;
    }

    private void sample(Instant now) {
        List<InstanceSample> all;
        try {
            all = gauges.get();
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "cannot sample instances for the report", e);
            return;
        }
        record Version(String function, int version) {
        }
        Map<Version, int[]> sums = new HashMap<>();
        for (InstanceSample s : all) {
            int[] v = sums.computeIfAbsent(new Version(s.function(), s.version()), x -> new int[2]);
            v[0] += Math.max(0, s.inFlight());
            v[1]++;
        }
        long second = now.getEpochSecond();
        sums.forEach((v, c) -> {
            for (Resolution res : Resolution.values()) {
                Open o = openBucket(new Key(res, v.function(), v.version(), res.floor(second)));
                if (o != null && (o.rollup.maxConcurrency < c[0] || o.rollup.instances < c[1])) {
                    o.rollup.sample(c[0], c[1]);
                    o.dirty = true;
                }
            }
        });
    }

    private void write(Instant now) {
        long second = now.getEpochSecond();
        try {
            for (Map.Entry<Key, Open> e : open.entrySet()) {
                Open o = e.getValue();
                if (!o.dirty) {
                    continue;
                }
                Key k = e.getKey();
                if (!o.loaded) {
                    existing(k).ifPresent(o.rollup::merge);
                    o.loaded = true;
                }
                Bucket b = o.rollup.toBucket(k.function(), k.version(), k.res(), k.at());
                try (PreparedStatement ps = writer.prepareStatement("MERGE INTO report_buckets (res, function, version,"
                        + " at, requests, errors, throttles, cold, max_concurrency, instances, latency, init) KEY (res,"
                        + " function, version, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    ps.setInt(1, b.resolution());
                    ps.setString(2, b.function());
                    ps.setInt(3, b.version());
                    ps.setLong(4, b.at());
                    ps.setLong(5, b.requests());
                    ps.setLong(6, b.errors());
                    ps.setLong(7, b.throttles());
                    ps.setLong(8, b.coldStarts());
                    ps.setInt(9, b.maxConcurrency());
                    ps.setInt(10, b.instances());
                    ps.setBytes(11, b.latency());
                    ps.setBytes(12, b.init());
                    ps.executeUpdate();
                }
                o.dirty = false;
            }
            writer.commit();
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "cannot write report buckets (retrying with the next round)", e);
            try {
                writer.rollback();
            } catch (SQLException ignored) {
                // the next round tries again
            }
            return;
        }
        // closed buckets leave memory once written
        forgetLast();
        for (Iterator<Map.Entry<Key, Open>> it = open.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key, Open> e = it.next();
            if (!e.getValue().dirty && e.getKey().at() + e.getKey().res().seconds() + GRACE_SECONDS < second) {
                it.remove();
            }
        }
    }

    private java.util.Optional<Bucket> existing(Key k) throws SQLException {
        try (PreparedStatement ps = writer.prepareStatement("SELECT requests, errors, throttles, cold, max_concurrency,"
                + " instances, latency, init FROM report_buckets WHERE res = ? AND function = ? AND version = ? AND at = ?")) {
            ps.setInt(1, k.res().seconds());
            ps.setString(2, k.function());
            ps.setInt(3, k.version());
            ps.setLong(4, k.at());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return java.util.Optional.empty();
                }
                return java.util.Optional.of(new Bucket(k.function(), k.version(), k.res().seconds(), k.at(),
                        rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getInt(5), rs.getInt(6),
                        rs.getBytes(7), rs.getBytes(8)));
            }
        }
    }

    private void purge(Instant now) {
        try (PreparedStatement ps = writer.prepareStatement("DELETE FROM report_buckets WHERE res = ? AND at < ?")) {
            for (Resolution res : Resolution.values()) {
                ps.setInt(1, res.seconds());
                ps.setLong(2, now.minus(res.kept()).getEpochSecond());
                ps.executeUpdate();
            }
            writer.commit();
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "cannot delete old report buckets (trying again in an hour)", e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        while (!queue.offer(STOP)) {
            queue.poll(); // full: the newest records give way to the stop
        }
        gather.hurry();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            writer.close();
            synchronized (reader) {
                reader.close();
            }
        } catch (SQLException e) {
            LOG.log(Level.FINE, "closing the report store", e);
        }
    }
}
