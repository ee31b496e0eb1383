package dev.nest.namespace;

import java.util.List;
import java.util.Optional;

/**
 * The region's namespace settings. Reads ({@link #get}, {@link #list}, and through them {@link Quotas} and
 * {@link NamespaceRates}) answer from memory and never wait for I/O; writes reach every node shortly after (within a
 * second while the store's back end is reachable).
 *
 * <p>Implementations are thread-safe. {@code cluster.ZooKeeperNamespaceStore} is the one a server uses.
 */
public interface NamespaceStore extends Quotas, NamespaceRates {
    /** The settings of {@code namespace}, if an admin set any. */
    Optional<NamespaceSettings> get(String namespace);

    /** Every namespace that has settings, by name. */
    List<NamespaceSettings> list();

    /**
     * Sets (replaces) a namespace's settings.
     *
     * @return the settings as stored
     * @throws dev.nest.common.NestException 503 when the store cannot be written in time
     */
    NamespaceSettings put(NamespaceSettings settings);

    /**
     * Clears a namespace's settings (no quota, no rate limit).
     *
     * @throws dev.nest.common.NestException 404 when it had none
     */
    void delete(String namespace);

    @Override
    default NamespaceQuota quota(String namespace) {
        return get(namespace).map(NamespaceSettings::quota).orElse(NamespaceQuota.NONE);
    }

    @Override
    default Optional<NamespaceRate> rate(String namespace) {
        return get(namespace).flatMap(NamespaceSettings::rate);
    }
}
