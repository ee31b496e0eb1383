package dev.nest.store;

import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;

/**
 * Which invocation records to read: filters, a time range and a position, newest first.
 *
 * @param function {@code namespace/name}, empty for every function
 * @param version  only this version
 * @param status   {@code ok} (below 400), {@code error} (400 and above), a class like {@code 5xx}, or one status
 *                 like {@code 429}; checked by {@link #checkStatus}
 * @param cold     only cold (true) or only warm (false) invocations
 * @param since    started at or after
 * @param until    started before
 * @param before   only records that sort after this position (the last record of the previous page)
 * @param limit    at most this many
 * @param trace    only records of this trace id
 */
public record InvocationQuery(Optional<String> function, Optional<Integer> version, Optional<String> status,
                              Optional<Boolean> cold, Optional<Instant> since, Optional<Instant> until,
                              Optional<Position> before, int limit, Optional<String> trace) {
    /** Newest first: by start time, then id, both descending. */
    public static final Comparator<InvocationRecord> NEWEST_FIRST = Comparator
            .comparing(InvocationRecord::startedAt).thenComparing(InvocationRecord::id).reversed();

    /**
     * A place in the newest-first order.
     *
     * @param startedAt the start time of the last record seen
     * @param id        its id
     */
    public record Position(Instant startedAt, String id) {
        /** Whether {@code r} comes after this position in the newest-first order. */
        public boolean isAfter(InvocationRecord r) {
            int c = r.startedAt().compareTo(startedAt);
            return c < 0 || c == 0 && r.id().compareTo(id) < 0;
        }

        public static Position of(InvocationRecord r) {
            return new Position(r.startedAt(), r.id());
        }
    }

    public InvocationQuery {
        status.ifPresent(InvocationQuery::checkStatus);
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + " is not positive");
        }
    }

    /** Without a trace filter. */
    public InvocationQuery(Optional<String> function, Optional<Integer> version, Optional<String> status,
                           Optional<Boolean> cold, Optional<Instant> since, Optional<Instant> until,
                           Optional<Position> before, int limit) {
        this(function, version, status, cold, since, until, before, limit, Optional.empty());
    }

    /** Every record, the newest {@code limit}. */
    public static InvocationQuery latest(Optional<String> function, int limit) {
        return new InvocationQuery(function, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), limit);
    }

    /** Whether {@code r} passes every filter, the time range and the position. */
    public boolean matches(InvocationRecord r) {
        return function.map(r.function()::equals).orElse(true)
                && version.map(v -> v == r.version()).orElse(true)
                && status.map(s -> statusMatches(s, r.status())).orElse(true)
                && cold.map(c -> c == r.cold()).orElse(true)
                && since.map(s -> !r.startedAt().isBefore(s)).orElse(true)
                && until.map(u -> r.startedAt().isBefore(u)).orElse(true)
                && before.map(p -> p.isAfter(r)).orElse(true)
                && trace.map(r.traceId()::equals).orElse(true);
    }

    /**
     * Checks a status filter.
     *
     * @throws IllegalArgumentException naming what is allowed
     */
    public static void checkStatus(String s) {
        if (!s.equals("ok") && !s.equals("error") && !s.matches("[1-5](xx|[0-9]{2})")) {
            throw new IllegalArgumentException("status '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s)
                    + "' is not valid; allowed: ok, error, a class 1xx to 5xx, or a status 100 to 599");
        }
    }

    static boolean statusMatches(String spec, int status) {
        return switch (spec) {
            case "ok" -> status < 400;
            case "error" -> status >= 400;
            default -> spec.endsWith("xx") ? status / 100 == spec.charAt(0) - '0' : status == Integer.parseInt(spec);
        };
    }
}
