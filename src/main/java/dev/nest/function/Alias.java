package dev.nest.function;

import dev.nest.common.NestException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A named pointer to one version of a function, or to several with weights in percent that sum to 100. The alias
 * {@code live} always exists once a function has a version: it is what {@code /fn/{name}} serves.
 *
 * <p>Choosing a version ({@link #pick}) is a pure function of a point in {@code [0, 100)}: the versions own
 * consecutive ranges of points in ascending version order ({@code {1: 90, 2: 10}}: points 0-89 are version 1,
 * 90-99 version 2). The caller draws the point at random, or derives it from a sticky key with {@link #point}, so
 * the same key reaches the same version on every node while the weights stand; when a newer version's weight
 * grows, the keys that were on it stay on it.
 *
 * @param weights version -> percent; every weight 1 to 100, summing to 100 (a weight of 0 is left out)
 * @param sticky  how requests stick to a version, when they do
 */
public record Alias(SortedMap<Integer, Integer> weights, Optional<Sticky> sticky) {
    /** The alias every function has. */
    public static final String LIVE = "live";
    /** Alias names: a lower-case letter, then letters, digits or dashes; 1 to 63 characters, not ending in a dash. */
    public static final Pattern NAME = Pattern.compile("[a-z]([a-z0-9-]{0,61}[a-z0-9])?");
    public static final String NAME_RULE = "1 to 63 lower-case letters, digits or '-', starting with a letter and"
            + " not ending with '-' (a number names a version, not an alias)";
    /** The most versions one alias may split traffic over. */
    public static final int MAX_VERSIONS = 10;

    public Alias {
        TreeMap<Integer, Integer> w = new TreeMap<>();
        int sum = 0;
        for (Map.Entry<Integer, Integer> e : weights.entrySet()) {
            if (e.getKey() < 1) {
                throw new IllegalArgumentException("version '" + e.getKey() + "' is not valid; versions are 1, 2, ...");
            }
            if (e.getValue() < 0 || e.getValue() > 100) {
                throw new IllegalArgumentException("weight " + e.getValue() + " of version " + e.getKey()
                        + " is not valid; allowed: 0 to 100 (percent)");
            }
            if (e.getValue() > 0) {
                w.put(e.getKey(), e.getValue());
                sum += e.getValue();
            }
        }
        if (sum != 100) {
            throw new IllegalArgumentException("the weights " + weights + " sum to " + sum + "; they must sum to 100");
        }
        if (w.size() > MAX_VERSIONS) {
            throw new IllegalArgumentException("an alias splits traffic over at most " + MAX_VERSIONS + " versions, not "
                    + w.size());
        }
        weights = Collections.unmodifiableSortedMap(w);
    }

    /** All traffic to {@code version}. */
    public static Alias single(int version) {
        return new Alias(new TreeMap<>(Map.of(version, 100)), Optional.empty());
    }

    /** {@code stable} keeps {@code 100 - canaryPercent}, {@code canary} gets {@code canaryPercent}. */
    public static Alias split(int stable, int canary, int canaryPercent, Optional<Sticky> sticky) {
        TreeMap<Integer, Integer> w = new TreeMap<>();
        w.put(stable, 100 - canaryPercent);
        w.merge(canary, canaryPercent, Integer::sum);
        return new Alias(w, sticky);
    }

    /** Whether {@code name} may name an alias. */
    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Throws a 400 naming {@code name} when it cannot name an alias. */
    public static String requireName(String name) {
        if (!validName(name)) {
            throw NestException.badRequest("alias '" + shown(name) + "' is not valid: use " + NAME_RULE);
        }
        return name;
    }

    /** The version that serves the largest share; of equal shares the lowest version. */
    public int primary() {
        int best = weights.firstKey();
        for (Map.Entry<Integer, Integer> e : weights.entrySet()) {
            if (e.getValue() > weights.get(best)) {
                best = e.getKey();
            }
        }
        return best;
    }

    /** Whether this alias sends all traffic to one version. */
    public boolean isSingle() {
        return weights.size() == 1;
    }

    /** The version that owns {@code point} (taken modulo 100). */
    public int pick(int point) {
        int p = Math.floorMod(point, 100);
        int upTo = 0;
        for (Map.Entry<Integer, Integer> e : weights.entrySet()) {
            upTo += e.getValue();
            if (p < upTo) {
                return e.getKey();
            }
        }
        return weights.lastKey(); // not reached: the weights sum to 100
    }

    /** The percent {@code version} gets, 0 when none. */
    public int weight(int version) {
        return weights.getOrDefault(version, 0);
    }

    public Alias withSticky(Optional<Sticky> s) {
        return new Alias(weights, s);
    }

    /**
     * The point of a sticky {@code key} for {@code function}: FNV-1a over both (UTF-8) with a final mix, so it is the
     * same on every node and every JVM, and two functions split the same keys independently.
     */
    public static int point(FunctionId function, String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : (function + "\n" + key).getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return (int) Long.remainderUnsigned(h, 100);
    }

    private static String shown(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return s.length() > 80 ? out + "..." : out.toString();
    }

    /**
     * Where a sticky key comes from: a request header or a cookie.
     *
     * @param source {@code header} or {@code cookie}
     * @param name   the header's name (compared without case) or the cookie's (exact)
     */
    public record Sticky(Source source, String name) {
        private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}");

        public enum Source { HEADER, COOKIE }

        public Sticky {
            if (name == null || !TOKEN.matcher(name).matches()) {
                throw new IllegalArgumentException("sticky " + source.name().toLowerCase() + " name '" + shown(name)
                        + "' is not valid: use 1 to 100 characters of an HTTP token");
            }
        }

        /**
         * Parses {@code header:X-User-Id} or {@code cookie:NAME}.
         *
         * @throws IllegalArgumentException naming the value and what is allowed
         */
        public static Sticky parse(String text) {
            int colon = text == null ? -1 : text.indexOf(':');
            String kind = colon < 0 ? "" : text.substring(0, colon).trim();
            Source source = switch (kind) {
                case "header" -> Source.HEADER;
                case "cookie" -> Source.COOKIE;
                default -> throw new IllegalArgumentException("sticky '" + shown(text) + "' is not valid; allowed: "
                        + "'header:<name>' (e.g. header:X-User-Id) or 'cookie:<name>'");
            };
            return new Sticky(source, text.substring(colon + 1).trim());
        }

        /** The key in a request's {@code headers} (names and values alternating), when it has one. */
        public Optional<String> key(java.util.List<String> headers) {
            for (int i = 0; i + 1 < headers.size(); i += 2) {
                if (source == Source.HEADER && headers.get(i).equalsIgnoreCase(name)) {
                    String v = headers.get(i + 1).trim();
                    return v.isEmpty() ? Optional.empty() : Optional.of(v);
                }
                if (source == Source.COOKIE && headers.get(i).equalsIgnoreCase("cookie")) {
                    Optional<String> v = cookie(headers.get(i + 1));
                    if (v.isPresent()) {
                        return v;
                    }
                }
            }
            return Optional.empty();
        }

        private Optional<String> cookie(String header) {
            for (String pair : header.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                    String v = pair.substring(eq + 1).trim();
                    return v.isEmpty() ? Optional.empty() : Optional.of(v);
                }
            }
            return Optional.empty();
        }

        @Override
        public String toString() {
            return source.name().toLowerCase() + ":" + name;
        }
    }
}
