package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.FunctionVersion;
import dev.nest.spi.PodListener;
import dev.nest.store.LogLine;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pod output to log lines: attribution, levels, framing, and the last lines kept for start errors. */
class LogCaptureTest {
    private static final Instant T = Instant.parse("2026-03-02T10:00:00Z");
    private final List<LogLine> lines = new ArrayList<>();
    private final LogCapture capture = new LogCapture(lines::add, Clock.fixed(T, ZoneOffset.UTC));

    @Test
    void aLineOfAPodWithoutInstanceBelongsToNoFunction() {
        capture.listener(new RecentOutput()).line("pool-fake-1", false, "warming up");
        assertEquals(List.of(new LogLine(T, "", 0, "", "pool-fake-1", "info", "warming up")), lines);
    }

    @Test
    void anUnframedLineGoesToThePodsInstanceAtItsStreamsLevel() {
        FunctionVersion v = AgentFixture.version();
        Instance inst = new Instance("fn-1-a1", v, 0);
        capture.attribute(inst.id(), inst); // a new pod is named after its instance
        PodListener l = capture.listener(new RecentOutput());
        l.line(inst.id(), true, "boom");
        assertEquals(new LogLine(T, "default/fn", 1, "", inst.id(), "error", "boom"), lines.getFirst());
        assertEquals(List.of(inst), List.copyOf(capture.instances()));

        capture.forget(inst);
        l.line(inst.id(), false, "after");
        assertEquals("", lines.getLast().function(), "a stopped instance's pod is no one's");
    }

    @Test
    void theLastLinesAreKeptForStartErrors() {
        RecentOutput recent = new RecentOutput();
        PodListener l = capture.listener(recent);
        assertEquals("", recent.tail());
        for (int k = 0; k < RecentOutput.LINES + 2; k++) {
            l.line("p", false, "line " + k);
        }
        String tail = recent.tail();
        assertEquals("; last output: line 2 | ", tail.substring(0, "; last output: line 2 | ".length()));
        assertEquals(RecentOutput.LINES, tail.split(" \\| ").length);
    }
}
