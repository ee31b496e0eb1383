package dev.nest.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes the server's own paths out of an error detail before a client sees it: an entry of a package being
 * unpacked ({@code .../staging/<uuid>/a/b}) becomes {@code a/b}, a path under one of the given roots becomes
 * relative to it, and any other absolute file path becomes its last segment. The admin API's own routes
 * ({@code /api/...}, {@code /fn/...}, {@code /ns/...}) named in a hint are kept. Pure and thread-safe.
 */
public final class ServerPaths {
    private static final Pattern STAGING = Pattern.compile("/[^\\s'\"]*?/staging/[0-9a-fA-F-]{36}(?:\\.zip)?(?:/|(?=[\\s:'\"]|$))");
    private static final Pattern ABSOLUTE = Pattern.compile("(?<![\\w.~/-])/[^\\s'\"(),;:*?<>|]+");
    private static final List<String> ROUTES = List.of("/api/", "/fn/", "/ns/", "/metrics", "/healthz", "/readyz");

    private ServerPaths() {
    }

    /** {@code text} with no absolute server path left; {@code roots} are shown relative (their own name when equal). */
    public static String scrub(String text, List<Path> roots) {
        if (text == null || text.isEmpty()) {
            return text == null ? "" : text;
        }
        String out = STAGING.matcher(text).replaceAll("");
        for (Path root : roots) {
            if (root == null) {
                continue;
            }
            String r = root.toAbsolutePath().normalize().toString();
            if (r.length() > 1) {
                out = out.replace(r + "/", "");
                Path name = root.getFileName();
                out = out.replace(r, name == null ? "." : name.toString());
            }
        }
        Matcher m = ABSOLUTE.matcher(out);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String p = m.group();
            boolean route = ROUTES.stream().anyMatch(p::startsWith);
            int segments = (int) p.chars().filter(c -> c == '/').count();
            String shown = route || segments < 2 ? p : p.substring(p.lastIndexOf('/', p.length() - 2) + 1);
            m.appendReplacement(sb, Matcher.quoteReplacement(shown));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** {@link #scrub(String, List)} with no known roots. */
    public static String scrub(String text) {
        return scrub(text, List.of());
    }
}
