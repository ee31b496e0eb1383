package dev.nest.common;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses byte sizes written like {@code 6MiB}, {@code 512KiB}, {@code 1GiB} or a plain number of bytes. */
public final class Sizes {
    private static final Pattern FORM = Pattern.compile("\\s*(\\d+)\\s*(B|KiB|MiB|GiB|KB|MB|GB|k|m|g)?\\s*");
    public static final String ALLOWED = "a number of bytes, optionally followed by KiB, MiB or GiB (e.g. 6MiB)";

    private Sizes() {
    }

    public static long parse(String text) {
        Matcher m = text == null ? null : FORM.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; expected " + ALLOWED);
        }
        try {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "B" : m.group(2);
            return switch (unit) {
                case "KiB", "KB", "k" -> Math.multiplyExact(n, 1024L);
                case "MiB", "MB", "m" -> Math.multiplyExact(n, 1024L * 1024);
                case "GiB", "GB", "g" -> Math.multiplyExact(n, 1024L * 1024 * 1024);
                default -> n;
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large; expected " + ALLOWED);
        }
    }

    public static String format(long bytes) {
        if (bytes % (1024L * 1024 * 1024) == 0 && bytes > 0) {
            return bytes / (1024L * 1024 * 1024) + "GiB";
        }
        if (bytes % (1024L * 1024) == 0 && bytes > 0) {
            return bytes / (1024L * 1024) + "MiB";
        }
        if (bytes % 1024 == 0 && bytes > 0) {
            return bytes / 1024 + "KiB";
        }
        return bytes + "B";
    }
}
