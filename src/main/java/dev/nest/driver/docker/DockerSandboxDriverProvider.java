package dev.nest.driver.docker;

import dev.nest.spi.NamedDriverProvider;

/**
 * Registers the {@code docker} driver with {@link java.util.ServiceLoader}. Creating it reads the options of
 * {@code sidecar.drivers.docker}; it does not contact the engine (see {@code health()}).
 */
public final class DockerSandboxDriverProvider extends NamedDriverProvider {
    public DockerSandboxDriverProvider() {
        super("docker", context -> new DockerSandboxDriver(context.nodeId(), DockerSettings.parse(context.options()),
                context.dataDir().resolve("docker").resolve("pods")));
    }
}
