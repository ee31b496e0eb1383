/** Plugins: jars in the {@code plugins/} folder, each in its own class loader, whose services Nest finds through {@link java.util.ServiceLoader}. */
package dev.nest.plugin;
