package dev.nest.driver.containerd;

import dev.nest.spi.NamedDriverProvider;

/**
 * Registers the {@code containerd} driver with {@link java.util.ServiceLoader}. Creating it reads the options of
 * {@code sidecar.drivers.containerd}; it does not contact containerd (see {@code health()}).
 */
public final class ContainerdSandboxDriverProvider extends NamedDriverProvider {
    public ContainerdSandboxDriverProvider() {
        super("containerd", context -> new ContainerdSandboxDriver(context.nodeId(),
                ContainerdSettings.parse(context.options()), context.dataDir().resolve("containerd")));
    }
}
