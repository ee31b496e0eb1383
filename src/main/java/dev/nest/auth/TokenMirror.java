package dev.nest.auth;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The tokens a node accepts, in memory: what a {@link TokenStore} authenticates against without any I/O. A secret is
 * looked up by its display prefix and then compared by hash in constant time ({@link StoredToken#matches}); an expired
 * token is refused.
 *
 * <p>Thread-safe: writers (a store's watch thread, its own writes) replace an immutable snapshot under a lock;
 * readers (request threads) read the current snapshot without locking. Suited to the few thousand tokens a region
 * holds: each change copies the index.
 */
public final class TokenMirror {
    private record Snapshot(Map<String, StoredToken> byName, Map<String, List<StoredToken>> byPrefix) {
        static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of());
    }

    private volatile Snapshot snapshot = Snapshot.EMPTY;

    /** Adds or replaces the token of that name. */
    public synchronized void put(StoredToken token) {
        Map<String, StoredToken> byName = new HashMap<>(snapshot.byName());
        byName.put(token.name(), token);
        snapshot = index(byName);
    }

    /** Removes the token of that name; whether there was one. */
    public synchronized boolean remove(String name) {
        if (!snapshot.byName().containsKey(name)) {
            return false;
        }
        Map<String, StoredToken> byName = new HashMap<>(snapshot.byName());
        byName.remove(name);
        snapshot = index(byName);
        return true;
    }

    /** Replaces every token at once. */
    public synchronized void replaceAll(Collection<StoredToken> tokens) {
        Map<String, StoredToken> byName = new HashMap<>();
        tokens.forEach(t -> byName.put(t.name(), t));
        snapshot = index(byName);
    }

    public Optional<StoredToken> get(String name) {
        return Optional.ofNullable(snapshot.byName().get(name));
    }

    /** Every token, by name. */
    public List<StoredToken> all() {
        return List.copyOf(new TreeMap<>(snapshot.byName()).values());
    }

    public boolean isEmpty() {
        return snapshot.byName().isEmpty();
    }

    /** The token of {@code secret} when it is known and not expired at {@code now}. */
    public Optional<StoredToken> authenticate(TokenSecret secret, Instant now) {
        StoredToken found = null;
        for (StoredToken candidate : snapshot.byPrefix().getOrDefault(secret.displayPrefix(), List.of())) {
            if (candidate.matches(secret)) {
                found = candidate;
            }
        }
        return found == null || found.expired(now) ? Optional.empty() : Optional.of(found);
    }

    private static Snapshot index(Map<String, StoredToken> byName) {
        Map<String, List<StoredToken>> byPrefix = new HashMap<>();
        for (StoredToken t : byName.values()) {
            byPrefix.computeIfAbsent(t.prefix(), p -> new ArrayList<>()).add(t);
        }
        byPrefix.replaceAll((p, l) -> List.copyOf(l));
        return new Snapshot(Map.copyOf(byName), Map.copyOf(byPrefix));
    }
}
