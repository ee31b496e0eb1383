package dev.nest.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The benchmark's knobs. Each is read from a system property ({@code -Dnest.bench.seconds=20}) or else from the
 * environment ({@code NEST_BENCH_SECONDS=20}); a bad value stops the run with a message naming the key, the value
 * and the allowed range.
 *
 * <p>A run shorter than {@link #FULL_SECONDS} per measurement is a <em>quick</em> run (a smoke test of the
 * harness): its defaults are a 1 s warm-up, 5 cold starts, 1 startup, and it does not write
 * {@code docs/BENCHMARKS.md}.
 *
 * @param root              the repository (holds {@code runtimes/} and {@code docs/})
 * @param jar               the {@code nest.jar} to copy and run
 * @param java              the {@code java} binary for the server and the Java host
 * @param seconds           length of each measured wrk run
 * @param warmupSeconds     length of the wrk warm-up before each measured run
 * @param connections       wrk connections (and the function's {@code concurrency})
 * @param coldStarts        recorded cold starts per runtime
 * @param coldPauseMillis   pause between two cold starts
 * @param startupRuns       server startups timed
 * @param serverJvmOptions  JVM options of the Nest server process
 * @param parts             which parts run: {@code startup}, {@code warm}, {@code cold}
 * @param writeDocs         whether to replace the section in {@code docs/BENCHMARKS.md}
 * @param keepTemp          keep the temporary directory (logs, data) after the run
 * @param wrk               the wrk binary
 * @param nginx             the nginx binary
 * @param rate              the open-loop request rate (requests per second) at which added latency is measured
 * @param rounds            how many times each warm measurement is repeated (ratios: the median; noise: the spread)
 */
public record BenchSettings(Path root, Path jar, Path java, int seconds, int warmupSeconds, int connections,
                            int coldStarts, int coldPauseMillis, int startupRuns, List<String> serverJvmOptions,
                            Set<String> parts, boolean writeDocs, boolean keepTemp, String wrk, String nginx,
                            int rate, int rounds) {

    /** Measured runs at least this long are full runs. */
    public static final int FULL_SECONDS = 20;
    static final Set<String> ALL_PARTS = Set.of("startup", "warm", "cold");

    /** Reads every knob from system properties and the environment. */
    public static BenchSettings fromEnvironment() {
        Path root = Path.of(text("home", "NEST_HOME").orElse(".")).toAbsolutePath().normalize();
        Path jar = Path.of(text("jar", "NEST_BENCH_JAR").orElse(root.resolve("target/nest.jar").toString()))
                .toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("nest.bench.jar / NEST_BENCH_JAR: value '" + jar + "' is not a file; "
                    + "build it with 'mvn -B -q -DskipTests package' or point the key at a nest.jar");
        }
        if (!Files.isDirectory(root.resolve("runtimes"))) {
            throw new IllegalArgumentException("nest.home / NEST_HOME: value '" + root + "' has no runtimes/ folder; "
                    + "run from the repository root or set it to the repository");
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        int seconds = integer("seconds", "NEST_BENCH_SECONDS", FULL_SECONDS, 1, 3600);
        boolean full = seconds >= FULL_SECONDS;
        int warmup = integer("warmup", "NEST_BENCH_WARMUP", full ? 5 : 1, 0, 600);
        int connections = integer("connections", "NEST_BENCH_CONNECTIONS", 16, 1, 1000);
        int cold = integer("cold", "NEST_BENCH_COLD", full ? 20 : 5, 1, 10_000);
        int pause = integer("cold-pause-ms", "NEST_BENCH_COLD_PAUSE_MS", 250, 0, 60_000);
        int starts = integer("starts", "NEST_BENCH_STARTS", full ? 5 : 1, 1, 100);
        List<String> jvm = Arrays.stream(text("server-jvm-options", "NEST_BENCH_SERVER_OPTS")
                .orElse("").trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
        String partsText = text("parts", "NEST_BENCH_PARTS").orElse("startup,warm,cold");
        Set<String> parts = new LinkedHashSet<>();
        for (String p : partsText.split(",")) {
            String t = p.trim().toLowerCase(Locale.ROOT);
            if (!ALL_PARTS.contains(t)) {
                throw new IllegalArgumentException("nest.bench.parts / NEST_BENCH_PARTS: value '" + partsText
                        + "' is not valid; allowed: a comma list of startup, warm, cold");
            }
            parts.add(t);
        }
        boolean docs = bool("docs", "NEST_BENCH_DOCS", full);
        boolean keep = bool("keep", "NEST_BENCH_KEEP", false);
        String wrk = text("wrk", "NEST_BENCH_WRK").orElse("wrk");
        String nginx = text("nginx", "NEST_BENCH_NGINX").orElse(Files.isExecutable(Path.of("/usr/sbin/nginx"))
                ? "/usr/sbin/nginx" : "nginx");
        int rate = integer("rate", "NEST_BENCH_RATE", 1000, 1, 1_000_000);
        int rounds = integer("rounds", "NEST_BENCH_ROUNDS", full ? 3 : 2, 1, 20);
        return new BenchSettings(root, jar, java, seconds, warmup, connections, cold, pause, starts, jvm,
                Set.copyOf(parts), docs, keep, wrk, nginx, rate, rounds);
    }

    /** True when every measurement has its full length (the figures may go into the docs). */
    public boolean full() {
        return seconds >= FULL_SECONDS;
    }

    public boolean runs(String part) {
        return parts.contains(part);
    }

    private static Optional<String> text(String property, String env) {
        String v = System.getProperty("nest.bench." + property);
        if (v == null && property.equals("home")) {
            v = System.getProperty("nest.home");
        }
        if (v == null) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    private static int integer(String property, String env, int dflt, int min, int max) {
        Optional<String> v = text(property, env);
        if (v.isEmpty()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.get());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("nest.bench." + property + " / " + env + ": value '" + v.get()
                + "' is not valid; allowed: an integer from " + min + " to " + max);
    }

    private static boolean bool(String property, String env, boolean dflt) {
        Optional<String> v = text(property, env);
        if (v.isEmpty()) {
            return dflt;
        }
        return switch (v.get().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes" -> true;
            case "0", "false", "no" -> false;
            default -> throw new IllegalArgumentException("nest.bench." + property + " / " + env + ": value '" + v.get()
                    + "' is not valid; allowed: 1/true/yes or 0/false/no");
        };
    }
}
