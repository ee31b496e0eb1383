package dev.nest.gateway;

import dev.nest.function.Alias;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntSupplier;

/**
 * Which version of a function serves one request: the one call that turns a function, the qualifier the request
 * names and its headers into a version.
 *
 * <p>The qualifier comes from the header {@code X-Nest-Qualifier} or, when there is none, from the path form
 * {@code /fn/{name}@{qualifier}/...}; neither names the alias {@code live}. A qualifier of digits is a version, any
 * other an alias ({@link Alias#NAME}). An alias that splits traffic picks by a point in {@code [0, 100)}: derived
 * from its sticky key when it has one and the request carries it ({@link Alias#point}), else drawn at random. The
 * header is then set to the chosen version number, so a peer that the request is forwarded to serves the same
 * version, and the function sees which version serves it.
 *
 * <p>Failure: an unknown version or alias is a 404, a malformed qualifier a 400, each with a detail that names it.
 * Pure apart from the random source; thread-safe; no I/O, no allocation beyond the outcome (the header's value is
 * kept per version number).
 */
final class VersionResolver {
    /** The request header that names a version or alias (lower case: the gateway compares without case). */
    static final String HEADER = "x-nest-qualifier";

    /** The header values of versions below this are made once and kept ({@link #number}). */
    private static final int KEPT_NUMBERS = 4096;
    private static final String[] NUMBERS = new String[KEPT_NUMBERS];
    private final IntSupplier random;

    /** @param random a point in {@code [0, 100)} per call */
    VersionResolver(IntSupplier random) {
        this.random = random;
    }

    /** Points from {@link ThreadLocalRandom}. */
    static VersionResolver random() {
        return new VersionResolver(() -> ThreadLocalRandom.current().nextInt(100));
    }

    /** The outcome: a version, or the error to answer with. */
    sealed interface Resolution {
        record Resolved(FunctionVersion version) implements Resolution {
        }

        record Refused(int status, String error, String detail) implements Resolution {
        }
    }

    /**
     * Resolves the request's version and rewrites its {@link #HEADER} to it.
     *
     * @param record        the function
     * @param pathQualifier what followed {@code @} in the path, when it had one (possibly empty)
     * @param headers       the request's headers, names and values alternating; changed in place
     */
    Resolution resolve(FunctionRecord record, Optional<String> pathQualifier, List<String> headers) {
        Optional<String> header = Gateway.removeHeader(headers, HEADER);
        Optional<String> qualifier = header.isPresent() ? header.map(String::trim) : pathQualifier;
        Resolution r = resolve(record, qualifier.orElse(Alias.LIVE), qualifier.isPresent(), headers);
        if (r instanceof Resolution.Resolved ok) {
            headers.add(HEADER);
            headers.add(number(ok.version().version()));
        }
        return r;
    }

    private Resolution resolve(FunctionRecord record, String qualifier, boolean named, List<String> headers) {
        if (isVersion(qualifier)) {
            int n = qualifier.length() > 9 ? -1 : Integer.parseInt(qualifier);
            Optional<FunctionVersion> v = n < 1 ? Optional.empty() : record.version(n);
            return v.<Resolution>map(Resolution.Resolved::new).orElseGet(() -> new Resolution.Refused(404,
                    "version not found", "function " + record.id() + " has no version " + shown(qualifier)
                    + "; see GET /api/v1/functions/" + record.id().name() + "/versions"));
        }
        if (named && !Alias.validName(qualifier)) { // the default, live, is valid
            return new Resolution.Refused(400, "invalid qualifier", "qualifier '" + shown(qualifier) + "' is not valid:"
                    + " name a version (1, 2, ...) or an alias (" + Alias.NAME_RULE + ")");
        }
        Optional<Alias> alias = record.alias(qualifier);
        if (alias.isEmpty()) {
            if (!named) {
                return new Resolution.Refused(404, "function not deployed", "function " + record.id()
                        + " has no live version yet; deploy code to it");
            }
            return new Resolution.Refused(404, "alias not found", "function " + record.id() + " has no alias '"
                    + qualifier + "'; its aliases are " + record.aliases().keySet());
        }
        Alias a = alias.get();
        int version = a.isSingle() ? a.weights().firstKey() : a.pick(point(record, a, headers));
        return record.version(version).<Resolution>map(Resolution.Resolved::new).orElseGet(() -> new Resolution.Refused(
                404, "version not found", "alias '" + qualifier + "' of function " + record.id() + " names version "
                + version + ", which it does not have"));
    }

    private int point(FunctionRecord record, Alias a, List<String> headers) {
        Optional<String> key = a.sticky().flatMap(s -> s.key(headers));
        return key.isPresent() ? Alias.point(record.id(), key.get()) : random.getAsInt();
    }

    /**
     * {@code n} in decimal: a version's number is set on every request that reaches a version, so the small ones are
     * made once. Any thread: a race makes the same string twice, which is harmless.
     */
    static String number(int n) {
        if (n < 0 || n >= KEPT_NUMBERS) {
            return Integer.toString(n);
        }
        String s = NUMBERS[n];
        if (s == null) {
            s = Integer.toString(n);
            NUMBERS[n] = s;
        }
        return s;
    }

    private static boolean isVersion(String q) {
        if (q.isEmpty()) {
            return false;
        }
        for (int i = 0; i < q.length(); i++) {
            if (q.charAt(i) < '0' || q.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static String shown(String q) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < q.length() && i < 80; i++) {
            char c = q.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return q.length() > 80 ? out + "..." : out.toString();
    }
}
