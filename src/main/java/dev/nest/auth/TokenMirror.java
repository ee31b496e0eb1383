package dev.nest.auth;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokens a node accepts, in memory: what a {@link TokenStore} authenticates against without any I/O. A secret is
 * looked up by its display prefix and then compared by hash in constant time ({@link StoredToken#matches}); an expired
 * token is refused. A secret that matched is remembered by its full text until the next change of the mirror, so the
 * next call with it skips the SHA-256 (a change, such as a revocation, starts from an empty memory: it takes effect
 * for the very next call). The lookup compares full secrets only on a full hash-code match, which a caller without
 * a valid secret cannot aim at; unknown secrets are never remembered, so a flood of guesses does not grow it.
 *
 * <p>Thread-safe: writers (a store's watch thread, its own writes) replace an immutable snapshot under a lock;
 * readers (request threads) read the current snapshot without locking. Suited to the few thousand tokens a region
 * holds: each change copies the index.
 */
public final class TokenMirror {
    /**
     * @param verified secrets already matched against this snapshot's tokens (by their full text), so that a token
     *                 used again costs a map lookup instead of a SHA-256; only secrets that matched enter it (at most
     *                 {@link #VERIFIED_MAX}), and every change makes a new snapshot with an empty one, so a revoked or
     *                 replaced token is never found here after its change
     */
    private record Snapshot(Map<String, StoredToken> byName, Map<String, List<StoredToken>> byPrefix,
                            Map<String, StoredToken> verified) {
        static Snapshot empty() {
            return new Snapshot(Map.of(), Map.of(), new ConcurrentHashMap<>());
        }
    }

    /** The most verified secrets a snapshot remembers (one per token and secret: more only with many tokens). */
    static final int VERIFIED_MAX = 10_000;

    private volatile Snapshot snapshot = Snapshot.empty();

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
        Snapshot snap = snapshot;
        StoredToken found = snap.verified().get(secret.reveal());
        if (found == null) {
            for (StoredToken candidate : snap.byPrefix().getOrDefault(secret.displayPrefix(), List.of())) {
                if (candidate.matches(secret)) {
                    found = candidate;
                }
            }
            if (found != null && snap.verified().size() < VERIFIED_MAX) {
                snap.verified().put(secret.reveal(), found);
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
        return new Snapshot(Map.copyOf(byName), Map.copyOf(byPrefix), new ConcurrentHashMap<>());
    }
}
