package dev.nest.cli;

import java.io.PrintWriter;

/**
 * Prints a table for the terminal, one line per row (the header is a row): each value is padded to its column's
 * width, which is written as in {@code printf}: negative pads on the right (left-aligned), positive on the left,
 * 0 not at all (the last column, free text). Values are printed with {@link String#valueOf(Object)}; format numbers
 * before passing them when they need a fixed precision. Not thread-safe.
 */
final class Table {
    private final PrintWriter out;
    private final String separator;
    private final int[] widths;

    /** A table of {@code widths.length} columns between which {@code separator} stands. */
    Table(PrintWriter out, String separator, int... widths) {
        this.out = out;
        this.separator = separator;
        this.widths = widths.clone();
    }

    /** Prints one row; {@code values} has one value per column. */
    Table row(Object... values) {
        if (values.length != widths.length) {
            throw new IllegalArgumentException("a row of " + values.length + " values in a table of " + widths.length
                    + " columns");
        }
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            String v = String.valueOf(values[i]);
            int w = widths[i];
            line.append(i == 0 ? "" : separator);
            if (w < 0) {
                line.append(v).append(" ".repeat(Math.max(0, -w - v.length())));
            } else {
                line.append(" ".repeat(Math.max(0, w - v.length()))).append(v);
            }
        }
        out.println(line);
        return this;
    }
}
