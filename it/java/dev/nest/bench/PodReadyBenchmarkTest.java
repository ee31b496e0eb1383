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
}
