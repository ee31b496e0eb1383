package dev.nest.auth;

import dev.nest.common.NestException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The namespaces a token covers: names ({@code shop}) or globs where {@code *} stands for any run of characters
 * ({@code team-*}); {@code *} alone covers every namespace. Pure functions; thread-safe.
 */
final class NamespaceScope {
    /** A namespace name or glob: the characters of a namespace ({@code a-z}, {@code 0-9}, {@code -}) plus {@code *}. */
    private static final Pattern GLOB = Pattern.compile("[a-z0-9*]([a-z0-9*-]{0,61}[a-z0-9*])?");
    static final String ALL = "*";
    static final String ALLOWED = "namespace names or globs of lowercase letters, digits, '-' and '*' (at most 63 "
            + "characters, like shop or team-*), or * for all";

    private NamespaceScope() {
    }

    /**
     * Checks and normalizes a scope: at least one entry, each a valid name or glob; duplicates removed, order kept;
     * a scope that holds {@code *} is just {@code [*]}.
     *
     * @throws NestException 400 naming {@code key}, the value and the allowed forms
     */
    static List<String> validate(String key, List<String> namespaces) {
        if (namespaces == null || namespaces.isEmpty()) {
            throw NestException.badRequest("key '" + key + "': value [] is not valid; allowed: at least one of " + ALLOWED);
        }
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String n : namespaces) {
            if (n == null || !GLOB.matcher(n).matches()) {
                throw NestException.badRequest("key '" + key + "': value '" + n + "' is not valid; allowed: " + ALLOWED);
            }
            out.add(n);
        }
        return out.contains(ALL) ? List.of(ALL) : List.copyOf(new ArrayList<>(out));
    }

    /** Whether one of {@code patterns} matches {@code namespace}. */
    static boolean covers(List<String> patterns, String namespace) {
        for (String p : patterns) {
            if (matches(p, namespace)) {
                return true;
            }
        }
        return false;
    }

    /** Glob match where {@code *} matches any run of characters, including none; everything else is literal. */
    static boolean matches(String glob, String text) {
        int g = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (g < glob.length() && glob.charAt(g) != '*' && glob.charAt(g) == text.charAt(t)) {
                g++;
                t++;
            } else if (g < glob.length() && glob.charAt(g) == '*') {
                star = g++;
                mark = t;
            } else if (star >= 0) {
                g = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (g < glob.length() && glob.charAt(g) == '*') {
            g++;
        }
        return g == glob.length();
    }
}
