package dev.nest.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The simulator's table, the targets' verdict and the docs/BENCHMARKS.md section. */
record Report(Trace trace, Map<Policy, Totals> results, Map<String, AppLevelSim.AppTotals> appLevel, long seed, long coldMs, double seconds, int threads) {
    static final String HEADING = "## Autoscaling on the Azure Functions 2019 trace (simulation)";

    /** The policies compared (not the variants). */
    String table() {
        return table(false);
    }

    /** {@code variants}: the design alternatives tried ({@code --variants}); otherwise the policies compared. */
    String table(boolean variants) {
        Totals fixed = fixed();
        StringBuilder b = new StringBuilder();
        b.append("| policy | cold starts | cold-start rate | instance-hours | GB-s provisioned | utilization | idle GB-s "
                + "| idle GB-s vs fixed 10m | p99 wait (ms) | scale events | cold starts from zero | idle GB-s while nothing in flight |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<Policy, Totals> e : results.entrySet()) {
            if (isVariant(e.getKey()) != variants) {
                continue;
            }
            Totals t = e.getValue();
            b.append(String.format(Locale.ROOT, "| %s | %,d | %.3f%% | %,.0f | %,.0f | %.1f%% | %,.0f | %s | %d | %,d | %,d | %,.0f |%n",
                    e.getKey().name(), t.coldStarts, 100 * t.coldStartRate(), t.instanceHours(), t.gbSeconds(),
                    100 * t.utilization(), t.idleGbSeconds(),
                    fixed == null ? "" : String.format(Locale.ROOT, "%.2fx", t.idleGbSeconds() / fixed.idleGbSeconds()),
                    t.waitPercentile(99), t.scaleEvents, t.coldFromZero, t.tailGbSeconds()));
        }
        return b.toString();
    }

    boolean hasVariants() {
        return results.keySet().stream().anyMatch(Report::isVariant);
    }

    private static boolean isVariant(Policy p) {
        return p.description().equals("variant");
    }

    /** The keep-alive policies alone, in the paper's one-instance-per-function model. */
    String appTable() {
        AppLevelSim.AppTotals fixed = appLevel.get("fixed 10m");
        StringBuilder b = new StringBuilder();
        b.append("| keep-alive policy (one instance per function) | cold starts | cold-start rate | cold starts vs fixed 10m "
                + "| idle GB-s | idle GB-s vs fixed 10m |\n");
        b.append("|---|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, AppLevelSim.AppTotals> e : appLevel.entrySet()) {
            AppLevelSim.AppTotals t = e.getValue();
            b.append(String.format(Locale.ROOT, "| %s | %,d | %.3f%% | %.2fx | %,.0f | %.2fx |%n", e.getKey(), t.coldStarts,
                    100.0 * t.coldStarts / t.invocations, (double) t.coldStarts / fixed.coldStarts, t.idleGbSeconds(),
                    t.idleGbSeconds() / fixed.idleGbSeconds()));
        }
        return b.toString();
    }

    private Totals fixed() {
        return results.entrySet().stream().filter(e -> e.getKey() instanceof Policy.FixedOnly
                && e.getKey().name().startsWith("fixed 10m")).map(Map.Entry::getValue).findFirst().orElse(null);
    }

    private Map.Entry<Policy, Totals> ours() {
        return results.entrySet().stream().filter(e -> e.getKey() instanceof Policy.Ours).findFirst().orElse(null);
    }

    /** The targets for our default policy. */
    String verdict() {
        Map.Entry<Policy, Totals> o = ours();
        if (o == null) {
            return "";
        }
        Totals t = o.getValue();
        Totals f = fixed();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Targets for '%s':%n", o.getKey().name()));
        b.append(String.format(Locale.ROOT, "- utilization >= 60%%: %.1f%% -> %s%n", 100 * t.utilization(),
                t.utilization() >= 0.60 ? "met" : "MISSED"));
        if (f != null) {
            double ratio = t.idleGbSeconds() / f.idleGbSeconds();
            b.append(String.format(Locale.ROOT, "- idle GB-s <= 0.5x fixed 10m: %.2fx -> %s%n", ratio, ratio <= 0.5 ? "met" : "MISSED"));
            b.append(String.format(Locale.ROOT, "- cold starts <= fixed 10m: %,d vs %,d (%.3f%% vs %.3f%%) -> %s%n",
                    t.coldStarts, f.coldStarts, 100 * t.coldStartRate(), 100 * f.coldStartRate(),
                    t.coldStarts <= f.coldStarts ? "met" : "MISSED"));
        }
        return b.toString();
    }

    String section(String command, Path home) {
        String date = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME).replaceAll("\\.\\d+", "");
        StringBuilder b = new StringBuilder();
        b.append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ").append(cpu())
                .append(", ").append(System.getProperty("java.vm.name")).append(' ').append(Runtime.version())
                .append(". Date: ").append(date).append(". Commit: ").append(commit(home)).append(".\n\n");
        b.append("Command: `").append(command).append("` (").append(String.format(Locale.ROOT, "%.0f s", seconds))
                .append(" of wall time on ").append(threads).append(" threads).\n\n");
        b.append(String.format(Locale.ROOT, "Trace: %d functions x %d minutes, %,d invocations (day 1 of the sample in "
                + "`distribution/data/azure2019/`, shipped with its attribution). Seed %d.%n%n", trace.functions().size(), trace.minutes(),
                trace.invocations(), seed));
        b.append(table()).append('\n');
        for (Map.Entry<Policy, Totals> e : results.entrySet()) {
            if (!isVariant(e.getKey())) {
                b.append("- **").append(e.getKey().name()).append("**: ").append(e.getKey().description()).append(".\n");
            }
        }
        b.append('\n').append(verdict()).append('\n');
        b.append(defaultAndWhy()).append('\n');
        if (hasVariants()) {
            b.append("### Designs tried\n\n");
            b.append("Each row changes the default (histogram keep-alive, utilization 0.7 but at least one request per "
                    + "instance, no scale-down headroom, scale-down-delay 20m, step 50%, peak hold) in the way its name says, "
                    + "or is another fixed keep-alive. *Whole requests*: a concurrency target times utilization is at least "
                    + "one request; *0.7 of a request*: the previous rule, under which `target: 1` at `utilization: 0.7` "
                    + "kept 1/0.7 instances per request in flight.\n\n");
            b.append(table(true)).append('\n');
        }
        if (!mergedTable().isEmpty()) {
            b.append("### Merged placement for the long tail\n\n");
            b.append(mergedTable()).append('\n');
            b.append(mergedVerdict()).append('\n');
            b.append(MERGED_NOTES.formatted(MergedModel.NODEJS.podMb(), MergedModel.NODEJS.workerMb(),
                    MergedModel.NODEJS.parkedMb(), MergedModel.NODEJS.workerStartMs(), MergedModel.NODEJS.mergeBelow(),
                    MergedModel.NODEJS.idleUnloadMs() / 1000)).append('\n');
        }
        if (!appLevel.isEmpty()) {
            b.append("### The keep-alive policies alone, in the paper's model\n\n");
            b.append("One instance per function that serves every overlapping invocation (the model of Shahrad et al., "
                    + "section 5): this isolates what the keep-alive policy decides, an idle function's last instance.\n\n");
            b.append(appTable()).append('\n');
        }
        b.append(NOTES.formatted(coldMs));
        b.append(block());
        return b.toString();
    }

    private Map.Entry<Policy, Totals> mergedDefault() {
        return results.entrySet().stream().filter(e -> e.getKey() instanceof Policy.Merged m && m.base() instanceof Policy.Ours && !isVariant(m))
                .findFirst().orElse(null);
    }

    /** Merged placement against the lifecycles it runs over and the fixed 10-minute keep-alive. */
    String mergedTable() {
        Totals fixed = fixed();
        if (fixed == null || results.keySet().stream().noneMatch(p -> p instanceof Policy.Merged)) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        b.append("| policy | pod cold starts | vs fixed 10m | worker starts (of them after parking) | requests that waited "
                + "for any start | p99 wait (ms) | idle GB-s (trace memory) | vs fixed 10m | idle GB-s (footprint) "
                + "| vs fixed 10m | utilization (instances) | utilization (memory) | moves |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<Policy, Totals> e : results.entrySet()) {
            Policy p = e.getKey();
            boolean shown = p instanceof Policy.Merged || p == fixedPolicy() || (ours() != null && p == ours().getKey());
            if (!shown) {
                continue;
            }
            Totals t = e.getValue();
            b.append(String.format(Locale.ROOT, "| %s | %,d | %.2fx | %,d (%,d) | %,d | %d | %,.0f | %.2fx | %,.0f | %.2fx "
                            + "| %.1f%% | %.1f%% | %,d |%n", p.name(), t.coldStarts, (double) t.coldStarts / fixed.coldStarts,
                    t.workerStarts, t.unparks, t.coldStarts + t.workerStarts, t.waitPercentile(99), t.idleGbSeconds(),
                    t.idleGbSeconds() / fixed.idleGbSeconds(), t.idleFootprintGbSeconds(),
                    t.idleFootprintGbSeconds() / fixed.idleFootprintGbSeconds(), 100 * t.utilization(),
                    100 * t.memoryUtilization(), t.moves));
        }
        return b.toString();
    }

    /** Where each merged policy's idle memory is held, in idle GB-s of the trace model and shares of fixed 10m's. */
    String idleBreakdown() {
        Totals fixed = fixed();
        if (fixed == null) {
            return "";
        }
        double base = fixed.memMbMs - fixed.busyMemMbMs;
        StringBuilder b = new StringBuilder("| policy | dedicated, keep-alive tail | dedicated, beyond demand | merged, idle worker "
                + "| merged, parked | total vs fixed 10m |\n|---|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<Policy, Totals> e : results.entrySet()) {
            Policy p = e.getKey();
            if (!(p instanceof Policy.Merged || p == fixedPolicy() || (ours() != null && p == ours().getKey()))) {
                continue;
            }
            Totals t = e.getValue();
            b.append(String.format(Locale.ROOT, "| %s | %.3fx | %.3fx | %.3fx | %.3fx | %.2fx |%n", p.name(),
                    t.idleDedicatedTailMbMs / base, t.idleDedicatedExtraMbMs / base, t.idleWorkerMbMs / base,
                    t.idleParkedMbMs / base, (t.memMbMs - t.busyMemMbMs) / base));
        }
        return b.toString();
    }

    private Policy fixedPolicy() {
        return results.keySet().stream().filter(p -> p instanceof Policy.FixedOnly && p.name().startsWith("fixed 10m"))
                .findFirst().orElse(null);
    }

    /** The target for the default policy with merged placement. */
    String mergedVerdict() {
        Map.Entry<Policy, Totals> m = mergedDefault();
        Totals f = fixed();
        if (m == null || f == null) {
            return "";
        }
        Totals t = m.getValue();
        double ratio = t.idleGbSeconds() / f.idleGbSeconds();
        return String.format(Locale.ROOT, "Target for '%s' (issue 17):%n"
                        + "- idle GB-s <= 0.5x fixed 10m: %.2fx (footprint model: %.2fx) -> %s%n"
                        + "- pod cold starts <= fixed 10m: %,d vs %,d -> %s; besides them %,d requests waited for a worker "
                        + "in a running merged pod (%,d of them after parking), %d ms each (measured p50), where fixed 10m "
                        + "has no such wait: counted with the pod cold starts, %,d requests waited for a start against %,d%n"
                        + "- time requests waited for starts (a pod start %d ms, a worker start %d ms): %.2fx that of fixed 10m%n"
                        + "- utilization: %.1f%% of instance time busy (the scaler's figure), %.1f%% of memory%n",
                m.getKey().name(), ratio, t.idleFootprintGbSeconds() / f.idleFootprintGbSeconds(),
                ratio <= 0.5 && t.coldStarts <= f.coldStarts ? "met" : "MISSED", t.coldStarts, f.coldStarts,
                t.coldStarts <= f.coldStarts ? "met" : "MISSED", t.workerStarts, t.unparks,
                MergedModel.NODEJS.workerStartMs(), t.coldStarts + t.workerStarts, f.coldStarts, coldMs,
                MergedModel.NODEJS.workerStartMs(),
                (t.coldStarts * (double) coldMs + t.workerStarts * (double) MergedModel.NODEJS.workerStartMs())
                        / (f.coldStarts * (double) coldMs), 100 * t.utilization(),
                100 * t.memoryUtilization());
    }

    /** The section's nest-bench block: rows 290 and 380 and the ratios that guard them (ADR 0026). */
    String block() {
        Map.Entry<Policy, Totals> o = ours();
        Map.Entry<Policy, Totals> m = mergedDefault();
        Totals f = fixed();
        StringBuilder b = new StringBuilder("\n```nest-bench\n");
        if (m != null && f != null) {
            Totals t = m.getValue();
            double idle = t.idleGbSeconds() / f.idleGbSeconds();
            double cold = (double) t.coldStarts / f.coldStarts;
            // the simulation is deterministic for a seed: the noise only absorbs rounding
            b.append(String.format(Locale.ROOT, "ratio replay.merged-idle-vs-fixed-10m %.4f floor %.4f noise 0.0100 lower%n",
                    idle, idle));
            b.append(String.format(Locale.ROOT, "ratio replay.merged-pod-cold-starts-vs-fixed-10m %.4f floor %.4f noise 0.0100 lower%n",
                    cold, cold));
        }
        if (o != null) {
            b.append(String.format(Locale.ROOT, "row 290 | utilization on the Azure Functions 2019 trace (simulated day, "
                    + "%d functions, the real scaler and keep-alive code; the sample ships in `distribution/data/azure2019` "
                    + "with its attribution) | >= 60%% | %.1f%% | `distribution/replay.sh`%n", trace.functions().size(),
                    100 * o.getValue().utilization()));
        }
        if (m != null && f != null && o != null) {
            Totals t = m.getValue();
            b.append(String.format(Locale.ROOT, "row 380 | idle memory-seconds vs a fixed 10-minute keep-alive, same trace, "
                            + "at no more cold starts (merged placement for the long tail: `deploy: auto`, `merge-below: %d`, "
                            + "memory per function as measured by `distribution/bench-merged.sh`) | <= 0.5x | **%.2fx** at "
                            + "%.2fx the pod cold starts, plus %,d waits for a worker in a running merged pod (%d ms p50, "
                            + "measured), %,d of them after parking; dedicated pods only: %.2fx | `distribution/replay.sh`%n",
                    MergedModel.NODEJS.mergeBelow(), t.idleGbSeconds() / f.idleGbSeconds(), (double) t.coldStarts / f.coldStarts,
                    t.workerStarts, MergedModel.NODEJS.workerStartMs(), t.unparks,
                    o.getValue().idleGbSeconds() / f.idleGbSeconds()));
        }
        return b.append("```\n").toString();
    }

    private static final String MERGED_NOTES = """
            Merged placement (ADR 0025, addendum *The simulated day*): the same lifecycle (scaler and keep-alive) as the \
            policy it extends, with the product's placement decisions: `Placement.mergeable` places a function that \
            starts with fewer than `merge-below` (%5$d) requests in its first minute in a merged pod, and \
            `Placement.remerge` (the node agent's band: out at %5$d per minute, back under half of it) moves it at \
            each minute's end; a move holds both placements while the new one starts and fails no request. An idle \
            function in a merged pod is parked after `idle-unload-ms` (%6$d s). Memory, measured by \
            `distribution/bench-merged.sh` and `distribution/bench-pods.sh` (inputs of the model, not outputs): a \
            dedicated Node.js pod %1$.1f MiB, a merged function with a worker %2$.1f MiB, a parked one %3$.1f MiB with \
            its share of the merged host and warm worker. *Trace memory*: an instance in a pod of its own holds the \
            trace's average allocated memory M, of which %1$.1f MiB is the pod and the rest the function's; in a \
            merged pod it holds the function's part plus %2$.1f MiB while it has a worker, and %3$.1f MiB once parked. \
            *Footprint*: only the platform's part (an idle hello-world function: %1$.1f / %2$.1f / %3$.1f MiB). A \
            request that finds its function parked, or a new instance in a merged pod, waits for a worker: %4$d ms, \
            the measured p50 of a first request into a running merged pod (p99 about 25 ms); these are counted as \
            *worker starts*, apart from pod cold starts, and are waits the fixed keep-alive does not have. The model \
            assumes the merged pod itself is running (it hosts up to 16 of the long tail's functions, so one of them \
            keeps it up); a merged pod's own start is not counted.
            """;

    /** Which keep-alive policy is the default, and why, from this run's figures. */
    String defaultAndWhy() {
        Totals hist = null;
        Totals fixedKeep = null;
        for (Map.Entry<Policy, Totals> e : results.entrySet()) {
            if (e.getKey() instanceof Policy.Ours o && !isVariant(o)) {
                if (o.config().keepAlivePolicy() instanceof dev.nest.scaler.HistogramKeepAlive) {
                    hist = e.getValue();
                } else {
                    fixedKeep = e.getValue();
                }
            }
        }
        if (hist == null || fixedKeep == null) {
            return "";
        }
        AppLevelSim.AppTotals appFixed = appLevel.get("fixed 10m");
        AppLevelSim.AppTotals appHist = appLevel.entrySet().stream().filter(e -> e.getKey().contains("Nest's default"))
                .map(Map.Entry::getValue).findFirst().orElse(null);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "**Default keep-alive policy: `histogram`.** With the same scaler it has %s "
                        + "cold starts than the fixed 10-minute keep-alive (%,d vs %,d), and %.0f%% fewer of the cold starts "
                        + "the keep-alive policy decides, those of a function with no instance at all (%,d vs %,d), for %+.1f%% "
                        + "idle GB-s in total (%+.0f%% of the idle GB-s while nothing is in flight).",
                hist.coldStarts <= fixedKeep.coldStarts ? "fewer" : "more", hist.coldStarts, fixedKeep.coldStarts,
                100.0 * (1 - (double) hist.coldFromZero / fixedKeep.coldFromZero), hist.coldFromZero, fixedKeep.coldFromZero,
                100.0 * (hist.idleGbSeconds() / fixedKeep.idleGbSeconds() - 1),
                100.0 * (hist.tailGbSeconds() / fixedKeep.tailGbSeconds() - 1)));
        if (appFixed != null && appHist != null) {
            b.append(String.format(Locale.ROOT, " In the paper's one-instance model it has %.2fx the cold starts of fixed 10m "
                            + "at %.2fx its idle GB-s: on this one-day sample it trades memory for cold starts (fixed 20m "
                            + "sits near the same trade-off); it does not reproduce the paper's memory saving, which was "
                            + "measured with histograms learned over a week of the full trace.",
                    (double) appHist.coldStarts / appFixed.coldStarts, appHist.idleGbSeconds() / appFixed.idleGbSeconds()));
        }
        b.append(" The rest of the difference to the fixed keep-alive baseline is not the keep-alive policy but the scaler, "
                + "and the designs tried below trace it: (1) with one request per instance, the previous rule kept 1/0.7 "
                + "instances per request in flight (utilization headroom inside an instance that is either idle or full), "
                + "pure idle memory: a concurrency target times utilization is now at least one request; (2) a scale-down "
                + "kept 10% above the need, one more instance for every small function: dropped, the 10% band of "
                + "scale-up is enough against flapping; (3) the scale-down delay then sets the trade between cold starts "
                + "and idle memory, and 20 minutes is the shortest tried that gives no more cold starts than the fixed "
                + "10-minute keep-alive. Every reactive design lies on one cold-start/idle-memory curve with the fixed "
                + "keep-alives: halving the idle memory of fixed 10m at no more cold starts would need a prediction of "
                + "bursts, not a different reaction to them.\n");
        return b.toString();
    }

    private static final String NOTES = """
            How the figures are made (`it/java/dev/nest/sim/`): a discrete-event simulation in virtual time, one \
            function at a time, with the real `dev.nest.scaler` classes (`Scaler.windowed()`, `HistogramKeepAlive`, \
            `FixedKeepAlive`) and no I/O besides reading the CSVs. The scheduler (`dev.nest.scheduler`) is not in \
            this model: it decides where an instance runs, not how many, and functions are simulated one at a time \
            without shared nodes; its decisions are table-tested and run live in `distribution/bench-scaling.sh`.
            - Each minute's invocations arrive at uniformly random times within the minute (seeded; the same arrivals \
            for every policy) and run for the function's average duration from `500_run.csv`; memory per instance is \
            the function's average allocated memory from `500_mem.csv`.
            - One request per instance: the trace does not say how many requests an Azure instance served at once, so \
            every function is modelled with `concurrency: 1` and a concurrency target of 1 per instance, for every \
            policy.
            - A cold start costs %d ms (`NEST_REPLAY_COLD_MS`, `--cold-ms`): the figure set for a Node.js function \
            on the `process` driver, from the `pod` + `load` phases that `GET /api/v1/invocations/{id}` reports, \
            measured on this machine by the benchmark of the section "Warm path and cold start (process driver)" \
            (when this section was first written: Node.js pod + load median 117 ms, client p99 229 ms; Java pod \
            248 ms). It is conservative for Node.js: about its p99 and the Java median. An instance is provisioned \
            (and counted in instance-hours and GB-s) from the start of its cold start until it is stopped.
            - A request that finds no idle instance waits (FIFO) for the first instance that becomes free or ready; \
            it is a *cold start* when that instance was one starting. Nest and the fixed keep-alive start an instance \
            at once for such a request (Nest's node agent does this, and it wakes the scaler); the KPA starts \
            instances only on its 2 s ticks, except from zero, where the activator wakes it.
            - Utilization = busy instance-seconds / provisioned instance-seconds; idle GB-s = provisioned GB-s minus \
            busy GB-s; a scale event is a change of a function's instance count (changes in the same direction at \
            the same millisecond count once). *Cold starts from zero* are those of a function that had no instance \
            at all; *idle GB-s while nothing in flight* is the memory of instances kept for a function with no \
            request in flight: the two figures the keep-alive policy decides.
            - The targets (issue 5): utilization >= 60%%; idle GB-s <= 0.5x those of the fixed 10-minute keep-alive \
            with no more cold starts.

            Dataset: M. Shahrad, R. Fonseca, I. Goiri, G. Chaudhry, P. Batum, J. Cooke, E. Laureano, C. Tresness, \
            M. Russinovich, R. Bianchini, "Serverless in the Wild: Characterizing and Optimizing the Serverless \
            Workload at a Large Cloud Provider", USENIX ATC 2020; Azure Functions Trace 2019 (Azure Public Dataset), \
            CC-BY 4.0; the 500-function sample drawn by vHive In-Vitro (MIT licence).
            """;

    private static String cpu() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static String commit(Path home) {
        String c = run(List.of("git", "-C", home.toString(), "rev-parse", "--short", "HEAD"));
        String dirty = run(dev.nest.bench.BenchmarksDoc.dirtyCheck(home));
        return dirty.isEmpty() ? c : c + " + uncommitted changes";
    }

    private static String run(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "unknown";
            }
            return out.lines().findFirst().orElse("");
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
