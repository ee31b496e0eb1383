package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** A table prints what the printf formats it replaced printed. */
class TableTest {
    private final StringWriter text = new StringWriter();
    private final PrintWriter out = new PrintWriter(text);

    private String printf(String format, Object... values) {
        return String.format(Locale.ROOT, format, values);
    }

    @Test
    void padsAsPrintfWidthsDo() {
        new Table(out, " ", -8, -5, -24, 0).row("VERSION", "LIVE", "CREATED", "SOURCE").row(12, "*", "2026-01-01", "dir");
        out.flush();
        assertEquals(printf("%-8s %-5s %-24s %s%n", "VERSION", "LIVE", "CREATED", "SOURCE")
                + printf("%-8d %-5s %-24s %s%n", 12, "*", "2026-01-01", "dir"), text.toString());
    }

    @Test
    void rightAlignsPositiveWidthsAndKeepsLongValuesWhole() {
        new Table(out, "  ", 7, -4, 0).row(3, "a-long-value", "rest");
        out.flush();
        assertEquals(printf("%7d  %-4s  %s%n", 3, "a-long-value", "rest"), text.toString());
    }

    @Test
    void aRowMustFillTheColumns() {
        assertThrows(IllegalArgumentException.class, () -> new Table(out, " ", -3, 0).row("one"));
    }
}
