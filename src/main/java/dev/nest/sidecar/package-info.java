/**
 * The node agent: starts pods through the configured {@link dev.nest.spi.SandboxDriver}, loads function
 * versions into them, hands instances to the gateway (queueing requests while instances start), notices
 * deaths, recycles idle instances and captures logs.
 */
package dev.nest.sidecar;
