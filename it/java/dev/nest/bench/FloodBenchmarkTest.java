package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The connection flood benchmark's README row, rendered from fixed phases. */
class FloodBenchmarkTest {
    private static FloodBenchmark.Phase phase(String name, int flood, int refused, int ok, double p99, long rssMib, long log) {
        return new FloodBenchmark.Phase(name, flood, 0, flood, refused, ok, ok, Map.of(), 1.0, p99, rssMib * 1024, log);
    }

    @Test
    void row46SaysWhatTheTableSays() {
        String report = FloodBenchmark.report(List.of(phase("no flood", 0, 0, 1000, 10.63, 237, 0),
                phase("idle", 1000, 0, 2000, 10.71, 255, 100), phase("at once", 2000, 501, 2949, 5.0, 250, 44)));
        BenchBlock block = BenchBlock.parseSection(report).orElseThrow();
        assertEquals(List.of("row 46 | connection flood on the public port (1000 idle, 1000 slowloris, 300 half-sent"
                        + " bodies, 2000 at once beyond `max-connections: 1500`; each held 13 s): a normal client's requests"
                        + " answered 200, its worst p99 against no flood; server RSS; log growth | every request served;"
                        + " flood closed at the timeouts | 4949 of 4949; p99 10.71 ms against 10.63 ms; of the 2000 at once"
                        + " 501 refused at once (the normal client's connection counts against the cap too); RSS 255 MiB"
                        + " peak (237 MiB without flood); log +144 bytes | `distribution/bench-flood.sh`"),
                block.rows().stream().map(BenchBlock.Row::line).toList());
    }
}
