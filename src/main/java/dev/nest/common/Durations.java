package dev.nest.common;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints durations written like {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}. */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)\\s*");
    public static final String ALLOWED = "a number followed by ms, s, m, h or d (e.g. 500ms, 30s, 5m)";

    private Durations() {
    }

    /** Parses a duration; throws {@link IllegalArgumentException} naming the allowed form. */
    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("missing duration; expected " + ALLOWED);
        }
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; expected " + ALLOWED);
        }
        double n = Double.parseDouble(m.group(1));
        double millis = switch (m.group(2)) {
            case "ms" -> n;
            case "s" -> n * 1_000;
            case "m" -> n * 60_000;
            case "h" -> n * 3_600_000;
            default -> n * 86_400_000;
        };
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }

    /** Prints the shortest exact form: {@code 1500ms}, {@code 30s}, {@code 5m}. */
    public static String format(Duration d) {
        if (d.toNanosPart() % 1_000_000 != 0) {
            return java.math.BigDecimal.valueOf(d.toNanos()).movePointLeft(6).stripTrailingZeros().toPlainString() + "ms";
        }
        long ms = d.toMillis();
        if (ms != 0 && ms % 86_400_000 == 0) {
            return ms / 86_400_000 + "d";
        }
        if (ms != 0 && ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms != 0 && ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms != 0 && ms % 1_000 == 0) {
            return ms / 1_000 + "s";
        }
        return ms + "ms";
    }
}
