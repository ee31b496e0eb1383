package dev.nest.bench;

import dev.nest.it.AsyncNodeProcess;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cron tick jitter: one node in its own process (embedded ZooKeeper, so it leads), an event-only Node.js function
 * with a cron trigger firing every second ({@code * * * * * *}) that appends the tick's scheduled time and its own
 * start time ({@code Date.now()}) to a file. Jitter is start minus scheduled time: the trigger's wake-up, the claim
 * in ZooKeeper, the durable enqueue, the dispatcher and the loopback hop through the gateway. Also counts ticks
 * fired twice (must be 0) and ticks not fired between the first and the last. Writes the section
 * "Cron trigger: tick jitter" of docs/BENCHMARKS.md.
 */
public final class CronBenchmark {
    /** Row 300 from the run's jitter samples (ms) and its ticks fired twice; none when no tick was measured. */
    static List<BenchBlock.Row> rows(List<Double> jitter, long twice, String command) {
        if (jitter.isEmpty()) {
            return List.of();
        }
        return List.of(BenchBlock.row(300, "cron tick jitter: function start minus scheduled time, p50 / p99 (a trigger "
                + "every second, one node, async path; ticks fired twice)", "", "`" + command + "`",
                "%.0f ms / %.0f ms (%d twice)", Stats.percentile(jitter, 50), Stats.percentile(jitter, 99), twice));
    }

    static final String HEADING = "## Cron trigger: tick jitter";

    private CronBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Fixtures.projectRoot();
        int seconds = Integer.getInteger("nest.bench.seconds", 120);
        boolean docs = Boolean.parseBoolean(System.getProperty("nest.bench.docs", "true"));
        String command = System.getProperty("nest.bench.command", "distribution/bench-cron.sh");
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String load0 = Machine.loadAverage();
        String commit = Machine.output(List.of("git", "-C", root.toString(), "rev-parse", "--short", "HEAD"));
        Path tmp = Files.createTempDirectory("nest-cronbench-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path file = Files.createFile(out.resolve("ticks.log"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));

        List<String> lines;
        try (AsyncNodeProcess node = AsyncNodeProcess.create(tmp.resolve("node"))) {
            Fixtures.nodeFunction(node.functionsDir(), "ticker", """
                    deploy: dedicated
                    http: false
                    triggers:
                      - type: cron
                        schedule: "* * * * * *"
                    """, """
                    const fs = require('fs');
                    exports.handler = async (event) => {
                      const started = Date.now();
                      const ce = JSON.parse(event.body);
                      fs.appendFileSync(%s, Date.parse(ce.time) + ' ' + started + '\\n');
                      return { ok: true };
                    };
                    """.formatted(Http.JSON.writeValueAsString(file.toString())));
            node.launch();
            long warmUntil = System.currentTimeMillis() + 10_000; // the first ticks include the cold start
            Thread.sleep(10_000 + seconds * 1_000L);
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<String> measured = new ArrayList<>();
            for (String l : lines) {
                String[] p = l.trim().split(" ");
                if (p.length == 2 && Long.parseLong(p[0]) >= warmUntil) {
                    measured.add(l);
                }
            }
            lines = measured;
        }
        List<Double> jitter = new ArrayList<>();
        Map<Long, Integer> fired = new HashMap<>();
        for (String l : lines) {
            String[] p = l.trim().split(" ");
            long tick = Long.parseLong(p[0]);
            fired.merge(tick, 1, Integer::sum);
            jitter.add((double) (Long.parseLong(p[1]) - tick));
        }
        long twice = fired.values().stream().filter(n -> n > 1).count();
        long first = fired.keySet().stream().min(Long::compare).orElse(0L);
        long last = fired.keySet().stream().max(Long::compare).orElse(0L);
        long expected = fired.isEmpty() ? 0 : (last - first) / 1000 + 1;
        long notFired = expected - fired.size();
        String body = """
                Measured %s on %d cores, %s %s, commit %s. Load average before / after: %s / %s (other work shares the cores).

                Command: `%s` (%d s measured after 10 s of warm-up). One node in its own process (embedded ZooKeeper, so \
                it leads; the `process` driver), an event-only Node.js function with `schedule: "* * * * * *"` (every \
                second) on the async path.

                | figure | value |
                |---|---|
                | ticks measured | %d (from the first to the last: %d expected) |
                | tick jitter (function start minus scheduled time): p50 / p99 / max | %.0f / %.0f / %.0f ms |
                | ticks fired twice / not fired | %d / %d |

                Jitter is the function's `Date.now()` at its start minus the tick's scheduled time (the CloudEvent's \
                `time`), both millisecond clocks on one machine: the scheduler's wake-up, claiming the tick \
                in ZooKeeper (a fenced compare-and-set; the state is read only at start), the durable enqueue (H2 group commit with fsync), the \
                dispatcher, the loopback hop through the gateway and the host's dispatch.
                """.formatted(date, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                Runtime.version(), commit, load0, Machine.loadAverage(), command, seconds, fired.size(), expected,
                Stats.percentile(jitter, 50), Stats.percentile(jitter, 99), Stats.max(jitter), twice, notFired)
                + BenchBlock.tail(List.of(), rows(jitter, twice, command));
        System.out.println(HEADING + "\n\n" + body);
        if (docs) {
            BenchmarksDoc.writeSection(root.resolve("docs/BENCHMARKS.md"), HEADING, body);
        }
        if (twice > 0) {
            System.err.println("cron bench: " + twice + " ticks fired twice");
            System.exit(1);
        }
    }
}
