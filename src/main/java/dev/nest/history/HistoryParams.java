package dev.nest.history;

import dev.nest.store.InvocationQuery;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a caller asked of the region's history, checked: filters, a time range, a page.
 *
 * @param function   {@code namespace/name}, resolved by the caller from {@code ?function=} and {@code ?namespace=}
 * @param version    {@code ?version=}: a version number
 * @param status     {@code ?status=}: {@code ok}, {@code error}, {@code 5xx}, {@code 429}, ...
 * @param cold       {@code ?cold=}: true or false
 * @param since      {@code ?since=}, absolute (a relative one was resolved against the clock once, here)
 * @param until      {@code ?until=}, absolute
 * @param invocation {@code ?invocation=}: log lines of this invocation only
 * @param cursor     {@code ?cursor=}: the {@code next} of a previous page
 * @param limit      {@code ?limit=}, at most the route's cap (a larger one is lowered to it)
 * @param trace      {@code ?trace=}: invocations of this W3C trace id (32 lowercase hex digits)
 */
public record HistoryParams(Optional<String> function, Optional<Integer> version, Optional<String> status,
                            Optional<Boolean> cold, Optional<Instant> since, Optional<Instant> until,
                            Optional<String> invocation, Optional<String> cursor, int limit, Optional<String> trace) {
    /**
     * Reads and checks the query parameters.
     *
     * @param query   a query parameter by name
     * @param now     what relative times count back from
     * @param dflt    the limit when none is given
     * @param cap     the highest limit answered
     * @throws HistoryException naming the parameter and what is allowed
     */
    public static HistoryParams parse(Optional<String> function, Function<String, Optional<String>> query, Instant now,
                                      int dflt, int cap) {
        Optional<Integer> version = query.apply("version").map(v -> {
            if (!v.matches("\\d{1,9}") || Integer.parseInt(v) < 1) {
                throw bad("version", v, "a version number, 1 or more");
            }
            return Integer.parseInt(v);
        });
        Optional<String> status = query.apply("status").map(s -> {
            try {
                InvocationQuery.checkStatus(s);
                return s;
            } catch (IllegalArgumentException e) {
                throw new HistoryException("query parameter 'status': " + e.getMessage());
            }
        });
        Optional<Boolean> cold = query.apply("cold").map(c -> switch (c) {
            case "true" -> true;
            case "false" -> false;
            default -> throw bad("cold", c, "true or false");
        });
        Optional<Instant> since = query.apply("since").map(s -> TimeParam.parse("since", s, now));
        Optional<Instant> until = query.apply("until").map(u -> TimeParam.parse("until", u, now));
        if (since.isPresent() && until.isPresent() && !since.get().isBefore(until.get())) {
            throw new HistoryException("query parameters 'since' and 'until': since (" + since.get()
                    + ") must be before until (" + until.get() + ")");
        }
        Optional<String> invocation = query.apply("invocation").map(i -> {
            if (!i.matches("[A-Za-z0-9._:-]{1,64}")) {
                throw bad("invocation", i, "an invocation id: 1 to 64 letters, digits, '.', '_', ':' or '-'");
            }
            return i;
        });
        Optional<String> cursor = query.apply("cursor").map(c -> {
            if (!c.matches("[A-Za-z0-9_-]{1,1024}")) {
                throw bad("cursor", c, "the 'next' value of a previous answer, unchanged");
            }
            return c;
        });
        Optional<String> trace = query.apply("trace").map(t -> {
            if (!t.matches("[0-9a-f]{32}")) {
                throw bad("trace", t, "a W3C trace id: 32 lowercase hex digits");
            }
            return t;
        });
        String l = query.apply("limit").orElse(String.valueOf(dflt));
        if (!l.matches("\\d{1,9}") || Integer.parseInt(l) < 1) {
            throw bad("limit", l, "1 to " + cap + " (a larger number is lowered to " + cap + ")");
        }
        return new HistoryParams(function, version, status, cold, since, until, invocation, cursor,
                Math.min(Integer.parseInt(l), cap), trace);
    }

    /** The parameters a peer is asked with: the same filters, with absolute times. */
    public Map<String, String> forward() {
        Map<String, String> q = new LinkedHashMap<>();
        function.ifPresent(f -> q.put("function", f));
        version.ifPresent(v -> q.put("version", v.toString()));
        status.ifPresent(s -> q.put("status", s));
        cold.ifPresent(c -> q.put("cold", c.toString()));
        since.ifPresent(s -> q.put("since", s.toString()));
        until.ifPresent(u -> q.put("until", u.toString()));
        invocation.ifPresent(i -> q.put("invocation", i));
        cursor.ifPresent(c -> q.put("cursor", c));
        q.put("limit", String.valueOf(limit));
        trace.ifPresent(t -> q.put("trace", t));
        return q;
    }

    /** The records' query on one node. */
    public InvocationQuery invocations() {
        return new InvocationQuery(function, version, status, cold, since, until,
                cursor.map(Cursors::invocation), limit, trace);
    }

    static HistoryException bad(String name, String value, String allowed) {
        return new HistoryException("query parameter '" + name + "': value '" + shown(value) + "' is not valid; allowed: "
                + allowed);
    }

    /** A value as an error message shows it: at most 40 characters, control characters replaced. */
    static String shown(String value) {
        String v = value.length() > 40 ? value.substring(0, 40) + "…" : value;
        return v.replaceAll("\\p{Cntrl}", "?");
    }
}
