/**
 * Namespaces as a resource: per-namespace settings an admin sets ({@link dev.nest.namespace.NamespaceSettings}: the
 * instance and memory quotas, and the invocation rate a gateway limiter reads through
 * {@link dev.nest.namespace.NamespaceRates}), the store that keeps them for the region
 * ({@link dev.nest.namespace.NamespaceStore}; {@code cluster.ZooKeeperNamespaceStore} in a server), and the pure
 * quota decisions ({@link dev.nest.namespace.QuotaCheck}) that the scheduler, the node agent, the scaler and the
 * deployer apply through the narrow {@link dev.nest.namespace.Quotas}. No I/O, no HTTP; see ADR 0018.
 */
package dev.nest.namespace;
