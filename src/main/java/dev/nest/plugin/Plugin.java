package dev.nest.plugin;

import java.nio.file.Path;
import java.util.List;

/**
 * A plugin that loaded: a jar (or a folder of jars) in the plugins folder, in its own class loader.
 *
 * @param name     the jar's file name without {@code .jar}, or the folder's name
 * @param source   the jar or folder
 * @param jars     the jars on its class path, sorted by name
 * @param services the service interfaces it declares in {@code META-INF/services}
 * @param loader   its class loader (child-first for its own dependencies; Nest's class loader is the parent)
 */
public record Plugin(String name, Path source, List<Path> jars, List<String> services, ClassLoader loader) {
    public Plugin {
        jars = List.copyOf(jars);
        services = List.copyOf(services);
    }
}
