package dev.nest.scaler;

/** The rule that settled a {@link Decision}'s count, as shown in the scaling log and the API. */
public enum ScalingRule {
    /** A metric over its window asked for this count (up at once, up, hold, or a scale-down after the delay). */
    METRIC("metric"),
    /** An active schedule rule raised the minimum. */
    SCHEDULE("schedule"),
    /** {@code scaling.min}. */
    MIN("min"),
    /** {@code scaling.max} capped the count. */
    MAX("max"),
    /** A lower count has not held for {@code scale-down-delay} yet. */
    SCALE_DOWN_DELAY("scale-down-delay"),
    /** Instances above the function's steady need went after a short idle time ({@link BurstRelease}). */
    BURST_RELEASE("burst-release"),
    /** The scale-down was limited by {@code max-scale-down-step}. */
    STEP("step"),
    /** Requests wait and no instance exists: one starts at once. */
    WAITING("waiting"),
    /** The keep-alive policy keeps (or pre-warms) the last instance of an idle function. */
    KEEP_ALIVE("keep-alive"),
    /** An idle function goes to zero instances (keep-alive over, {@code scale-to-zero-after}, or no traffic). */
    SCALE_TO_ZERO("scale-to-zero");

    private final String key;

    ScalingRule(String key) {
        this.key = key;
    }

    /** The rule's name in the API and logs. */
    public String key() {
        return key;
    }
}
