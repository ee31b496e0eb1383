package dev.nest.sim;

import dev.nest.scaler.FixedKeepAlive;
import dev.nest.scaler.HistogramKeepAlive;
import dev.nest.scaler.KeepAlivePolicy;
import dev.nest.scaler.Scaler;
import dev.nest.scaler.ScalingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Replays a day of the Azure Functions 2019 trace (500 functions, per-minute counts) in virtual time against
 * Nest's scaler and keep-alive policies and two baselines, and prints per policy: cold-start rate,
 * instance-hours and GB-s provisioned, utilization, idle (wasted) GB-s, p99 wait for an instance and scale
 * events. With {@code --doc FILE} it also writes its section of docs/BENCHMARKS.md.
 *
 * <pre>
 * java -cp ... dev.nest.sim.TraceSimulator [--data DIR] [--seed N] [--cold-ms 250] [--functions N]
 *      [--threads N] [--variants | --designs | --merged-only] [--doc docs/BENCHMARKS.md] [--results FILE]
 *      [--command "..."]
 * </pre>
 * No I/O besides reading the CSVs (and writing the doc when asked).
 */
public final class TraceSimulator {
    /** Cold-start cost: pod + load phases of a Node.js process-driver cold start, measured on this machine. */
    static final long DEFAULT_COLD_MS = 250;
    /** Functions in the trace run one request per instance; a function may have at most this many. */
    static final int MAX_INSTANCES = ScalingConfig.MAX_INSTANCES;

    private TraceSimulator() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        Path home = Path.of(System.getProperty("nest.home", "."));
        Path data = Path.of(opt.getOrDefault("data", home.resolve("distribution/data/azure2019").toString()));
        long seed = Long.parseLong(opt.getOrDefault("seed", "1"));
        long coldMs = Long.parseLong(opt.getOrDefault("cold-ms", String.valueOf(DEFAULT_COLD_MS)));
        int threads = Integer.parseInt(opt.getOrDefault("threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        Trace trace = Trace.load(data);
        if (opt.containsKey("functions")) {
            int n = Integer.parseInt(opt.get("functions"));
            trace = new Trace(trace.functions().subList(0, Math.min(n, trace.functions().size())), trace.minutes());
        }
        boolean mergedOnly = opt.containsKey("merged-only");
        if (mergedOnly && opt.containsKey("designs")) {
            throw new IllegalArgumentException("--merged-only runs the merged policies (with --variants, their variants); "
                    + "--designs runs the scaler's designs: give one of them");
        }
        List<Policy> policies = opt.containsKey("app-only") ? List.of() : mergedOnly && opt.containsKey("variants")
                ? java.util.stream.Stream.concat(mergedOnly().stream(), mergedVariants().stream()).toList()
                : mergedOnly ? mergedOnly()
                : opt.containsKey("variants") ? variants() : opt.containsKey("designs") ? designs() : standard();
        if (opt.containsKey("only")) {
            // the baselines stay, so that the ratios have their denominators
            java.util.regex.Pattern only = java.util.regex.Pattern.compile(opt.get("only"));
            policies = policies.stream().filter(p -> !(p instanceof Policy.Merged) || !p.name().startsWith("variant")
                    || only.matcher(p.name()).find()).toList();
        }
        long started = System.nanoTime();
        Map<Policy, Totals> results = run(trace, policies, seed, coldMs, threads);
        Map<String, AppLevelSim.AppTotals> appLevel = mergedOnly ? Map.of() : runAppLevel(trace,
                opt.containsKey("variants") ? appLevelVariants() : appLevelPolicies(), seed, threads);
        double seconds = (System.nanoTime() - started) / 1e9;
        Report report = new Report(trace, results, appLevel, seed, coldMs, seconds, threads);
        System.out.println(report.table());
        if (report.hasVariants()) {
            System.out.println("Designs tried:");
            System.out.println(report.table(true));
        }
        System.out.println(report.verdict());
        System.out.println(report.defaultAndWhy());
        System.out.println(report.mergedTable());
        System.out.println(report.mergedVerdict());
        System.out.println(report.idleBreakdown());
        if (!appLevel.isEmpty()) {
            System.out.println(report.appTable());
        }
        System.out.printf(Locale.ROOT, "%n%d functions, %d invocations, %d minutes; %.1f s on %d threads%n",
                trace.functions().size(), trace.invocations(), trace.minutes(), seconds, threads);
        if (opt.containsKey("results")) {
            // the section as --check reads it (distribution/bench.sh): heading, prose and its nest-bench block
            Path out = Path.of(opt.get("results"));
            Files.writeString(out, Report.HEADING + "\n\n" + report.section(opt.getOrDefault("command",
                    "distribution/replay.sh"), home));
            System.out.println("wrote the results to " + out);
        }
        if (opt.containsKey("doc")) {
            Path doc = Path.of(opt.get("doc"));
            dev.nest.bench.BenchmarksDoc.writeSection(doc, Report.HEADING, report.section(opt.getOrDefault("command",
                    "distribution/replay.sh"), home));
            System.out.println("wrote section '" + Report.HEADING + "' of " + doc);
        }
    }

    /** The product's scaler: its default {@code cluster.burst-release} (the steady need at p95 over 10 minutes). */
    static final Scaler PRODUCT_SCALER = Scaler.windowed(dev.nest.scaler.BurstRelease.after(
            dev.nest.config.NestConfig.Cluster.DEFAULT_BURST_RELEASE));

    /** Ours (the default), ours with the other keep-alive policy, fixed 10 minutes, Knative's KPA. */
    static List<Policy> standard() {
        ScalingConfig base = ScalingConfig.defaults(1).withMinMax(0, MAX_INSTANCES);
        FixedKeepAlive tenMinutes = new FixedKeepAlive(Duration.ofMinutes(10));
        List<Policy> out = new ArrayList<>();
        // without merged placement every function is scaled as a deploy: dedicated one: no burst release
        out.add(new Policy.Ours("nest: scaler + histogram keep-alive", PRODUCT_SCALER.withoutBurstRelease(), base.withKeepAlive(Duration.ofMinutes(10),
                HistogramKeepAlive.standard(tenMinutes), ScalingConfig.DEFAULT_SCALE_TO_ZERO_AFTER),
                "Nest's scaler with its defaults (concurrency target 1 per instance, utilization 0.7 but at least one request "
                        + "per instance, 60 s stable / 6 s up window, peak hold, no scale-down headroom, scale-down-delay 20m, "
                        + "max-scale-down-step 50%) with the hybrid histogram keep-alive (p5/p99, 10% margin, fallback fixed 10m)"));
        out.add(new Policy.Ours("nest: scaler + fixed 10m keep-alive", Scaler.windowed(), base.withKeepAlive(Duration.ofMinutes(10),
                tenMinutes, ScalingConfig.DEFAULT_SCALE_TO_ZERO_AFTER),
                "the same scaler with the fixed 10-minute keep-alive for an idle function's last instance"));
        out.add(new Policy.FixedOnly("fixed 10m keep-alive (Lambda-like)", tenMinutes,
                "an instance per request that finds none free, each stopped after 10 minutes idle"));
        out.add(new Policy.Kpa("Knative KPA (defaults)", KnativeKpa.Settings.DEFAULTS,
                "Knative's KPA: 60 s stable / 6 s panic window, panic at 200%, target 70% of container concurrency 1, "
                        + "2 s tick, scale-to-zero grace 30 s"));
        out.addAll(merged(out.get(0), out.get(2)));
        return out;
    }

    /** Merged placement for the long tail (ADR 0025), over each of the two lifecycles it is compared with. */
    static List<Policy> merged(Policy nestDefault, Policy fixedTenMinutes) {
        MergedModel m = MergedModel.NODEJS;
        String how = "`deploy: auto` with `sidecar.merge-below: " + m.mergeBelow() + "` and `merge-below-in-flight: "
                + m.inFlightBelow() + "` (the product's defaults): a function under " + m.mergeBelow() + " requests in the "
                + "last minute, or under " + m.inFlightBelow() + " in flight on average, runs in a merged Node.js pod, where it is parked "
                + "after `idle-unload-ms` " + m.idleUnloadMs() / 1000 + " s idle; busier ones run in pods of their own, "
                + "their instances beyond the steady need (`sidecar.burst-workers: " + (int) m.burstWorkers() + "`: that "
                + "percentile of their per-second requests in flight over 10 minutes) as burst workers in a merged pod, "
                + "released by the scaler `cluster.burst-release` "
                + dev.nest.common.Durations.format(dev.nest.config.NestConfig.Cluster.DEFAULT_BURST_RELEASE)
                + " after it wants fewer";
        // deploy: auto functions: the product's scaler with its burst release (BurstRelease.appliesTo)
        Policy nestAuto = nestDefault instanceof Policy.Ours o
                ? new Policy.Ours(o.name(), PRODUCT_SCALER, o.config(), o.description()) : nestDefault;
        return List.of(
                new Policy.Merged(nestDefault.name() + " + merged placement", nestAuto, m,
                        "the default scaler and keep-alive with " + how),
                new Policy.Merged(fixedTenMinutes.name() + " + merged placement", fixedTenMinutes, m,
                        "the fixed 10-minute keep-alive with " + how));
    }

    /** What --check needs (--merged-only): the two baselines and merged placement over each, no app-level model. */
    static List<Policy> mergedOnly() {
        List<Policy> std = standard();
        List<Policy> out = new ArrayList<>(List.of(std.get(0), std.get(2)));
        out.addAll(merged(std.get(0), std.get(2)));
        return out;
    }

    /** Other settings of merged placement over the default lifecycle (run with --merged-only --variants). */
    static List<Policy> mergedVariants() {
        // the default for deploy: auto functions: the product's scaler with its burst release
        Policy.Ours dedicatedDefault = (Policy.Ours) standard().get(0);
        Policy nest = new Policy.Ours(dedicatedDefault.name(), PRODUCT_SCALER, dedicatedDefault.config(),
                dedicatedDefault.description());
        // the variants weigh the rate alone (merge-below-in-flight 0), as before that key, unless they say otherwise
        MergedModel m = MergedModel.NODEJS.withInFlightBelow(0);
        List<Policy> out = new ArrayList<>();
        out.add(new Policy.Merged("variant: merged placement, merge-below 6, the rate alone (merge-below-in-flight 0)", nest, m,
                "variant"));
        for (int below : new int[] {30, 120}) {
            out.add(new Policy.Merged("variant: merged placement, merge-below " + below, nest, m.withMergeBelow(below), "variant"));
        }
        out.add(new Policy.Merged("variant: every function merged (deploy: merged)", nest, m.withMergeBelow(Integer.MAX_VALUE),
                "variant"));
        for (int window : new int[] {10, 30}) {
            out.add(new Policy.Merged("variant: merged placement, rate over " + window + " minutes", nest,
                    m.withWindowMinutes(window), "variant"));
            out.add(new Policy.Merged("variant: merged placement, merge-below 30, rate over " + window + " minutes", nest,
                    m.withWindowMinutes(window).withMergeBelow(30), "variant"));
        }
        for (int below : new int[] {300, 1_000, 10_000}) {
            out.add(new Policy.Merged("variant: merged placement, merge-below " + below, nest, m.withMergeBelow(below), "variant"));
        }
        for (double inFlight : new double[] {0.5, 1, 4}) {
            out.add(new Policy.Merged("variant: merged placement, merge-below 6 and merge-below-in-flight " + inFlight, nest,
                    m.withMergeBelow(6).withInFlightBelow(inFlight), "variant"));
        }
        out.add(new Policy.Merged("variant: merged placement, merge-below 1000, idle-unload-ms 300 s", nest,
                m.withMergeBelow(1_000).withIdleUnloadMs(300_000), "variant"));
        for (double share : new double[] {0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 16.0}) {
            out.add(new Policy.Merged("variant: merged placement, out at " + Math.round(share * 100) + "% of a core busy",
                    nest, m.withBusyBelow(share), "variant"));
        }
        // burst release (BurstRelease): instances above the steady need go after a short idle time
        Policy.Ours ours = (Policy.Ours) nest;
        // the defaults before burst release and burst workers were on: no burst release, every busy instance a pod
        Policy.Ours noBurstRelease = new Policy.Ours("nest: scaler without burst release", Scaler.windowed(),
                ours.config(), "variant");
        out.add(new Policy.Merged("variant: previous default: no burst release, no burst workers (burst-release 0s, "
                + "burst-workers 0), merged placement (merge-below 6)", noBurstRelease, MergedModel.NODEJS.withBurstWorkers(0),
                "variant"));
        out.add(new Policy.Merged("variant: burst workers (p" + (int) MergedModel.NODEJS.burstWorkers() + ") without burst "
                + "release, merged placement (merge-below 6)", noBurstRelease, MergedModel.NODEJS, "variant"));
        out.add(new Policy.Merged("variant: burst release 30 s without burst workers, merged placement (merge-below 6)",
                nest, MergedModel.NODEJS.withBurstWorkers(0), "variant"));
        for (int p : new int[] {90, 50}) {
            out.add(new Policy.Merged("variant: default burst release + burst workers above p" + p + ", merged placement "
                    + "(merge-below 6)", nest, MergedModel.NODEJS.withBurstWorkers(p), "variant"));
        }
        Policy.Ours burst30 = new Policy.Ours("nest: scaler + burst release 30s p95", Scaler.windowed(
                dev.nest.scaler.BurstRelease.after(Duration.ofSeconds(30))), ours.config(), "variant");
        out.add(new Policy.Merged("variant: burst instances as merged workers (steady p95 over 10m), merged placement "
                + "(merge-below 6)", nest, MergedModel.NODEJS.withBurstWorkers(95), "variant"));
        for (int p : new int[] {95, 75, 50}) {
            out.add(new Policy.Merged("variant: burst release after 30 s + burst instances (above p" + p + ") as merged "
                    + "workers, merged placement (merge-below 6)", burst30, MergedModel.NODEJS.withBurstWorkers(p), "variant"));
        }
        for (long[] aq : new long[][] {{10, 95}, {30, 90}, {30, 95}, {30, 99}, {60, 95}, {120, 95}, {300, 95}}) {
            long after = aq[0];
            double q = aq[1];
            {
                Policy.Ours burst = new Policy.Ours("nest: scaler + burst release " + after + "s p" + (int) q, Scaler.windowed(
                        new dev.nest.scaler.BurstRelease(Duration.ofSeconds(after), Duration.ofMinutes(10), q)), ours.config(),
                        "variant");
                out.add(new Policy.Merged("variant: burst release after " + after + " s, steady p" + (int) q
                        + " over 10m, merged placement (merge-below 6)", burst, MergedModel.NODEJS, "variant"));
            }
        }
        out.add(new Policy.Merged("variant: merged placement, idle-unload-ms 10 s", nest, m.withIdleUnloadMs(10_000), "variant"));
        out.add(new Policy.Merged("variant: merged placement, never parked", nest, m.withIdleUnloadMs(0), "variant"));
        return out;
    }

    /** Design alternatives tried while choosing the defaults (run with --variants): the designs and other keep-alives. */
    static List<Policy> variants() {
        List<Policy> out = new ArrayList<>(designs());
        out.addAll(mergedVariants());
        FixedKeepAlive tenMinutes = new FixedKeepAlive(Duration.ofMinutes(10));
        ScalingConfig base = ScalingConfig.defaults(1).withMinMax(0, MAX_INSTANCES);
        out.add(new Policy.Ours("variant: average only (no peak hold)", Scaler.averageOnly(), base, "variant"));
        out.add(new Policy.Ours("variant: histogram p1/p99.9", Scaler.windowed(), base.withKeepAlive(Duration.ofMinutes(10),
                new HistogramKeepAlive(tenMinutes, 1, 99.9, 0.10, 10, 2.0), ScalingConfig.DEFAULT_SCALE_TO_ZERO_AFTER), "variant"));
        out.add(new Policy.FixedOnly("fixed 20m keep-alive (Azure-like)", new FixedKeepAlive(Duration.ofMinutes(20)), "variant"));
        out.add(new Policy.FixedOnly("fixed 5m keep-alive", new FixedKeepAlive(Duration.ofMinutes(5)), "variant"));
        return out;
    }

    /**
     * The designs tried against the idle-memory target (run with --designs): the previous default and one change at
     * a time on the way to the current one.
     */
    static List<Policy> designs() {
        List<Policy> out = new ArrayList<>(standard());
        FixedKeepAlive tenMinutes = new FixedKeepAlive(Duration.ofMinutes(10));
        ScalingConfig base = ScalingConfig.defaults(1).withMinMax(0, MAX_INSTANCES).withKeepAlive(Duration.ofMinutes(10),
                HistogramKeepAlive.standard(tenMinutes), ScalingConfig.DEFAULT_SCALE_TO_ZERO_AFTER);
        out.add(design("previous default: 0.7 of a request per instance, 10% scale-down headroom, delay 30s",
                Scaler.variant(0.1, false), base, 0.7, 30));
        out.add(design("previous default without the scale-down headroom", Scaler.variant(0, false), base, 0.7, 30));
        out.add(design("0.7 of a request per instance, no headroom, delay 600s", Scaler.variant(0, false), base, 0.7, 600));
        out.add(design("0.85 of a request per instance, no headroom, delay 600s", Scaler.variant(0, false), base, 0.85, 600));
        for (long delay : new long[] {30, 120, 300, 600, 900}) {
            out.add(design("whole requests, no headroom, delay " + delay + "s", Scaler.windowed(), base, 0.7, delay));
        }
        out.add(design("whole requests, 10% scale-down headroom, delay 1200s", Scaler.variant(0.1, true), base, 0.7, 1200));
        return out;
    }

    private static Policy design(String name, Scaler scaler, ScalingConfig base, double utilization, long delaySeconds) {
        return new Policy.Ours("design: " + name, scaler, base.withMetrics(base.metrics(), utilization)
                .withScaleDown(Duration.ofSeconds(delaySeconds), ScalingConfig.DEFAULT_SCALE_DOWN_STEP), "variant");
    }

    /** The keep-alive policies in the paper's one-instance-per-function model ({@link AppLevelSim}). */
    static Map<String, KeepAlivePolicy> appLevelPolicies() {
        FixedKeepAlive tenMinutes = new FixedKeepAlive(Duration.ofMinutes(10));
        Map<String, KeepAlivePolicy> out = new LinkedHashMap<>();
        out.put("fixed 10m", tenMinutes);
        out.put("fixed 20m", new FixedKeepAlive(Duration.ofMinutes(20)));
        out.put("histogram p5/p99, fallback fixed 10m (Nest's default)", HistogramKeepAlive.standard(tenMinutes));
        out.put("histogram p5/p99, fallback fixed 4h (the paper's fallback)",
                HistogramKeepAlive.standard(new FixedKeepAlive(Duration.ofHours(4))));
        return out;
    }

    /** Keep-alive alternatives tried in the one-instance model (run with --variants). */
    static Map<String, KeepAlivePolicy> appLevelVariants() {
        FixedKeepAlive tenMinutes = new FixedKeepAlive(Duration.ofMinutes(10));
        Map<String, KeepAlivePolicy> out = appLevelPolicies();
        out.put("fixed 5m", new FixedKeepAlive(Duration.ofMinutes(5)));
        for (double tail : new double[] {90, 95}) {
            out.put("histogram p5/p" + (int) tail + ", fallback 10m", new HistogramKeepAlive(tenMinutes, 5, tail, 0.10, 10, 2.0));
        }
        out.put("histogram p5/p99, no margin", new HistogramKeepAlive(tenMinutes, 5, 99, 0, 10, 2.0));
        out.put("histogram p5/p99, min 3 samples", new HistogramKeepAlive(tenMinutes, 5, 99, 0.10, 3, 2.0));
        out.put("histogram p5/p99, min 30 samples", new HistogramKeepAlive(tenMinutes, 5, 99, 0.10, 30, 2.0));
        out.put("histogram p5/p99, CV threshold 5", new HistogramKeepAlive(tenMinutes, 5, 99, 0.10, 10, 5.0));
        out.put("histogram p5/p99, fallback 5m", HistogramKeepAlive.standard(new FixedKeepAlive(Duration.ofMinutes(5))));
        out.put("histogram p5/p95, fallback 5m", new HistogramKeepAlive(new FixedKeepAlive(Duration.ofMinutes(5)), 5, 95, 0.10, 10, 2.0));
        return out;
    }

    static Map<String, AppLevelSim.AppTotals> runAppLevel(Trace trace, Map<String, KeepAlivePolicy> policies, long seed,
                                                          int threads) throws Exception {
        Map<String, AppLevelSim.AppTotals> out = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (Map.Entry<String, KeepAlivePolicy> e : policies.entrySet()) {
                List<Future<AppLevelSim.AppTotals>> parts = new ArrayList<>();
                for (Trace.Function f : trace.functions()) {
                    parts.add(pool.submit(() -> AppLevelSim.run(f, trace.minutes(), e.getValue(), seed)));
                }
                AppLevelSim.AppTotals sum = new AppLevelSim.AppTotals();
                for (Future<AppLevelSim.AppTotals> part : parts) {
                    sum.add(part.get());
                }
                out.put(e.getKey(), sum);
            }
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    static Map<Policy, Totals> run(Trace trace, List<Policy> policies, long seed, long coldMs, int threads)
            throws Exception {
        record Task(Trace.Function fn, Policy policy) {
        }
        List<Task> tasks = new ArrayList<>();
        for (Trace.Function f : trace.functions()) {
            for (Policy p : policies) {
                tasks.add(new Task(f, p));
            }
        }
        // the most expensive first, so that the pool does not wait on one long task at the end
        tasks.sort(Comparator.comparingLong((Task k) -> k.fn().invocations() + 60L * activeMinutes(k.fn())).reversed());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Totals>> futures = new ArrayList<>();
            // one Totals per worker thread and policy, merged at the end
            ThreadLocal<Map<Policy, Totals>> local = ThreadLocal.withInitial(LinkedHashMap::new);
            List<Map<Policy, Totals>> all = java.util.Collections.synchronizedList(new ArrayList<>());
            for (Task k : tasks) {
                futures.add(pool.submit(() -> {
                    Map<Policy, Totals> mine = local.get();
                    if (mine.isEmpty()) {
                        all.add(mine);
                    }
                    Totals t = mine.computeIfAbsent(k.policy(), p -> new Totals());
                    new FunctionSim(k.fn(), trace.minutes(), k.policy(), seed, coldMs, MAX_INSTANCES, t).run();
                    return t;
                }));
            }
            for (Future<Totals> f : futures) {
                f.get();
            }
            Map<Policy, Totals> out = new LinkedHashMap<>();
            for (Policy p : policies) {
                Totals sum = new Totals();
                synchronized (all) {
                    for (Map<Policy, Totals> m : all) {
                        Totals t = m.get(p);
                        if (t != null) {
                            sum.add(t);
                        }
                    }
                }
                out.put(p, sum);
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long activeMinutes(Trace.Function f) {
        long n = 0;
        for (int c : f.perMinute()) {
            if (c > 0) {
                n++;
            }
        }
        return n;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + args[i] + "'; options are --data DIR, "
                        + "--seed N, --cold-ms MS, --functions N, --threads N, --variants, --designs, --merged-only, --only REGEX (variants "
                        + "whose name matches), --doc FILE, --results FILE, --command TEXT");
            }
            String k = args[i].substring(2);
            if (k.equals("variants") || k.equals("app-only") || k.equals("designs") || k.equals("merged-only")) {
                out.put(k, "true");
            } else if (i + 1 < args.length) {
                out.put(k, args[++i]);
            } else {
                throw new IllegalArgumentException("option --" + k + " needs a value");
            }
        }
        return out;
    }

    static boolean exists(Path p) {
        return Files.exists(p);
    }
}
