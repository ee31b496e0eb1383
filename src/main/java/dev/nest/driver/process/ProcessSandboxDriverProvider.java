package dev.nest.driver.process;

import dev.nest.spi.DriverContext;
import dev.nest.spi.SandboxDriver;
import dev.nest.spi.SandboxDriverProvider;

/** Registers the {@code process} driver with {@link java.util.ServiceLoader}. */
public final class ProcessSandboxDriverProvider implements SandboxDriverProvider {
    @Override
    public String name() {
        return "process";
    }

    @Override
    public SandboxDriver create(DriverContext context) {
        return new ProcessSandboxDriver(context);
    }
}
