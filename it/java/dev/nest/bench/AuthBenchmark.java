package dev.nest.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What token checks cost on the warm path: one Nest node (the jar, as a child process, {@code process} driver) with
 * two functions that differ only in {@code auth} ({@code public} and {@code token}, the same Node.js handler, one
 * warm instance each), driven by wrk in alternating runs of the same length ({@code pub, tok} then {@code tok, pub},
 * ...) so that drift of a busy machine falls on both alike. The figure is the median over the rounds of each round's
 * {@code 1 - tok/pub} throughput; the promise (issue 12) is at most {@value #BUDGET_PERCENT}%. Prints a report; a
 * full run also writes the section {@value #SECTION} of docs/BENCHMARKS.md with the commit, and exits 1 when the
 * figure is over the promise. The section's block records the guarded ratio {@value #RATIO} (median over the rounds of
 * each round's {@code tok/pub} throughput, noise the spread of the rounds), which {@code distribution/bench.sh --check}
 * compares (ADR 0026); {@code NEST_BENCH_RESULTS} names a file to write the section to as well.
 *
 * <p>Knobs (environment): {@code NEST_BENCH_SECONDS} (20 per run), {@code NEST_BENCH_ROUNDS} (6),
 * {@code NEST_BENCH_WARMUP} (5 s per function before the first round), {@code NEST_BENCH_CONNECTIONS} (16),
 * {@code NEST_BENCH_DOCS} (1 for full runs), {@code NEST_BENCH_KEEP}.
 */
public final class AuthBenchmark {
    static final String SECTION = "## Token checks on the warm path";
    static final double BUDGET_PERCENT = 2.0;
    /** The guarded ratio: {@code auth: token} throughput over {@code auth: public}, same run, higher is better. */
    static final String RATIO = "auth.token-over-public-throughput";
    private static final String HANDLER = "exports.handler = async () => ({ statusCode: 200, body: 'ok' });\n";

    private record Run(String function, int round, Wrk.Result result) {
    }

    private AuthBenchmark() {
    }

    public static void main(String[] args) {
        System.exit(run());
    }

    static int run() {
        BenchSettings s;
        int rounds;
        try {
            s = BenchSettings.fromEnvironment();
            rounds = Integer.parseInt(Optional.ofNullable(System.getenv("NEST_BENCH_ROUNDS")).orElse("6").strip());
            if (rounds < 1 || rounds > 100) {
                throw new IllegalArgumentException("NEST_BENCH_ROUNDS: value " + rounds + " is not valid; allowed: 1 to 100");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("bench-auth: " + e.getMessage());
            return 2;
        }
        Path work;
        try {
            work = Files.createTempDirectory("nest-bench-auth-");
        } catch (IOException e) {
            System.err.println("bench-auth: cannot create a temporary directory: " + e);
            return 1;
        }
        try (ChildProcesses children = new ChildProcesses()) {
            Runtime.getRuntime().addShutdownHook(new Thread(children::close, "nest-bench-auth-cleanup"));
            return measure(s, rounds, children, work);
        } catch (RuntimeException e) {
            System.err.println("\nbench-auth: FAILED: " + e.getMessage());
            e.printStackTrace();
            return 1;
        } finally {
            if (!s.keepTemp()) {
                deleteTree(work);
            } else {
                System.err.println("bench-auth: kept " + work);
            }
        }
    }

    private static int measure(BenchSettings s, int rounds, ChildProcesses children, Path work) {
        Machine machine = Machine.describe(s);
        String loadStart = Machine.loadAverage();
        BenchHttp http = new BenchHttp();
        Wrk wrk = new Wrk(children, s.wrk(), work);
        try (NestNode node = NestNode.start(children, http, s.java(), s.serverJvmOptions(), s.jar(),
                s.root().resolve("runtimes"), work.resolve("node"))) {
            Path code = work.resolve("code");
            Files.createDirectories(code);
            Files.writeString(code.resolve("index.js"), HANDLER);
            String digest = node.upload(code, Optional.of("nodejs"));
            node.create(spec("pub", "public", s.connections()), digest);
            node.create(spec("tok", "token", s.connections()), digest);
            BenchHttp.Response issued = BenchHttp.expect(http.sendJson("POST", node.base() + "/api/v1/tokens",
                    Map.of("name", "bench-invoker", "role", "invoker", "namespaces", List.of("default"))), 201,
                    "creating an invoker token");
            String token = issued.json().path("secret").asText();
            Map<String, String> bearer = Map.of("Authorization", "Bearer " + token);
            String pub = node.base() + "/fn/pub";
            String tok = node.base() + "/fn/tok";
            BenchHttp.expect(http.send("GET", pub, Map.of(), null, java.time.Duration.ofSeconds(60)), 200, "calling pub");
            BenchHttp.expect(http.send("GET", tok, Map.of(), null, java.time.Duration.ofSeconds(60)), 401,
                    "calling tok without a token (it must be refused, or the benchmark measures nothing)");
            BenchHttp.expect(http.send("GET", tok, bearer, null, java.time.Duration.ofSeconds(60)), 200, "calling tok");
            if (s.warmupSeconds() > 0) {
                wrk.run(pub, Map.of(), s.connections(), s.warmupSeconds());
                wrk.run(tok, bearer, s.connections(), s.warmupSeconds());
            }
            List<Run> runs = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                boolean pubFirst = r % 2 == 0;
                for (int k = 0; k < 2; k++) {
                    boolean isPub = (k == 0) == pubFirst;
                    Wrk.Result res = wrk.run(isPub ? pub : tok, isPub ? Map.of() : bearer, s.connections(), s.seconds());
                    if (res.errors() > 0) {
                        throw new IllegalStateException((isPub ? "pub" : "tok") + " had " + res.errors()
                                + " errors in round " + (r + 1) + ": " + res);
                    }
                    runs.add(new Run(isPub ? "pub" : "tok", r, res));
                    System.err.printf("bench-auth: round %d %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms%n", r + 1,
                            isPub ? "public" : "token ", res.requestsPerSecond(), res.p50Ms(), res.p99Ms());
                }
            }
            String report = report(s, rounds, machine, loadStart, runs) + "\n" + block(runs, rounds, s.connections()).render();
            System.out.println(SECTION + "\n\n" + report);
            String results = System.getenv("NEST_BENCH_RESULTS");
            if (results != null && !results.isBlank()) {
                Files.writeString(Path.of(results), SECTION + "\n\n" + report);
            }
            double overhead = Stats.median(overheads(runs, rounds));
            boolean docs = Optional.ofNullable(System.getenv("NEST_BENCH_DOCS")).map("1"::equals).orElse(s.full());
            if (docs) {
                BenchmarksDoc.writeSection(s.root().resolve("docs/BENCHMARKS.md"), SECTION, report);
                System.err.println("bench-auth: wrote the section '" + SECTION + "' of docs/BENCHMARKS.md");
            }
            return s.full() && overhead > BUDGET_PERCENT ? 1 : 0;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The section's block as this run writes it: the guarded ratio and row 50 (its coverage line is kept from the doc
     * when the section is written, see {@link BenchmarksDoc#keepRecorded}).
     */
    private static BenchBlock block(List<Run> runs, int rounds, int connections) {
        List<Double> overheads = overheads(runs, rounds);
        double ratio = 1 - Stats.median(overheads) / 100; // the same median as the section's figure
        double noise = (Stats.max(overheads) - Stats.min(overheads)) / 100;
        return new BenchBlock(List.of(new BenchBlock.Ratio(RATIO, ratio, ratio, noise, true)), List.of(row(overheads,
                Stats.median(values(runs, "tok", Wrk.Result::requestsPerSecond)),
                Stats.median(values(runs, "pub", Wrk.Result::requestsPerSecond)), connections)));
    }

    /**
     * Row 50 from the rounds' throughput lost in percent ({@link #overheads}) and the medians of the two functions'
     * req/s, as the section's table and sentence give them.
     */
    static BenchBlock.Row row(List<Double> overheads, double tokRps, double pubRps, int connections) {
        return BenchBlock.row(50, "warm throughput lost to token checks: an `auth: token` function vs. the same handler "
                        + "`auth: public`, alternating runs", "<= " + String.format(java.util.Locale.ROOT, "%.0f", BUDGET_PERCENT)
                        + "%", "`distribution/bench-auth.sh`",
                "%.1f%% (median of %d alternating rounds; rounds spread %+.0f%% to %+.0f%%; %.1fk vs %.1fk req/s, Node.js, "
                        + "%d connections)", Stats.median(overheads), overheads.size(), Stats.min(overheads),
                Stats.max(overheads), tokRps / 1000, pubRps / 1000, connections);
    }

    /** Each round's {@code 1 - tok/pub} throughput in percent, sorted. */
    private static List<Double> overheads(List<Run> runs, int rounds) {
        List<Double> out = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            int round = r;
            double p = runs.stream().filter(x -> x.round() == round && x.function().equals("pub")).findFirst()
                    .orElseThrow().result().requestsPerSecond();
            double t = runs.stream().filter(x -> x.round() == round && x.function().equals("tok")).findFirst()
                    .orElseThrow().result().requestsPerSecond();
            out.add((1 - t / p) * 100);
        }
        out.sort(Double::compare);
        return out;
    }

    private static List<Double> values(List<Run> runs, String function, java.util.function.ToDoubleFunction<Wrk.Result> f) {
        return runs.stream().filter(r -> r.function().equals(function)).map(r -> f.applyAsDouble(r.result())).toList();
    }

    private static String report(BenchSettings s, int rounds, Machine m, String loadStart, List<Run> runs) {
        List<Double> overheads = overheads(runs, rounds);
        double median = Stats.median(overheads);
        StringBuilder b = new StringBuilder();
        b.append("Measured ").append(m.date()).append(" on ").append(m.cores()).append(" cores (`nproc`), ").append(m.cpu())
                .append(", Linux ").append(m.kernel()).append("; ").append(m.jdk()).append("; Node.js ").append(m.node())
                .append("; wrk ").append(m.wrk()).append("; Nest ").append(m.commit()).append(". Load average ")
                .append(loadStart).append(" at the start, ").append(Machine.loadAverage()).append(" at the end.\n\n");
        b.append("Command: `distribution/bench-auth.sh` (").append(rounds).append(" rounds of two ").append(s.seconds())
                .append(" s wrk runs, ").append(s.connections()).append(" connections, alternating which function goes "
                        + "first; one node from the jar, `process` driver; two Node.js functions with the same handler, "
                        + "`auth: public` and `auth: token` (an `invoker` token in `Authorization`), each with one warm "
                        + "instance of concurrency ").append(s.connections()).append(").\n\n");
        b.append("| function | req/s (median of rounds) | p50 | p99 |\n|---|---:|---:|---:|\n");
        for (String f : List.of("pub", "tok")) {
            b.append(String.format("| `%s` (%s) | %.0f | %.2f ms | %.2f ms |%n", f, f.equals("pub") ? "auth: public" : "auth: token",
                    Stats.median(values(runs, f, Wrk.Result::requestsPerSecond)), Stats.median(values(runs, f, Wrk.Result::p50Ms)),
                    Stats.median(values(runs, f, Wrk.Result::p99Ms))));
        }
        b.append(String.format("%nToken checks cost **%.1f%%** of warm throughput (median over the rounds of 1 - tok/pub; "
                        + "per round, sorted: %s). Promise: at most %.0f%% — %s.%n", median,
                overheads.stream().map(o -> String.format("%.1f%%", o)).toList(), BUDGET_PERCENT,
                median <= BUDGET_PERCENT ? "met" : "NOT met"));
        return b.toString();
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("bench-auth: cannot delete " + dir + ": " + e);
        }
    }

    private static ObjectNode spec(String name, String auth, int concurrency) {
        ObjectNode n = BenchHttp.JSON.createObjectNode();
        n.put("name", name);
        n.put("runtime", "nodejs");
        n.put("deploy", "dedicated");
        n.put("memory", 128);
        n.put("concurrency", concurrency);
        n.put("auth", auth);
        ObjectNode scaling = n.putObject("scaling");
        scaling.put("min", 1);
        scaling.put("max", 1);
        return n;
    }
}
