package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.sim.Trace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A time-compressed slice of the Azure Functions 2019 trace replayed live against a real node (in-process, the
 * {@code process} driver, Nest's scaler and scheduler deciding): {@code functions} functions spread over the
 * slice's activity ranks, each a Node.js function waiting its trace duration divided by the compression (clamped),
 * requests at uniformly random times within each compressed minute, all rates scaled by one factor so that the
 * total peak stays within what two cores serve. Prints the simulator's figures measured live: cold-start rate,
 * instance-seconds and memory-seconds (the instances API polled every 500 ms), utilization (busy instance samples
 * over all instance samples), p99 wait (latency minus the work), scale events (the scaler's decisions); writes
 * its section of docs/BENCHMARKS.md.
 *
 * <p>Knobs (system properties): {@code nest.bench.replay.data} (distribution/data/azure2019, shipped with its attribution),
 * {@code .functions} (50), {@code .from-minute} (600), {@code .minutes} (30), {@code .compression} (10: a trace
 * minute lasts 6 s), {@code .max-rps} (25: the total peak rate), {@code .seed} (1). The keep-alive is compressed with
 * the trace ({@code 10m / compression}); the scaler's own windows (6 s / 60 s, scale-down delay) run in real time.
 */
public final class LiveReplayBenchmark {
    static final String HEADING = "## Autoscaling: the Azure 2019 trace replayed live (time-compressed)";

    private LiveReplayBenchmark() {
    }

    record Fn(String name, Trace.Function source, int workMs, int memoryMb) {
    }

    record Shot(long atNanos, Fn fn) {
    }

    public static void main(String[] args) throws Exception {
        String load0 = Machine.loadAverage();
        Path home = Path.of(System.getProperty("nest.home", "."));
        Path data = Path.of(System.getProperty("nest.bench.replay.data", home.resolve("distribution/data/azure2019").toString()));
        int count = Integer.getInteger("nest.bench.replay.functions", 50);
        int from = Integer.getInteger("nest.bench.replay.from-minute", 600);
        int minutes = Integer.getInteger("nest.bench.replay.minutes", 30);
        int compression = Integer.getInteger("nest.bench.replay.compression", 10);
        double maxRps = Double.parseDouble(System.getProperty("nest.bench.replay.max-rps", "25"));
        long seed = Long.getLong("nest.bench.replay.seed", 1);
        Trace trace = Trace.load(data);
        double minuteS = 60.0 / compression;

        // the functions: those active in the slice, ranked by invocations there, picked evenly over the ranks
        List<Trace.Function> active = new ArrayList<>();
        for (Trace.Function f : trace.functions()) {
            if (sum(f, from, minutes) > 0) {
                active.add(f);
            }
        }
        active.sort(Comparator.comparingLong((Trace.Function f) -> sum(f, from, minutes)).reversed());
        if (active.size() < count) {
            throw new IllegalStateException("only " + active.size() + " functions are active in minutes " + from + ".."
                    + (from + minutes) + "; choose another slice (nest.bench.replay.from-minute)");
        }
        List<Fn> fns = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Trace.Function f = active.get((int) ((long) i * active.size() / count));
            int work = (int) Math.max(5, Math.min(500, f.durationMs() / compression));
            fns.add(new Fn("r" + f.index(), f, work, Math.max(16, Math.min(1024, f.memoryMb()))));
        }
        // one rate factor for all, so that the busiest compressed minute stays within maxRps
        double peak = 0;
        for (int m = from; m < from + minutes; m++) {
            double total = 0;
            for (Fn fn : fns) {
                total += fn.source().perMinute()[m] / minuteS;
            }
            peak = Math.max(peak, total);
        }
        double factor = Math.min(1.0, maxRps / peak);
        SplittableRandom random = new SplittableRandom(seed);
        List<Shot> shots = new ArrayList<>();
        long traceInvocations = 0;
        for (Fn fn : fns) {
            for (int m = from; m < from + minutes; m++) {
                int n = fn.source().perMinute()[m];
                traceInvocations += n;
                double scaled = n * factor;
                int k = (int) scaled + (random.nextDouble() < scaled - (int) scaled ? 1 : 0);
                for (int i = 0; i < k; i++) {
                    double at = (m - from + random.nextDouble()) * minuteS;
                    shots.add(new Shot((long) (at * 1e9), fn));
                }
            }
        }
        shots.sort(Comparator.comparingLong(Shot::atNanos));

        Path tmp = Files.createTempDirectory("nest-replay-bench");
        String keepAlive = (600 / compression) + "s";
        try (ScalingNode node = new ScalingNode(tmp, 400)) {
            Map<String, Fn> byName = new HashMap<>();
            for (Fn fn : fns) {
                // max 10 per function: the rates are capped for two cores, so no function needs more
                node.deploy(fn.name(), fn.workMs(), fn.memoryMb(), Map.of("max", 10, "keep-alive", keepAlive));
                byName.put(fn.name(), fn);
            }
            // instance-seconds, memory-seconds and busy samples from the instances API
            double[] acc = new double[3]; // instance-s, MiB-s, busy instance-s
            long t0 = System.nanoTime();
            double endS = minutes * minuteS;
            Thread poller = Thread.ofPlatform().daemon().start(() -> {
                long next = System.nanoTime();
                while (!Thread.currentThread().isInterrupted() && (System.nanoTime() - t0) / 1e9 < endS) {
                    try {
                        JsonNode all = node.instances();
                        double n = 0;
                        double mem = 0;
                        double busy = 0;
                        for (JsonNode i : all) {
                            Fn fn = byName.get(i.path("function").asText().replace("default/", ""));
                            if (fn == null || i.path("state").asText().equals("STOPPED")) {
                                continue;
                            }
                            n++;
                            mem += fn.memoryMb();
                            if (i.path("inFlight").asInt() > 0) {
                                busy++;
                            }
                        }
                        synchronized (acc) {
                            acc[0] += n * 0.5;
                            acc[1] += mem * 0.5;
                            acc[2] += busy * 0.5;
                        }
                        next += 500_000_000L;
                        Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // the next poll
                    }
                }
            });
            Map<String, Integer> workOf = new HashMap<>();
            for (Fn fn : fns) {
                workOf.put(fn.name(), fn.workMs());
            }
            List<String> firedNames = new ArrayList<>();
            for (Shot s : shots) {
                long until = t0 + s.atNanos();
                long wait = until - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                firedNames.add(s.fn().name());
                node.fire(s.fn().name());
            }
            node.drain(Duration.ofSeconds(90));
            poller.interrupt();
            poller.join(5_000);

            // figures
            List<ScalingNode.Sample> samples = new ArrayList<>(node.samples);
            long cold = samples.stream().filter(ScalingNode.Sample::cold).count();
            long errors = samples.stream().filter(x -> x.status() != 200).count();
            // waits: latency minus the average work per request (samples do not name their function)
            List<Double> waits = new ArrayList<>();
            List<Double> latencies = new ArrayList<>();
            double work = 0;
            for (ScalingNode.Sample x : samples) {
                latencies.add(x.latencyMs());
            }
            double avgWork = 0;
            for (String n : firedNames) {
                avgWork += workOf.get(n);
            }
            avgWork = firedNames.isEmpty() ? 0 : avgWork / firedNames.size();
            work = avgWork * samples.size() / 1000.0;
            for (double l : latencies) {
                waits.add(Math.max(0, l - avgWork));
            }
            long events = 0;
            for (Fn fn : fns) {
                events += node.scaling(fn.name()).path("decisions").size();
            }
            double instanceS;
            double mibS;
            double busyS;
            synchronized (acc) {
                instanceS = acc[0];
                mibS = acc[1];
                busyS = acc[2];
            }
            String table = String.format(Locale.ROOT, """
                    | figure | value |
                    |---|---:|
                    | functions, trace minutes (compressed %dx), requests sent (trace: %,d, scaled by %.4f) | %d, %d..%d, %,d |
                    | cold starts, cold-start rate | %,d, %.2f%% |
                    | errors | %d |
                    | instance-seconds, GB-s provisioned | %.0f, %.1f |
                    | utilization (busy instance samples / instance samples) | %.1f%% |
                    | work served (request-seconds) / instance-seconds | %.1f%% |
                    | p50, p99 latency | %.0f ms, %.0f ms |
                    | p99 wait (latency minus the average work of %.0f ms) | %.0f ms |
                    | scale events (the scaler's changes of the desired count, all functions) | %,d |
                    """, compression, traceInvocations, factor, fns.size(), from, from + minutes, samples.size(), cold,
                    100.0 * cold / Math.max(1, samples.size()), errors, instanceS, mibS / 1024.0,
                    100.0 * busyS / Math.max(1e-9, instanceS), 100.0 * work / Math.max(1e-9, instanceS),
                    ScalingNode.percentile(latencies, 50), ScalingNode.percentile(latencies, 99), avgWork,
                    ScalingNode.percentile(waits, 99), events);
            String body = "Measured " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors() + " cores, JDK "
                    + System.getProperty("java.runtime.version") + ", one node in-process with the embedded defaults and the"
                    + " `process` driver; every function a Node.js function on Nest's default scaling (histogram keep-alive"
                    + " with its fallback compressed to " + keepAlive + ", utilization 0.7 but at least one request per instance,"
                    + " scale-down-delay 20m in real time, so a function that has had two instances keeps them for the whole"
                    + " run; the last instance of an idle one follows the keep-alive)." + Machine.loadSentence(load0) + "\n\n"
                    + "Command: `distribution/bench-scaling.sh replay` (" + fns.size() + " functions picked evenly over the"
                    + " activity ranks of trace minutes " + from + ".." + (from + minutes) + ", time compressed " + compression
                    + "x (a trace minute lasts " + minuteS + " s), request durations divided by " + compression
                    + " and clamped to 5..500 ms, all rates scaled so that the busiest minute is at most " + maxRps
                    + " req/s; the scaler's windows and delays run in real time, so they are " + compression
                    + "x longer in trace time than in the simulation).\n\n" + table;
            body = ScalingStepBenchmark.sectionBody(body, List.of(row(fns.size(), compression,
                    100.0 * cold / Math.max(1, samples.size()), 100.0 * busyS / Math.max(1e-9, instanceS),
                    minutes * minuteS)));
            System.out.println(HEADING + "\n\n" + body);
            if (!"false".equals(System.getenv("NEST_BENCH_DOCS"))) {
                BenchmarksDoc.writeSection(Path.of("docs", "BENCHMARKS.md"), HEADING, body);
            }
        }
    }

    /**
     * The section's row of the README's Specification table (370), from this run's figures.
     *
     * @param functions   trace functions replayed
     * @param compression the time compression
     * @param coldPct     cold-start rate, percent of the requests sent
     * @param utilPct     utilization, percent of the instance samples that were busy
     * @param runS        the run's length in seconds
     */
    static BenchBlock.Row row(int functions, int compression, double coldPct, double utilPct, double runS) {
        String run = runS % 60 == 0 ? (long) (runS / 60) + "-minute" : String.format(Locale.ROOT, "%.0f s", runS);
        return new BenchBlock.Row(370, "live replay, " + functions + " trace functions time-compressed " + compression
                + "x on one node: cold-start rate, utilization", "", String.format(Locale.ROOT,
                "%.1f%%, %.1f%% (%s run: the real-time 20-minute scale-down delay keeps what a burst started)", coldPct,
                utilPct, run), "`distribution/bench-scaling.sh replay`");
    }

    private static long sum(Trace.Function f, int from, int minutes) {
        long n = 0;
        for (int m = from; m < from + minutes && m < f.perMinute().length; m++) {
            n += f.perMinute()[m];
        }
        return n;
    }
}
