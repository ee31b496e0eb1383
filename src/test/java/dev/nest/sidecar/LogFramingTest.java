package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LogFramingTest {
    private static final String P = "\u001eNEST\t";

    static Stream<Arguments> lines() {
        return Stream.of(
                Arguments.of(P + "inv-1\tsb-1\tinfo\thello", new LogFraming.Framed("inv-1", "sb-1", "info", "hello")),
                Arguments.of(P + "inv-1\tsb-1\tdebug\td", new LogFraming.Framed("inv-1", "sb-1", "debug", "d")),
                Arguments.of(P + "inv-1\tsb-1\twarn\tw", new LogFraming.Framed("inv-1", "sb-1", "warn", "w")),
                Arguments.of(P + "inv-1\tsb-1\terror\te", new LogFraming.Framed("inv-1", "sb-1", "error", "e")),
                // unknown levels read as info
                Arguments.of(P + "inv-1\tsb-1\tfatal\tx", new LogFraming.Framed("inv-1", "sb-1", "info", "x")),
                Arguments.of(P + "inv-1\tsb-1\tINFO\tx", new LogFraming.Framed("inv-1", "sb-1", "info", "x")),
                Arguments.of(P + "inv-1\tsb-1\t\tx", new LogFraming.Framed("inv-1", "sb-1", "info", "x")),
                // the text keeps its tabs and may be empty
                Arguments.of(P + "inv-1\tsb-1\tinfo\ta\tb\tc", new LogFraming.Framed("inv-1", "sb-1", "info", "a\tb\tc")),
                Arguments.of(P + "inv-1\tsb-1\tinfo\t", new LogFraming.Framed("inv-1", "sb-1", "info", "")),
                Arguments.of(P + "inv-1\tsb-1\tinfo\t  spaced  ", new LogFraming.Framed("inv-1", "sb-1", "info", "  spaced  ")),
                // pod-level line: no invocation
                Arguments.of(P + "\tsb-1\twarn\tstarting", new LogFraming.Framed("", "sb-1", "warn", "starting")),
                Arguments.of(P + "inv-1\tsb-1\tinfo\tünïcödé ✓", new LogFraming.Framed("inv-1", "sb-1", "info", "ünïcödé ✓")));
    }

    @ParameterizedTest
    @MethodSource("lines")
    void parsesFramedLines(String line, LogFraming.Framed expected) {
        assertEquals(Optional.of(expected), LogFraming.parse(line));
    }

    static Stream<String> notFramed() {
        return Stream.of(
                "",
                "plain output",
                "NEST\tinv\tsb\tinfo\ttext",
                "\u001eNEST inv sb info text",
                "\u001eNEST\tinv\tsb\tinfo",
                "\u001eNEST\tinv\tsb",
                "\u001eNEST\t",
                " \u001eNEST\tinv\tsb\tinfo\ttext",
                "\u001enest\tinv\tsb\tinfo\ttext");
    }

    @ParameterizedTest
    @MethodSource("notFramed")
    void otherLinesAreNotFramed(String line) {
        assertEquals(Optional.empty(), LogFraming.parse(line));
    }
}
