package dev.nest.driver.containerd;

import dev.nest.spi.DriverContext;
import dev.nest.spi.SandboxDriver;
import dev.nest.spi.SandboxDriverProvider;

/** Registers the {@code containerd} driver with {@link java.util.ServiceLoader}. */
public final class ContainerdSandboxDriverProvider implements SandboxDriverProvider {
    @Override
    public String name() {
        return "containerd";
    }

    /** Reads the options of {@code sidecar.drivers.containerd}; does not contact containerd (see {@code health()}). */
    @Override
    public SandboxDriver create(DriverContext context) {
        return new ContainerdSandboxDriver(context.nodeId(), ContainerdSettings.parse(context.options()),
                context.dataDir().resolve("containerd"));
    }
}
