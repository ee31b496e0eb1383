package dev.nest.plugin;

import java.nio.file.Path;

/**
 * A plugin that could not be loaded, or one of whose services could not be created; shown in {@code /health}.
 *
 * @param name   the plugin's name (see {@link Plugin#name()})
 * @param source the jar or folder
 * @param error  what went wrong and what to change
 */
public record PluginFailure(String name, Path source, String error) {
}
