package dev.nest.gateway;

import dev.nest.function.FunctionId;
import java.util.Optional;

/**
 * Where an invocation's request target splits: {@code /fn/{name}{rest}?{query}} for the default namespace, or
 * {@code /ns/{namespace}/fn/{name}{rest}?{query}}, where {@code name} may end in {@code @{qualifier}} (an alias or
 * a version, see {@link VersionResolver}). Every other target belongs to the admin server. Pure; the
 * parts are cut out only when asked for, so that the warm path cuts out only what it needs.
 *
 * @param path      the target without its query
 * @param query     the query without {@code ?}, or empty
 * @param nameStart where the function's name starts in {@code path}
 * @param nameEnd   where it ends (the start of the rest, or the end of the path)
 */
record InvocationPath(String path, String query, int nameStart, int nameEnd) {
    /** The invocation {@code target} names, or empty when it is for the admin server. */
    static Optional<InvocationPath> of(String target) {
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? "" : target.substring(q + 1);
        int nameStart;
        if (path.startsWith("/fn/")) {
            nameStart = 4;
        } else if (path.startsWith("/ns/")) {
            int nsEnd = path.indexOf('/', 4);
            if (nsEnd <= 4 || !path.startsWith("/fn/", nsEnd)) {
                return Optional.empty(); // an empty namespace, or more than one segment: no invocation (404)
            }
            nameStart = nsEnd + 4;
        } else {
            return Optional.empty();
        }
        int end = path.indexOf('/', nameStart);
        if (end == nameStart || nameStart == path.length()) {
            return Optional.empty(); // an empty name
        }
        return Optional.of(new InvocationPath(path, query, nameStart, end < 0 ? path.length() : end));
    }

    /**
     * Whether {@code target} lies where invocations live ({@code /fn}, {@code /ns}, and below) without naming one:
     * such a target is answered 404 here, never passed to the admin server.
     */
    static boolean underInvocations(String target) {
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        return path.equals("/fn") || path.startsWith("/fn/") || path.equals("/ns") || path.startsWith("/ns/");
    }

    /** {@code target}'s path as an error may quote it: printable ASCII, at most 200 characters. */
    static String shown(String target) {
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        StringBuilder out = new StringBuilder(Math.min(path.length(), 200) + 3);
        for (int i = 0; i < path.length() && i < 200; i++) {
            char ch = path.charAt(i);
            out.append(ch >= 0x20 && ch < 0x7f ? ch : '?');
        }
        return path.length() > 200 ? out.append("...").toString() : out.toString();
    }

    /** The namespace: the {@code /ns/} segment, or {@link FunctionId#DEFAULT_NAMESPACE}. */
    String namespace() {
        return path.startsWith("/ns/") ? path.substring(4, path.indexOf('/', 4)) : FunctionId.DEFAULT_NAMESPACE;
    }

    /** The function's name: the segment up to {@code @} when it names a qualifier. */
    String name() {
        int at = path.indexOf('@', nameStart);
        return path.substring(nameStart, at < 0 || at > nameEnd ? nameEnd : at);
    }

    /**
     * What follows the first {@code @} in the name's segment ({@code /fn/{name}@{alias or version}/...}), possibly
     * empty; none when the segment has no {@code @}. Taken literally: {@code %40} is not an {@code @}.
     */
    Optional<String> qualifier() {
        int at = path.indexOf('@', nameStart);
        return at < 0 || at > nameEnd ? Optional.empty() : Optional.of(path.substring(at + 1, nameEnd));
    }

    /** The path up to the end of the name: one function's key in the gateway's cache of ids. */
    String prefix() {
        return path.substring(0, nameEnd);
    }

    /** What follows the name (at least {@code /}) and the query: the host is called on {@code /invoke/{instance}{rest}}. */
    String rest() {
        String rest = nameEnd == path.length() ? "/" : path.substring(nameEnd);
        return query.isEmpty() ? rest : rest + "?" + query;
    }
}
