package dev.nest.auth;

import dev.nest.common.NestException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** A {@link TokenStore} in memory, for tests: one node's view, writes visible at once, last use recorded inline. */
public final class InMemoryTokenStore implements TokenStore {
    private final Clock clock;
    private final TokenMirror mirror = new TokenMirror();
    private final LastUsedThrottle throttle = new LastUsedThrottle();

    public InMemoryTokenStore(Clock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized TokenInfo create(NewToken request, TokenSecret secret) {
        if (mirror.get(request.name()).isPresent()) {
            throw NestException.conflict("a token named '" + request.name() + "' exists");
        }
        StoredToken t = StoredToken.issue(request, secret, clock.instant());
        mirror.put(t);
        return t.info();
    }

    @Override
    public List<TokenInfo> list() {
        return mirror.all().stream().map(StoredToken::info).toList();
    }

    @Override
    public synchronized void revoke(String name) {
        if (!mirror.remove(name)) {
            throw NestException.notFound("token", "no token named '" + name + "'");
        }
        throttle.forget(name);
    }

    @Override
    public Optional<Principal> authenticate(TokenSecret secret) {
        Instant now = clock.instant();
        Optional<StoredToken> t = mirror.authenticate(secret, now);
        t.filter(x -> throttle.due(x.name(), now)).ifPresent(x -> recordUse(x, now));
        return t.map(StoredToken::principal);
    }

    private synchronized void recordUse(StoredToken used, Instant at) {
        mirror.get(used.name()).filter(s -> s.sha256().equals(used.sha256()))
                .ifPresent(s -> mirror.put(s.withLastUsed(at)));
    }
}
