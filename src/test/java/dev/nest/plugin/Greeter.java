package dev.nest.plugin;

/** A service interface for the plugin tests: what a plugin's provider implements. */
public interface Greeter {
    String greet();
}
