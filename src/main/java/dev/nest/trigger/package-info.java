/**
 * Event sources that invoke functions (the spec's {@code triggers:}): the SPI a source implements
 * ({@link dev.nest.trigger.TriggerSourceProvider}, found through {@code ServiceLoader} in Nest's own class loader and
 * in plugins'), the {@link dev.nest.trigger.TriggerManager} that starts and stops sources as specs and leadership
 * change, and the path their events take into the invocation path ({@link dev.nest.trigger.InvocationSink}).
 */
package dev.nest.trigger;
