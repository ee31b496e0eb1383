package dev.nest.spi;

/** Found through {@link java.util.ServiceLoader}: makes the driver named in {@code sidecar.driver}. */
public interface SandboxDriverProvider {
    String name();

    SandboxDriver create(DriverContext context);
}
