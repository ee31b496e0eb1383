package dev.nest.function;

import java.util.Arrays;
import java.util.Optional;

/**
 * How an idle function's last instance is kept ({@code scaling.keep-alive-policy}): for {@code keep-alive}
 * after each request ({@link #FIXED}), or for a window learned from the function's own idle times, with the
 * fixed keep-alive as the fallback while too few idle times are known ({@link #HISTOGRAM}).
 */
public enum KeepAliveMode {
    FIXED("fixed"),
    HISTOGRAM("histogram");

    /** The allowed values, for messages. */
    public static final String ALLOWED = "fixed or histogram";

    private final String key;

    KeepAliveMode(String key) {
        this.key = key;
    }

    /** The value of {@code scaling.keep-alive-policy} that selects this mode. */
    public String key() {
        return key;
    }

    public static Optional<KeepAliveMode> byKey(String key) {
        return Arrays.stream(values()).filter(m -> m.key.equals(key)).findFirst();
    }
}
