package dev.nest.scaler;

/**
 * One mistake in a {@code scaling:} block: the key (dotted path from the spec's root, e.g.
 * {@code scaling.metrics[0].target}), the value found (null when the key is missing or unknown), and what is
 * allowed. The function module maps these one to one to its own spec problems.
 */
public record ConfigProblem(String key, String value, String allowed) {
    @Override
    public String toString() {
        if (value == null) {
            return "key '" + key + "': " + allowed;
        }
        return "key '" + key + "': value '" + value + "' is not valid; allowed: " + allowed;
    }
}
