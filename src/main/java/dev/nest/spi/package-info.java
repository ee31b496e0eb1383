/**
 * The service-provider interfaces plugins implement: sandbox drivers ({@link dev.nest.spi.SandboxDriver}).
 * Built-in drivers implement the same interfaces and are found through {@link java.util.ServiceLoader}.
 */
package dev.nest.spi;
