package dev.nest.gateway;

import dev.nest.common.NestException;
import dev.nest.limits.Caller;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * What the gateway asks before it invokes a function whose spec says {@code auth: token}: may the caller with this
 * {@code Authorization} header invoke functions in {@code namespace}? The server binds it to the token authorizer
 * ({@code dev.nest.auth.Authorizer} with {@code Action.INVOKE}); the gateway knows nothing of tokens.
 *
 * <p>Called on the event loop thread, for token functions only (a public function costs no call): an implementation
 * must answer from memory, without I/O or locks held for long. Thread-safe.
 */
@FunctionalInterface
public interface InvokeAuth {
    /** The {@code WWW-Authenticate} value the gateway sends with a 401. */
    String CHALLENGE = "Bearer realm=\"nest\"";
    /**
     * The header ({@code x-nest-auth: token}) of the gateway's 401 and 403 for a token function: the function needs
     * a Nest token. Functions cannot set it, so a client may trust it before sending its token again.
     */
    String REQUIRED_HEADER = "x-nest-auth";

    /**
     * A node that was not given a way to check tokens: every call to a token function is refused (503), never
     * let through.
     */
    InvokeAuth UNAVAILABLE = (authorization, namespace) -> {
        throw NestException.unavailable("invocation auth unavailable",
                "this node cannot check tokens, so it invokes no function whose spec says 'auth: token'");
    };

    /**
     * Returns when the caller may invoke functions in {@code namespace}.
     *
     * @param authorization the request's {@code Authorization} header, empty when it has none
     * @param namespace     the function's namespace
     * @throws NestException 401 (no token, or one that is malformed, unknown, revoked or expired) or 403 (the token
     *                       may not invoke functions in that namespace), with a detail that says what to change
     */
    void check(Optional<String> authorization, String namespace);

    /**
     * Like {@link #check}, and says who the caller is, so that the token's own rate limit applies (see
     * {@link dev.nest.limits.Admission}); by default nobody in particular ({@link Caller#token()} empty).
     */
    default Caller caller(Optional<String> authorization, String namespace) {
        check(authorization, namespace);
        return new Caller("", Optional.empty());
    }

    /** An auth that names its callers: {@code who} checks as {@link #check} does and returns the caller. */
    static InvokeAuth identifying(BiFunction<Optional<String>, String, Caller> who) {
        return new InvokeAuth() {
            @Override
            public void check(Optional<String> authorization, String namespace) {
                who.apply(authorization, namespace);
            }

            @Override
            public Caller caller(Optional<String> authorization, String namespace) {
                return who.apply(authorization, namespace);
            }
        };
    }
}
