package dev.nest.alert;

import java.util.Locale;

/** Where a rule stands: never fired (or not since it was made), firing, or fired and back below its threshold. */
public enum AlertState {
    OK, FIRING, RESOLVED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
