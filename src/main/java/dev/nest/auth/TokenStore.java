package dev.nest.auth;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The region's API tokens, kept as hashes. Authentication reads an in-memory mirror and never waits for I/O;
 * creating and revoking are writes that every node's mirror sees shortly after.
 *
 * <p>Implementations are thread-safe. {@code cluster.ZooKeeperTokenStore} is the one a server uses.
 */
public interface TokenStore {
    /**
     * Creates a token with a new random secret.
     *
     * @return the token and its secret, which is not kept: this is the only time it can be read
     * @throws dev.nest.common.NestException 400 for an invalid request, 409 when the name is taken
     */
    default IssuedToken create(String name, Role role, List<String> namespaces, Optional<Instant> expiresAt) {
        TokenSecret secret = TokenSecret.generate();
        return new IssuedToken(create(new NewToken(name, role, namespaces, expiresAt), secret), secret);
    }

    /**
     * Creates a token with a new random secret and its own rate limit on invocations ({@code rate}; empty for none).
     *
     * @return the token and its secret, shown this once
     * @throws dev.nest.common.NestException 400 for an invalid request, 409 when the name is taken
     */
    default IssuedToken create(String name, Role role, List<String> namespaces, Optional<Instant> expiresAt,
                               Optional<dev.nest.common.Rate> rate) {
        TokenSecret secret = TokenSecret.generate();
        return new IssuedToken(create(new NewToken(name, role, namespaces, expiresAt, rate), secret), secret);
    }

    /**
     * Creates a token whose secret the caller chose (already checked by {@link TokenSecret#parse}), as the region's
     * bootstrap does with {@code NEST_BOOTSTRAP_TOKEN}.
     *
     * @throws dev.nest.common.NestException 400 for an expiry not in the future, 409 when the name is taken
     */
    TokenInfo create(NewToken request, TokenSecret secret);

    /** Every token, by name, without secrets. */
    List<TokenInfo> list();

    /**
     * Revokes a token: every node refuses it shortly after (within a second when ZooKeeper is reachable).
     *
     * @throws dev.nest.common.NestException 404 when there is no token of that name
     */
    void revoke(String name);

    /** Who holds {@code secret}: empty when it is unknown, revoked or expired. Never blocks on I/O. */
    Optional<Principal> authenticate(TokenSecret secret);
}
