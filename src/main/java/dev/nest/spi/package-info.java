/**
 * The service-provider interfaces plugins implement: sandbox drivers ({@link dev.nest.spi.SandboxDriver}).
 * Built-in drivers implement the same interfaces and are found through {@link java.util.ServiceLoader}; the helpers
 * they share are here too, for any driver to use: the stop sequence ({@link dev.nest.spi.PodStop},
 * {@link dev.nest.spi.AbstractPod}), output lines ({@link dev.nest.spi.PodLines}), container checks
 * ({@link dev.nest.spi.Containers}), option checks ({@link dev.nest.spi.DriverOptions}) and providers
 * ({@link dev.nest.spi.NamedDriverProvider}).
 */
package dev.nest.spi;
