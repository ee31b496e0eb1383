package dev.nest.auth;

import dev.nest.common.ErrorResponse;
import dev.nest.common.NestException;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import java.util.Optional;

/**
 * Authenticates and authorizes every request of the node's HTTP server before it is routed: looks the route up in
 * {@link RouteAccess}, lets open routes through, and otherwise asks the {@link Authorizer} with the request's
 * {@code Authorization} header. A refused request gets the JSON error ({@code {"error", "detail"}}, 401 with
 * {@code WWW-Authenticate: }{@value Authorizer#CHALLENGE}, or 403) and never reaches its handler; an accepted one
 * carries its {@link Principal} for the handler ({@link #principal}), which does what {@link RouteAccess.Duty} asks.
 *
 * <p>No I/O: the authorizer reads the token store's mirror. Thread-safe; called on Helidon's request threads.
 */
public final class AuthFilter implements Filter {
    private final Authorizer authorizer;

    public AuthFilter(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        RouteAccess.Access access = RouteAccess.of(req.prologue().method().text(), req.path().path(),
                name -> req.query().first(name).asOptional());
        if (access.open()) {
            chain.proceed();
            return;
        }
        Principal principal;
        try {
            principal = authorizer.authorize(req.headers().first(HeaderNames.AUTHORIZATION), access.action().orElseThrow(),
                    access.namespace());
        } catch (NestException e) {
            ErrorResponse error = ErrorResponse.of(e);
            res.status(error.status());
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            if (error.status() == 401) {
                res.header(HeaderNames.WWW_AUTHENTICATE, Authorizer.CHALLENGE);
            }
            res.send(error.body());
            return;
        }
        req.context().register(AuthFilter.class, principal);
        chain.proceed();
    }

    /**
     * The principal {@link AuthFilter} accepted for {@code req}.
     *
     * @throws NotAuthenticatedException when the request did not pass the filter (it is not installed, or the route
     *                                   is open): a handler that needs a principal then refuses rather than trusts
     */
    public static Principal principal(ServerRequest req) {
        return principalOf(req).orElseThrow(() -> new NotAuthenticatedException("this endpoint needs a token; "
                + Authorizer.HOW_TO_GET_ONE));
    }

    /** The principal {@link AuthFilter} accepted for {@code req}, if any. */
    public static Optional<Principal> principalOf(ServerRequest req) {
        return req.context().get(AuthFilter.class, Principal.class);
    }
}
