package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PortConflictTest {
    record Row(String why, Optional<Integer> exit, List<String> lines, int attempt, boolean portTaken, boolean startAgain) {
    }

    @Test
    void decidesFromTheExitStatusAndTheOutput() {
        String nodeLine = "nest-host error: cannot listen on 127.0.0.1:20001: listen EADDRINUSE: address already in use 127.0.0.1:20001";
        String javaLine = "nest java host: cannot listen on 127.0.0.1:20001: java.net.BindException: Address already in use";
        List<Row> table = List.of(
                new Row("the port-in-use status", Optional.of(98), List.of(), 1, true, true),
                new Row("an older Node.js host: status 1 and its line", Optional.of(1), List.of("x", nodeLine), 1, true, true),
                new Row("an older Java host: status 1 and the JDK's words", Optional.of(1), List.of(javaLine), 2, true, true),
                new Row("the last attempt", Optional.of(98), List.of(nodeLine), PortConflict.MAX_ATTEMPTS, true, false),
                new Row("past the last attempt", Optional.of(98), List.of(), PortConflict.MAX_ATTEMPTS + 1, true, false),
                new Row("another failure", Optional.of(1), List.of("SyntaxError: Unexpected token"), 1, false, false),
                new Row("no secret", Optional.of(2), List.of(), 1, false, false),
                new Row("killed", Optional.of(137), List.of(), 1, false, false),
                new Row("still running (start timed out), even after such a line", Optional.empty(), List.of(nodeLine), 1, false, false));
        for (Row r : table) {
            assertEquals(r.portTaken(), PortConflict.portTaken(r.exit(), r.lines()), r.why());
            assertEquals(r.startAgain(), PortConflict.startAgain(r.exit(), r.lines(), r.attempt()), r.why());
        }
    }

    @Test
    void recentOutputGivesTheLinesOfOneStart() {
        RecentOutput out = new RecentOutput();
        out.add("first start");
        long mark = out.count();
        assertEquals(List.of(), out.since(mark));
        out.add("second start a");
        out.add("second start b");
        assertEquals(List.of("second start a", "second start b"), out.since(mark));
        for (int k = 0; k < RecentOutput.LINES + 5; k++) {
            out.add("line " + k);
        }
        assertEquals(RecentOutput.LINES, out.since(mark).size(), "only the lines kept");
        assertEquals("line " + (RecentOutput.LINES + 4), out.since(mark).get(RecentOutput.LINES - 1));
    }
}
