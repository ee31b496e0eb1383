package dev.nest.api;

import dev.nest.auth.Action;
import dev.nest.auth.Authorizer;
import dev.nest.auth.ForbiddenException;
import dev.nest.auth.NotAuthenticatedException;
import dev.nest.auth.PeerCredential;
import dev.nest.auth.Principal;
import dev.nest.auth.Requirement;
import dev.nest.auth.RouteAccess;
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
 * Authenticates and authorizes every request of the admin server before it is routed: looks the route up in the
 * routes' table ({@link AdminRoutes#access()}), lets open routes through, accepts another node's
 * {@link PeerCredential} header on the routes whose requirement says so, and otherwise asks the {@link Authorizer}
 * with the request's {@code Authorization} header. A refused request gets the JSON error ({@code {"error",
 * "detail"}}, 401 with {@code WWW-Authenticate: Bearer realm="nest"}, or 403) and never reaches its handler; an
 * accepted one carries its {@link Principal} for the handler ({@link #principal}), which does what
 * {@link RouteAccess.Duty} asks: {@link #check} the namespace of a body or record, or show only what
 * {@link #covers} allows.
 *
 * <p>The lookup uses the decoded path, as the router does; when the raw path (with percent-escapes) would match
 * another route, the request needs {@link Action#ADMIN}, so that an escaped {@code /} cannot make the filter and the
 * router disagree in a caller's favour. A peer credential header that is present but wrong is a 401, never a fall
 * back to the token.
 *
 * <p>No I/O: the authorizer reads the token store's mirror. Thread-safe; called on Helidon's request threads.
 */
public final class AuthFilter implements Filter {
    private final Authorizer authorizer;
    private final RouteAccess routes;
    private final PeerCredential peers;

    /**
     * @param routes what each route needs ({@link AdminRoutes#access()})
     * @param peers  the cluster's credential, accepted on peer routes
     */
    public AuthFilter(Authorizer authorizer, RouteAccess routes, PeerCredential peers) {
        this.authorizer = authorizer;
        this.routes = routes;
        this.peers = peers;
    }

    /** A node of the cluster, accepted by its peer credential (handlers of peer routes see no principal). */
    private record Peer() {
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String method = req.prologue().method().text();
        RouteAccess.Access access = routes.of(method, req.path().path(), name -> req.query().first(name).asOptional());
        String raw = req.path().rawPath();
        if (!raw.equals(req.path().path())
                && !routes.of(method, raw, name -> req.query().first(name).asOptional()).equals(access)) {
            access = RouteAccess.UNLISTED;
        }
        if (access.open()) {
            chain.proceed();
            return;
        }
        try {
            Optional<String> peer = req.headers().first(HeaderNames.create(peers.headerName()));
            if (access.peer() && peer.isPresent()) {
                if (!peers.verify(peer.get())) {
                    throw new NotAuthenticatedException("the " + peers.headerName() + " header is not this cluster's "
                            + "peer credential: the nodes of a cluster must share it");
                }
                req.context().register(Peer.class, new Peer());
                chain.proceed();
                return;
            }
            Optional<String> authorization = req.headers().first(HeaderNames.AUTHORIZATION);
            Principal principal = access.kind() == Requirement.Kind.TOKEN ? authorizer.authenticate(authorization)
                    : authorizer.authorize(authorization, access.action().orElseThrow(), access.namespace());
            req.context().register(AuthFilter.class, principal);
        } catch (NestException e) {
            refuse(res, ErrorResponse.of(e));
            return;
        }
        chain.proceed();
    }

    private static void refuse(RoutingResponse res, ErrorResponse error) {
        if (error.status() == 401) {
            res.header(HeaderNames.WWW_AUTHENTICATE, Authorizer.CHALLENGE);
        }
        Errors.send(res, error);
    }

    /**
     * The principal {@link AuthFilter} accepted for {@code req}.
     *
     * @throws NotAuthenticatedException when the request did not pass the filter with a token (it is not installed,
     *                                   the route is open, or a peer called): a handler that needs a principal then
     *                                   refuses rather than trusts
     */
    public static Principal principal(ServerRequest req) {
        return principalOf(req).orElseThrow(() -> new NotAuthenticatedException("this endpoint needs a token; "
                + Authorizer.HOW_TO_GET_ONE));
    }

    /** The principal {@link AuthFilter} accepted for {@code req}, if any. */
    public static Optional<Principal> principalOf(ServerRequest req) {
        return req.context().get(AuthFilter.class, Principal.class);
    }

    /**
     * Checks that the caller may do {@code action} in {@code namespace}, found in the body or the record.
     *
     * @throws ForbiddenException 403 naming the namespace
     * @throws NotAuthenticatedException 401 without a principal
     */
    static void check(ServerRequest req, Action action, String namespace) {
        Authorizer.check(principal(req), action, Optional.of(namespace));
    }

    /** Whether another node of the cluster made the request (with the peer credential, on a peer route). */
    static boolean peer(ServerRequest req) {
        return req.context().get(Peer.class, Peer.class).isPresent();
    }

    /** Whether the caller's token covers {@code namespace} (lists that span namespaces show only those). */
    static boolean covers(ServerRequest req, String namespace) {
        return principal(req).covers(namespace);
    }
}
