package dev.nest.spi;

/** Whether a driver's engine is usable, and if not, what to do about it. */
public record DriverHealth(boolean healthy, String detail) {
    public static DriverHealth ok(String detail) {
        return new DriverHealth(true, detail);
    }

    public static DriverHealth down(String detail) {
        return new DriverHealth(false, detail);
    }
}
