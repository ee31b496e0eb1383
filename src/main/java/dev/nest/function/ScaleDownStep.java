package dev.nest.function;

/**
 * The most instances one scale-down decision may remove: a count ({@code 2}) or a percentage of the current
 * count ({@code 50%}), at least one instance either way.
 *
 * @param value   the count, or the percentage when {@code percent}
 * @param percent whether {@code value} is a percentage (1..100) rather than a count (1..10000)
 */
public record ScaleDownStep(int value, boolean percent) {
    public static final String ALLOWED = "an instance count from 1 to " + SpecParser.MAX_INSTANCES
            + " or a percentage of the current count from 1% to 100% (e.g. 2 or 50%)";

    public ScaleDownStep {
        if (value < 1 || value > (percent ? 100 : SpecParser.MAX_INSTANCES)) {
            throw new IllegalArgumentException("max-scale-down-step " + this + " is outside the allowed range: " + ALLOWED);
        }
    }

    /** Parses {@code 2} or {@code 50%}. */
    public static ScaleDownStep parse(String text) {
        String t = text.trim();
        boolean pct = t.endsWith("%");
        String n = pct ? t.substring(0, t.length() - 1).trim() : t;
        if (!n.matches("\\d{1,6}")) {
            throw new IllegalArgumentException("'" + text + "' is not " + ALLOWED);
        }
        return new ScaleDownStep(Integer.parseInt(n), pct);
    }

    /** How many of {@code current} instances one decision may remove. */
    public int allowed(int current) {
        return percent ? Math.max(1, (int) ((long) current * value / 100)) : value;
    }

    @Override
    public String toString() {
        return percent ? value + "%" : String.valueOf(value);
    }
}
