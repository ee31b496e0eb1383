package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The pod start table's rows: memory that was not measured shows as "-", not as a number. */
class PodReadyBenchmarkTest {
    private static final List<Double> READY = List.of(150.0, 169.0, 202.0);
    private static final List<Double> STOP = List.of(74.5);

    @Test
    void memoryNotMeasuredIsADash() {
        StringBuilder sb = new StringBuilder();
        PodReadyBenchmark.row(sb, "nodejs", "`containerd` driver, `prepared: 1`", READY, STOP,
                new double[] {Double.NaN, Double.NaN});
        assertEquals("| Node.js | `containerd` driver, `prepared: 1` | 169 ms | 202 ms | 150 ms | 202 ms | 74.5 ms | - | - |",
                sb.toString().strip());
    }

    @Test
    void measuredMemoryIsInMiB() {
        StringBuilder sb = new StringBuilder();
        PodReadyBenchmark.row(sb, "java", "`process` driver", READY, STOP, new double[] {Double.NaN, 52.71});
        assertEquals("| Java | `process` driver | 169 ms | 202 ms | 150 ms | 202 ms | 74.5 ms | - | 52.7 MiB |",
                sb.toString().strip());
        assertEquals("15.5 MiB", PodReadyBenchmark.mib(15.46));
        assertEquals("-", PodReadyBenchmark.mib(Double.NaN));
    }

    private static PodReadyResult result(String runtime, double process, double docker, double containerd,
                                         double prepared, double baseline, double noAot) {
        PodReadyResult r = new PodReadyResult(runtime, "nest/runtime-" + runtime);
        r.process.add(process);
        r.docker.add(docker);
        r.containerd.add(containerd);
        r.containerdPrepared.add(prepared);
        r.baseline.add(baseline);
        if (!Double.isNaN(noAot)) {
            r.containerdNoAot.add(noAot);
        }
        return r;
    }

    @Test
    void theBlocksRowsSayWhatTheTablesSay() {
        String block = PodReadyBenchmark.block(List.of(result("nodejs", 78.0, 241.0, 246.8, 169.0, 287.0, Double.NaN),
                result("java", 90.0, 180.0, 165.4, 101.0, 194.0, 333.6)), "distribution/bench-pods.sh");
        BenchBlock b = BenchBlock.parseSection(block).orElseThrow();
        assertEquals(List.of(
                "row 260 | pod ready, `docker` driver / `docker run` of the same image, p50 (Node.js) |  | 0.84x (241 ms"
                        + " vs 287 ms; `process` driver 78.0 ms) | `distribution/bench-pods.sh`",
                "row 270 | pod ready, `containerd` driver with `prepared: 1` / `docker run` of the same image, p50 (Node.js"
                        + " / Java) | <= 0.7x | 0.59x / 0.52x (Node.js 169 ms vs 287 ms, 0.86x without prepared containers;"
                        + " Java 101 ms vs 194 ms, 0.85x without prepared containers; same run) | `distribution/bench-pods.sh`",
                "row 275 | Java pod ready, host AOT cache on / off (`containerd` driver, same image, p50) |  | 0.50x (165 ms"
                        + " vs 334 ms) | `distribution/bench-pods.sh`"),
                b.rows().stream().map(BenchBlock.Row::line).toList());
        assertEquals(List.of("pods.nodejs.containerd-prepared-over-docker-run", "pods.nodejs.containerd-over-docker-run",
                        "pods.nodejs.docker-over-docker-run", "pods.java.containerd-prepared-over-docker-run",
                        "pods.java.containerd-over-docker-run", "pods.java.docker-over-docker-run", "pods.java.aot-on-over-off"),
                b.ratios().stream().map(BenchBlock.Ratio::id).toList());
    }
}
