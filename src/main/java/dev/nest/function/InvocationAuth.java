package dev.nest.function;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Who may invoke a function through the gateway: the spec's {@code auth} key.
 * <ul>
 *   <li>{@link #PUBLIC} (the default, and what a spec written before the key existed means): anyone who reaches the
 *       node's port; the gateway looks at no token, and passes every header, {@code Authorization} included, to the
 *       function (which may do its own authentication);</li>
 *   <li>{@link #TOKEN}: only a caller whose Nest token may invoke functions in the function's namespace
 *       ({@code Authorization: Bearer <token>}); 401 without a valid token, 403 with one that does not cover the
 *       namespace. The gateway removes the {@code Authorization} header before the request reaches the function, so
 *       the function never sees its callers' Nest tokens.</li>
 * </ul>
 */
public enum InvocationAuth {
    PUBLIC("public"),
    TOKEN("token");

    /** The allowed values, for messages: "public or token". */
    public static final String ALLOWED = Arrays.stream(values()).map(InvocationAuth::key)
            .collect(Collectors.joining(" or "));

    private final String key;

    InvocationAuth(String key) {
        this.key = key;
    }

    /** The value in a spec: {@code public}, {@code token}. */
    public String key() {
        return key;
    }

    /** The value named {@code key} (case-insensitive), if there is one. */
    public static Optional<InvocationAuth> of(String key) {
        return Arrays.stream(values()).filter(a -> a.key.equalsIgnoreCase(key.strip())).findFirst();
    }
}
