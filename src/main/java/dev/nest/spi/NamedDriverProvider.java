package dev.nest.spi;

import java.util.Objects;
import java.util.function.Function;

/**
 * A {@link SandboxDriverProvider} made of a name and the function that creates the driver. A driver's provider, the
 * class named in {@code META-INF/services}, extends it with a public no-argument constructor:
 * {@code super("docker", context -> new DockerSandboxDriver(...))}.
 */
public abstract class NamedDriverProvider implements SandboxDriverProvider {
    private final String name;
    private final Function<DriverContext, SandboxDriver> factory;

    protected NamedDriverProvider(String name, Function<DriverContext, SandboxDriver> factory) {
        this.name = Objects.requireNonNull(name, "name");
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    @Override
    public final String name() {
        return name;
    }

    /** Creates the driver; reading its options may throw a {@link SandboxException} that lists every bad one. */
    @Override
    public final SandboxDriver create(DriverContext context) {
        return factory.apply(context);
    }
}
