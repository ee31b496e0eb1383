package dev.nest.auth;

import dev.nest.common.NestException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a token may do. A role implies the ones below it: {@code admin > developer > viewer}, and a developer may
 * also invoke. {@code invoker} is for applications that call functions and nothing else.
 *
 * <pre>
 *             READ  INVOKE  LOGS  DEPLOY  ADMIN
 *   viewer     x
 *   invoker          x
 *   developer  x     x       x     x
 *   admin      x     x       x     x       x
 * </pre>
 */
public enum Role {
    VIEWER(EnumSet.of(Action.READ)),
    INVOKER(EnumSet.of(Action.INVOKE)),
    DEVELOPER(EnumSet.of(Action.READ, Action.INVOKE, Action.LOGS, Action.DEPLOY)),
    ADMIN(EnumSet.allOf(Action.class));

    /** The allowed values, for messages. */
    public static final String ALLOWED = Arrays.stream(values()).map(Role::key).collect(Collectors.joining(", "));

    private final Set<Action> actions;

    Role(Set<Action> actions) {
        this.actions = actions;
    }

    /** The role as written in the API and in ZooKeeper: {@code developer}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean permits(Action action) {
        return actions.contains(action);
    }

    /** The roles that permit {@code action}, lowest first (for 403 messages). */
    public static List<Role> permitting(Action action) {
        return Arrays.stream(values()).filter(r -> r.permits(action)).toList();
    }

    /**
     * Parses a role's key.
     *
     * @param key the setting or field the value came from, for the message
     * @throws NestException 400 naming the key, the value and the allowed roles
     */
    public static Role parse(String key, String value) {
        for (Role r : values()) {
            if (r.key().equals(value)) {
                return r;
            }
        }
        throw NestException.badRequest("key '" + key + "': value '" + value + "' is not a role; allowed: " + ALLOWED);
    }

    @Override
    public String toString() {
        return key();
    }
}
