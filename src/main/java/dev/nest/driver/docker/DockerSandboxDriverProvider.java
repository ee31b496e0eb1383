package dev.nest.driver.docker;

import dev.nest.spi.DriverContext;
import dev.nest.spi.SandboxDriver;
import dev.nest.spi.SandboxDriverProvider;

/** Registers the {@code docker} driver with {@link java.util.ServiceLoader}. */
public final class DockerSandboxDriverProvider implements SandboxDriverProvider {
    @Override
    public String name() {
        return "docker";
    }

    /** Reads the options of {@code sidecar.drivers.docker}; does not contact the engine (see {@code health()}). */
    @Override
    public SandboxDriver create(DriverContext context) {
        return new DockerSandboxDriver(context.nodeId(), DockerSettings.parse(context.options()));
    }
}
