package dev.nest.report;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds a {@link Report} from the buckets every node sent: a pure function. Counts add; latency histograms are
 * merged (so a percentile is that of every request in the window, on every node); the gauges are added over nodes
 * and versions within one bucket and the largest such sum is kept over a point and over the window.
 */
public final class ReportBuilder {
    private ReportBuilder() {
    }

    /** The [from, until) a report over {@code w} at {@code now} covers, in epoch seconds: whole steps, now's included. */
    public static long[] range(ReportWindow w, Instant now) {
        long until = Math.floorDiv(now.getEpochSecond(), w.stepSeconds()) * w.stepSeconds() + w.stepSeconds();
        return new long[]{until - w.length().toSeconds(), until};
    }

    /**
     * @param scope       what the report covers
     * @param w           its window
     * @param now         the time it is made at
     * @param buckets     every node's buckets of {@code scope} at {@code w}'s resolution (others are ignored)
     * @param unreachable the live nodes that did not answer
     * @param backlog     the async backlog now, when known
     */
    public static Report build(Scope scope, ReportWindow w, Instant now, List<Bucket> buckets, List<String> unreachable,
                               Optional<Backlog> backlog) {
        long[] range = range(w, now);
        long from = range[0];
        long until = range[1];
        int step = w.stepSeconds();
        int points = (int) ((until - from) / step);
        Rollup[] perPoint = new Rollup[points];
        for (int i = 0; i < points; i++) {
            perPoint[i] = new Rollup();
        }
        // gauges: summed over nodes and versions per bucket start, then the largest sum per point
        Map<Long, int[]> gaugeSums = new HashMap<>();
        Rollup all = new Rollup();
        for (Bucket b : buckets) {
            if (b.resolution() != w.resolution().seconds() || b.at() < from || b.at() >= until
                    || !scope.covers(b.function())) {
                continue;
            }
            Rollup p = perPoint[(int) ((b.at() - from) / step)];
            Bucket countsOnly = new Bucket(b.function(), b.version(), b.resolution(), b.at(), b.requests(), b.errors(),
                    b.throttles(), b.coldStarts(), 0, 0, b.latency(), b.init());
            p.merge(countsOnly);
            all.merge(countsOnly);
            int[] g = gaugeSums.computeIfAbsent(b.at(), x -> new int[2]);
            g[0] += b.maxConcurrency();
            g[1] += b.instances();
        }
        gaugeSums.forEach((at, g) -> {
            perPoint[(int) ((at - from) / step)].sample(g[0], g[1]);
            all.sample(g[0], g[1]);
        });
        List<Report.Point> series = new ArrayList<>(points);
        for (int i = 0; i < points; i++) {
            Rollup p = perPoint[i];
            series.add(new Report.Point(Instant.ofEpochSecond(from + (long) i * step), p.requests, p.errors,
                    p.throttles, ms(p.latency, 50), ms(p.latency, 95), ms(p.latency, 99), p.coldStarts,
                    p.maxConcurrency, p.instances));
        }
        Report.Totals totals = new Report.Totals(all.requests, all.errors, ratio(all.errors, all.requests),
                all.throttles, ms(all.latency, 50), ms(all.latency, 95), ms(all.latency, 99), all.coldStarts,
                ratio(all.coldStarts, all.requests), ms(all.init, 50), all.maxConcurrency, all.instances,
                backlog.map(Backlog::depth).orElse(0L), backlog.map(Backlog::oldestAgeSeconds).orElse(0.0));
        return new Report(scope.function() ? Optional.of(scope.name().substring(scope.name().indexOf('/') + 1))
                : Optional.empty(), scope.namespace(), w.label(), Instant.ofEpochSecond(from),
                Instant.ofEpochSecond(until), step, !unreachable.isEmpty(), List.copyOf(unreachable), totals, series);
    }

    private static double ms(Latency l, double percentile) {
        return Math.round(l.percentileMillis(percentile) * 1000) / 1000.0;
    }

    private static double ratio(long part, long whole) {
        return whole == 0 ? 0 : Math.round(part * 1e6 / whole) / 1e6;
    }
}
