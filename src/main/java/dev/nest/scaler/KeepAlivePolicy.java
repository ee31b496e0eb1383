package dev.nest.scaler;

/**
 * Decides, for the long tail of rarely called functions, how long an idle function keeps a warm instance and
 * when to pre-warm one, from what is known of the function's idle times. Pure: the scaler applies the window
 * to the function's idle time at the decision's clock.
 */
public sealed interface KeepAlivePolicy permits FixedKeepAlive, HistogramKeepAlive {
    /** The warm window for a function whose idle times so far are {@code idleTimes}. */
    KeepAliveWindow window(IdleHistogram idleTimes);

    /** The {@code keep-alive-policy} key's value that selects this policy. */
    String key();
}
