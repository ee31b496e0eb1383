package dev.nest.auth;

import dev.nest.common.NestException;
import dev.nest.common.Rate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A request for a token, checked on construction.
 *
 * @param name       unique in the region: lowercase letters, digits, {@code .}, {@code _} and {@code -}, starting and
 *                   ending with a letter or digit, at most 64 characters
 * @param role       what the token may do
 * @param namespaces names or globs ({@code team-*}), {@code *} for all; an admin token must cover all
 * @param expiresAt  when the token stops working; empty for never (that it lies ahead is checked by the store,
 *                   which has the clock)
 * @param rate       the rate at which the token may invoke functions ({@code "rate": "50/s"}); empty for no limit of
 *                   its own
 * @throws NestException 400 naming the field, the value and what is allowed
 */
public record NewToken(String name, Role role, List<String> namespaces, Optional<Instant> expiresAt,
                       Optional<Rate> rate) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?");
    public static final String NAME_ALLOWED = "lowercase letters, digits, '.', '_' and '-', starting and ending with a "
            + "letter or digit, at most 64 characters";

    public NewToken {
        if (name == null || !NAME.matcher(name).matches()) {
            throw NestException.badRequest("key 'name': value '" + name + "' is not a token name; allowed: "
                    + NAME_ALLOWED);
        }
        if (role == null) {
            throw NestException.badRequest("key 'role': required; allowed: " + Role.ALLOWED);
        }
        namespaces = NamespaceScope.validate("namespaces", namespaces);
        if (role == Role.ADMIN && !namespaces.equals(List.of(NamespaceScope.ALL))) {
            throw NestException.badRequest("key 'namespaces': value " + namespaces + " is not valid for role admin; "
                    + "allowed: [*] (an admin token covers every namespace), or choose role developer for these namespaces");
        }
        expiresAt = expiresAt == null ? Optional.empty() : expiresAt;
        rate = rate == null ? Optional.empty() : rate;
    }

    /** A request for a token without a rate limit of its own. */
    public NewToken(String name, Role role, List<String> namespaces, Optional<Instant> expiresAt) {
        this(name, role, namespaces, expiresAt, Optional.empty());
    }

    /** Whether {@code name} is a valid token name (so that a lookup by an invalid one can answer "no such token"). */
    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }
}
