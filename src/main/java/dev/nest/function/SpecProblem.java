package dev.nest.function;

/**
 * One mistake in a spec: the key (dotted path), the value found, and what is allowed.
 */
public record SpecProblem(String key, String value, String allowed) {
    @Override
    public String toString() {
        if (value == null) {
            return "key '" + key + "': " + allowed;
        }
        return "key '" + key + "': value '" + value + "' is not valid; allowed: " + allowed;
    }
}
