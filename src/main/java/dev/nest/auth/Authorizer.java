package dev.nest.auth;

import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Decides whether a request may do what its route does. A route calls {@link #authorize} with the request's
 * {@code Authorization} header (empty when absent), the {@link Action} it needs and the namespace it touches (empty for
 * a route that belongs to no namespace), and gets the caller's {@link Principal} or one of:
 * <ul>
 *   <li>{@link NotAuthenticatedException} (401): no token, not {@code Bearer}, malformed (checked by
 *       {@link TokenSecret#parse} before any lookup), unknown, revoked or expired; the detail says how to get one;</li>
 *   <li>{@link ForbiddenException} (403): the token's role does not permit the action, or its namespaces do not cover
 *       the namespace; the detail names the role or namespace needed.</li>
 * </ul>
 * A 401 answer should carry {@code WWW-Authenticate: }{@value #CHALLENGE}.
 *
 * <p>Authentication reads the store's in-memory mirror: no I/O on the request path. Thread-safe.
 */
public final class Authorizer {
    /** The {@code WWW-Authenticate} value of a 401 answer. */
    public static final String CHALLENGE = "Bearer realm=\"nest\"";
    public static final String HOW_TO_GET_ONE = "send 'Authorization: Bearer <token>' with a Nest token (" + TokenSecret.FORM
            + "); an admin creates tokens with POST /api/v1/tokens, and the region's first admin token is in the file "
            + "admin.token in the data directory of the node that started the region";

    private final TokenStore store;

    public Authorizer(TokenStore store) {
        this.store = store;
    }

    /**
     * The caller, when its token permits {@code action} on {@code namespace}.
     *
     * @param authorization the {@code Authorization} header's value, empty when the request has none
     * @param namespace     the namespace the route touches; empty for routes that belong to no namespace
     * @throws NotAuthenticatedException 401
     * @throws ForbiddenException        403
     */
    public Principal authorize(Optional<String> authorization, Action action, Optional<String> namespace) {
        Principal p = authenticate(authorization);
        check(p, action, namespace);
        return p;
    }

    /**
     * The caller, whatever it may do (for routes that filter what they show by {@link Principal#covers}).
     *
     * @throws NotAuthenticatedException 401
     */
    public Principal authenticate(Optional<String> authorization) {
        TokenSecret secret = bearer(authorization);
        return store.authenticate(secret).orElseThrow(() -> new NotAuthenticatedException("the token "
                + secret.displayPrefix() + "... is unknown, revoked or expired; " + HOW_TO_GET_ONE));
    }

    /** The token of an {@code Authorization} header, its form checked. */
    static TokenSecret bearer(Optional<String> authorization) {
        String header = authorization.map(String::strip).orElse("");
        if (header.isEmpty()) {
            throw new NotAuthenticatedException("this endpoint needs a token; " + HOW_TO_GET_ONE);
        }
        // "<scheme> <credentials>": split by hand, as this runs on every call of a token function
        int space = 0;
        while (space < header.length() && !Character.isWhitespace(header.charAt(space))) {
            space++;
        }
        if (!header.regionMatches(true, 0, "Bearer", 0, space) || space != "Bearer".length()) {
            throw new NotAuthenticatedException("the Authorization header does not use the Bearer scheme; "
                    + HOW_TO_GET_ONE);
        }
        String token = header.substring(space).strip();
        try {
            return TokenSecret.parse(token);
        } catch (IllegalArgumentException e) {
            throw new NotAuthenticatedException("the bearer token is not a Nest token: " + e.getMessage() + "; "
                    + HOW_TO_GET_ONE);
        }
    }

    /**
     * The pure part: whether {@code principal} may do {@code action} on {@code namespace}.
     *
     * @throws ForbiddenException naming the role or the namespace needed
     */
    public static void check(Principal principal, Action action, Optional<String> namespace) {
        if (!principal.role().permits(action)) {
            String roles = Role.permitting(action).stream().map(Role::key).collect(Collectors.joining(" or "));
            throw new ForbiddenException("token '" + principal.name() + "' has role " + principal.role().key()
                    + ", which cannot " + action.description() + "; that needs role " + roles);
        }
        if (namespace.isPresent() && !principal.covers(namespace.get())) {
            throw new ForbiddenException("token '" + principal.name() + "' covers namespaces "
                    + principal.namespaces() + ", not '" + namespace.get() + "'; use a token whose namespaces "
                    + "include '" + namespace.get() + "' (an admin can create one)");
        }
    }
}
