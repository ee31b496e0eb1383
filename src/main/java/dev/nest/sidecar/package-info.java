/**
 * The node agent: starts pods through the configured {@link dev.nest.spi.SandboxDriver}, loads function
 * versions into them, hands instances to the gateway (queueing requests while instances start), notices
 * deaths, recycles idle instances and captures logs.
 *
 * <p>{@link dev.nest.sidecar.NodeAgent} is the module's face (leasing, the autoscaler's interface, lifecycle); the
 * gateway sees it only as {@link dev.nest.sidecar.InstanceLeases}. Behind it, package-private: {@code InstanceSet}
 * (the data path's decisions for one version), {@code ColdStart} (starting an instance), {@code PoolPodFactory}
 * (the warm pools' pods), {@code NodePods} (capacity, ports, pod specs, health, stopping), {@code LogCapture},
 * {@code Reconciler} and its pure {@code KeepAliveRule}, {@code StarvedNotifier} and {@code UsageSampler}.
 */
package dev.nest.sidecar;
