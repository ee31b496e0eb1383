package dev.nest.scheduler;

import dev.nest.function.FunctionId;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Each function's requests over the last minute in the cluster, as the leader's scheduler reads them to decide
 * {@code deploy: auto} ({@link Scheduler.Merging#byTrafficWithBand}), from consecutive readings of the cluster's
 * requests-served counter per function (the leader's load, {@code load.ClusterLoad}, which sums the growth of every
 * node's counter).
 *
 * <p>The count is {@link #requests}, a pure function of the readings: the growth of the counter between
 * consecutive readings within the window, where a counter that went back (a new version's counter starts at 0)
 * counts from 0. Like the node agent's {@code sidecar.RecentTraffic}, it is a count over the last minute, not an
 * extrapolation: right after a node becomes leader it has less than a minute of readings and counts what it has
 * seen (a function looks quieter than it is for up to a minute, so it may be counted as merged for that minute).
 *
 * <p>Thread-safe: {@link #record} runs on the scaler's thread after each load reading, {@link #perMinute} on the
 * scheduler's; both are synchronized and short. A function absent from a reading keeps its readings until they
 * age out of the window. Memory: one reading per function per {@link #record} within the window (about 60 at the
 * scaler's 1 s tick).
 */
public final class RecentRates {
    /** The window the node agent counts over too. */
    public static final Duration WINDOW = Duration.ofMinutes(1);

    /** A reading of one function's counter. */
    public record Reading(long atNanos, long served) {
    }

    private final Map<FunctionId, Deque<Reading>> readings = new HashMap<>();

    /** Records one reading of every function's counter, taken at {@code nowNanos} (a monotonic clock). */
    public synchronized void record(Map<FunctionId, Long> served, long nowNanos) {
        served.forEach((id, count) -> {
            if (count < 0) {
                throw new IllegalArgumentException("the requests served by " + id + " are negative: " + count);
            }
            readings.computeIfAbsent(id, k -> new ArrayDeque<>()).addLast(new Reading(nowNanos, count));
        });
        readings.values().removeIf(d -> {
            // keep one reading older than the window: it is the base the window's growth is counted from
            while (d.size() > 1 && nowNanos - d.stream().skip(1).findFirst().orElseThrow().atNanos() >= WINDOW.toNanos()) {
                d.pollFirst();
            }
            return nowNanos - d.peekLast().atNanos() >= WINDOW.toNanos();
        });
    }

    /** {@code id}'s requests over the last minute before {@code nowNanos} (0 for a function never read). */
    public synchronized double perMinute(FunctionId id, long nowNanos) {
        Deque<Reading> d = readings.get(id);
        return d == null ? 0 : requests(new ArrayList<>(d), nowNanos, WINDOW);
    }

    /**
     * The requests counted by {@code readings} (oldest first) in the {@code window} before {@code nowNanos}: the sum of
     * the growth between consecutive readings whose later one is inside the window; a reading lower than the one
     * before it (the counter started again) adds its own value. Readings after {@code nowNanos} are ignored.
     */
    public static long requests(List<Reading> readings, long nowNanos, Duration window) {
        long from = nowNanos - window.toNanos();
        long sum = 0;
        for (int i = 1; i < readings.size(); i++) {
            Reading before = readings.get(i - 1);
            Reading r = readings.get(i);
            if (r.atNanos() <= from || r.atNanos() > nowNanos) {
                continue;
            }
            sum += r.served() >= before.served() ? r.served() - before.served() : r.served();
        }
        return sum;
    }
}
