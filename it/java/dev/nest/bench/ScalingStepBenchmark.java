package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The autoscaler under a step: one Node.js function (one request per instance, {@code WORK_MS} per request) on a
 * real node in-process with the {@code process} driver, an open-loop load at a base rate, then ten times that rate,
 * then the base again, then steady load at the step's rate with +/-30% noise per second. Prints and writes to
 * docs/BENCHMARKS.md: time from the step to the scaler's first scale-up and to the first new instance serving;
 * time until the desired capacity is ready; p99 latency during the step; scale events and oscillations (direction
 * reversals of the desired count) under the steady noisy load.
 *
 * <p>Knobs (system properties): {@code nest.bench.step.base-rps} (5), {@code nest.bench.step.work-ms} (100),
 * {@code nest.bench.step.phase-s} (40: base, step and back), {@code nest.bench.step.steady-s} (180: the steady
 * noisy phase, 10 minutes compressed to 3 by default).
 */
public final class ScalingStepBenchmark {
    static final String HEADING = "## Autoscaling: step load and steady noisy load";
    private static final String FN = "step";

    private ScalingStepBenchmark() {
    }

    /** One poll of the scaling API. */
    record Point(double t, int desired, int ready, int starting) {
    }

    /**
     * The section's body: {@code text} and the block of {@code rows}, rendered by {@link BenchBlock}, which
     * {@link BenchmarksDoc#writeSection} completes with the recorded block's coverage line.
     */
    static String sectionBody(String text, List<BenchBlock.Row> rows) {
        return text.strip() + "\n\n" + new BenchBlock(List.of(), rows).render();
    }

    /**
     * The section's rows of the README's Specification table, from this run's figures: 340 the scaler's first
     * decision for more after the step, 350 the most it asked for in the step's first 10 s ready (bold when over
     * 3 s), 360 the oscillations under the steady noisy load.
     *
     * @param firstUp       seconds from the step to the first decision for more instances
     * @param capacity      seconds from the step until the most asked for in its first 10 s were ready
     * @param target        that count
     * @param targetAskedAt seconds from the step to the decision that asked for it
     * @param lagP50        median seconds from each increase to that many instances ready
     * @param lagMax        the most of those
     * @param firstReady    seconds from the step to the first new instance ready
     * @param p99First5     p99 latency of the requests sent in the step's first 5 s, ms
     * @param pool          warm pool size (0: none)
     * @param steadyS       seconds of the steady phase
     * @param reversals     direction reversals of the desired count in the steady phase
     * @param events        scale events in the steady phase
     * @param steadyMin     the lowest desired count in the steady phase
     * @param steadyMax     the highest
     */
    static List<BenchBlock.Row> rows(double firstUp, double capacity, int target, double targetAskedAt, double lagP50,
                                     double lagMax, double firstReady, double p99First5, int pool, int steadyS,
                                     int reversals, int events, int steadyMin, int steadyMax) {
        String command = "`distribution/bench-scaling.sh step`";
        String ready = String.format(Locale.ROOT, "%.2f s", capacity);
        String measured350 = String.format(Locale.ROOT,
                "%s: the increase to %d was asked for %.1f s into the step (each increase ready %.2f s / %.2f s median"
                        + " / max after it was asked; first %.2f s; p99 latency in the step's first 5 s %.0f ms; %s)",
                capacity <= 3 ? ready : "**" + ready + "**", target, targetAskedAt, lagP50, lagMax, firstReady, p99First5,
                pool > 0 ? "warm pool of " + pool + " Node.js pods" : "no warm pool");
        String minutes = steadyS % 60 == 0 ? steadyS / 60 + " minutes" : steadyS + " s";
        return List.of(
                new BenchBlock.Row(340, "scale-up starts after a 10x step (scaler's first decision for more instances,"
                        + " one node, process driver)", "<= 1 s", String.format(Locale.ROOT, "%.2f s", firstUp), command),
                new BenchBlock.Row(350, "10x step: the most instances the scaler asked for in the step's first 10 s ready"
                        + " (each increase asked for ready, median / max; first new instance ready)",
                        "<= 3 s with a warm pool", measured350, command),
                new BenchBlock.Row(360, "oscillations under steady load with +/-30% noise (" + minutes
                        + ", compressed from 10)", "0", String.format(Locale.ROOT, "%d (%d scale events%s, desired %d..%d)",
                        reversals, events, reversals == 0 ? " in one direction" : "", steadyMin, steadyMax), command));
    }

    public static void main(String[] args) throws Exception {
        String load0 = Machine.loadAverage();
        int baseRps = Integer.getInteger("nest.bench.step.base-rps", 5);
        int workMs = Integer.getInteger("nest.bench.step.work-ms", 100);
        int phaseS = Integer.getInteger("nest.bench.step.phase-s", 40);
        int steadyS = Integer.getInteger("nest.bench.step.steady-s", 180);
        int poolSize = Integer.getInteger("nest.bench.step.pool", 12);
        int stepRps = baseRps * 10;
        Path tmp = Files.createTempDirectory("nest-scaling-bench");
        try (ScalingNode node = new ScalingNode(tmp, 200)) {
            // max 20: the step needs about 6; the bound keeps a slow start on a busy machine from snowballing
            node.deploy(FN, workMs, 128, Map.of("max", 20));
            node.warm(FN);
            if (poolSize > 0) {
                node.pool("nodejs", poolSize, Duration.ofSeconds(60));
            }
            long t0 = System.nanoTime();
            List<Point> points = new ArrayList<>();
            Thread poller = Thread.ofPlatform().daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        JsonNode s = node.scaling(FN);
                        synchronized (points) {
                            points.add(new Point((System.nanoTime() - t0) / 1e9, s.path("desired").asInt(),
                                    s.path("instances").path("ready").asInt(), s.path("instances").path("starting").asInt()));
                        }
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // the next poll
                    }
                }
            });
            SplittableRandom random = new SplittableRandom(1);
            // warm-up at the base rate, then: base, step, back, steady with noise
            double stepAt = phaseS;
            double backAt = stepAt + phaseS;
            double steadyAt = backAt + phaseS;
            double endAt = steadyAt + steadyS;
            Instant steadyWall = null;
            double t = 0;
            long sec = -1;
            double rate = baseRps;
            while (t < endAt) {
                t = (System.nanoTime() - t0) / 1e9;
                if ((long) t != sec) {
                    sec = (long) t;
                    rate = t < stepAt ? baseRps : t < backAt ? stepRps : t < steadyAt ? baseRps
                            : stepRps * (0.7 + 0.6 * random.nextDouble());
                    if (t >= steadyAt && steadyWall == null) {
                        steadyWall = Instant.now();
                    }
                }
                node.fire(FN);
                // exponential gaps: a Poisson process at the current rate
                double gap = -Math.log(1 - random.nextDouble()) / rate;
                long until = t0 + (long) ((t + gap) * 1e9);
                while (System.nanoTime() < until) {
                    Thread.sleep(Math.max(0, (until - System.nanoTime()) / 1_000_000), 0);
                }
            }
            Instant endWall = Instant.now();
            node.drain(Duration.ofSeconds(60));
            poller.interrupt();
            JsonNode scaling = node.scaling(FN);
            List<Point> ps;
            synchronized (points) {
                ps = List.copyOf(points);
            }

            // the step
            int before = ps.stream().filter(p -> p.t() < stepAt).reduce((a, b) -> b).map(p -> p.ready() + p.starting()).orElse(0);
            double firstUp = ps.stream().filter(p -> p.t() >= stepAt && p.desired() > before).mapToDouble(p -> p.t() - stepAt).findFirst().orElse(Double.NaN);
            int readyBefore = ps.stream().filter(p -> p.t() < stepAt).reduce((a, b) -> b).map(Point::ready).orElse(0);
            double firstReady = ps.stream().filter(p -> p.t() >= stepAt && p.ready() > readyBefore).mapToDouble(p -> p.t() - stepAt).findFirst().orElse(Double.NaN);
            int target = ps.stream().filter(p -> p.t() >= stepAt && p.t() < stepAt + 10).mapToInt(Point::desired).max().orElse(0);
            double capacity = ps.stream().filter(p -> p.t() >= stepAt && p.ready() >= target).mapToDouble(p -> p.t() - stepAt).findFirst().orElse(Double.NaN);
            // the platform's part: each time the scaler asks for more during the step's first 10 s, how long until
            // that many instances are ready (the highest count itself depends on when the load's random peaks come)
            double lagMax = 0;
            List<Double> lags = new ArrayList<>();
            StringBuilder increases = new StringBuilder();
            double targetAskedAt = Double.NaN;
            int asked = before;
            for (Point p : ps) {
                if (p.t() < stepAt || p.t() >= stepAt + 10 || p.desired() <= asked) {
                    continue;
                }
                asked = p.desired();
                if (asked == target) {
                    targetAskedAt = p.t() - stepAt;
                }
                increases.append(String.format(Locale.ROOT, "%s%d at %.2f s", increases.isEmpty() ? "" : ", ", asked, p.t() - stepAt));
                int want = asked;
                double from = p.t();
                double lag = ps.stream().filter(q -> q.t() >= from && q.ready() >= want).mapToDouble(q -> q.t() - from)
                        .findFirst().orElse(Double.NaN);
                lags.add(lag);
                lagMax = Double.isNaN(lag) ? Double.NaN : Math.max(lagMax, lag);
            }
            double lagP50 = lags.isEmpty() ? Double.NaN : lags.stream().sorted().toList().get((lags.size() - 1) / 2);
            List<Double> stepLat = new ArrayList<>();
            List<Double> stepFirst5 = new ArrayList<>();
            List<Double> steadyLat = new ArrayList<>();
            long errors = 0;
            long cold = 0;
            for (ScalingNode.Sample s : node.samples) {
                double at = (s.sentNanos() - t0) / 1e9;
                if (s.status() != 200) {
                    errors++;
                }
                if (s.cold()) {
                    cold++;
                }
                if (at >= stepAt && at < backAt) {
                    stepLat.add(s.latencyMs());
                    if (at < stepAt + 5) {
                        stepFirst5.add(s.latencyMs());
                    }
                } else if (at >= steadyAt) {
                    steadyLat.add(s.latencyMs());
                }
            }
            // the steady noisy phase: the scaler's decisions in it (after the first 60 s: the window fills)
            Instant settled = steadyWall.plusSeconds(60);
            List<int[]> changes = new ArrayList<>();
            for (JsonNode d : scaling.path("decisions")) {
                Instant at = Instant.parse(d.path("at").asText());
                if (!at.isBefore(settled) && at.isBefore(endWall)) {
                    changes.add(new int[] {d.path("from").asInt(), d.path("to").asInt()});
                }
            }
            int reversals = 0;
            int lastDir = 0;
            for (int i = changes.size() - 1; i >= 0; i--) { // the API lists newest first
                int dir = Integer.signum(changes.get(i)[1] - changes.get(i)[0]);
                if (dir != 0 && lastDir != 0 && dir != lastDir) {
                    reversals++;
                }
                if (dir != 0) {
                    lastDir = dir;
                }
            }
            int steadyMin = ps.stream().filter(p -> p.t() >= steadyAt + 60).mapToInt(Point::desired).min().orElse(0);
            int steadyMax = ps.stream().filter(p -> p.t() >= steadyAt + 60).mapToInt(Point::desired).max().orElse(0);

            String table = String.format(Locale.ROOT, """
                    | figure | value | target |
                    |---|---:|---|
                    | load | %d req/s base, %d req/s step (10x), %d ms per request, one request per instance | |
                    | instances before the step | %d | |
                    | step -> the scaler asks for more instances | %.2f s | <= 1 s |
                    | step -> first new instance ready | %.2f s | |
                    | step -> desired capacity (%d instances, the most the scaler asked for in the step's first 10 s) ready | %.2f s | <= 3 s with a warm pool |
                    | the scaler asks for more -> that many instances ready, over the %d increases in the step's first 10 s: median, max | %.2f s, %.2f s | |
                    | p99 latency during the step (%d s), first 5 s | %.0f ms, %.0f ms (p50 %.0f ms) | |
                    | steady noisy load: %d s at %d req/s +/-30%% per second (10 minutes compressed to %d s) | | |
                    | scale events in the steady phase (after its first 60 s) | %d (desired %d..%d) | |
                    | oscillations (direction reversals) in the steady phase | %d | 0 |
                    | p99 latency in the steady phase | %.0f ms | |
                    | requests, errors, cold starts | %d, %d, %d | |
                    """, baseRps, stepRps, workMs, before, firstUp, firstReady, target, capacity, lags.size(), lagP50, lagMax, phaseS,
                    ScalingNode.percentile(stepLat, 99), ScalingNode.percentile(stepFirst5, 99), ScalingNode.percentile(stepLat, 50),
                    steadyS, stepRps, steadyS, changes.size(), steadyMin, steadyMax, reversals,
                    ScalingNode.percentile(steadyLat, 99), node.samples.size(), errors, cold);
            String body = sectionBody("Measured " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors() + " cores, JDK "
                    + System.getProperty("java.runtime.version") + ", one node in-process with the embedded defaults and the"
                    + " `process` driver, a warm pool of " + poolSize
                    + " Node.js pods (`-Dnest.bench.step.pool`; 0: every new instance starts a new host)."
                    + Machine.loadSentence(load0) + "\n\n"
                    + "Command: `distribution/bench-scaling.sh step` (phases of " + phaseS + " s: base, 10x step, base; then "
                    + steadyS + " s of steady load with +/-30% noise; the scaling API polled every 50 ms).\n\n" + table,
                    rows(firstUp, capacity, target, targetAskedAt, lagP50, lagMax, firstReady,
                            ScalingNode.percentile(stepFirst5, 99), poolSize, steadyS, reversals, changes.size(), steadyMin,
                            steadyMax));
            System.out.println(HEADING + "\n\n" + body);
            System.out.println("the scaler's increases in the step's first 10 s: " + increases);
            if (!"false".equals(System.getenv("NEST_BENCH_DOCS"))) {
                BenchmarksDoc.writeSection(Path.of("docs", "BENCHMARKS.md"), HEADING, body);
            }
        }
    }

}
