package dev.nest.trigger.cron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Durations;
import dev.nest.function.CronExpression;
import dev.nest.function.SpecProblem;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A cron trigger's settings.
 *
 * @param schedule         when it fires ({@code schedule}: five fields, or six with seconds first)
 * @param timezone         the zone the schedule is read in ({@code timezone}, default UTC)
 * @param payload          the event's data ({@code payload}, any YAML/JSON value; empty: none)
 * @param concurrency      {@code allow} (default), {@code forbid} or {@code replace}
 * @param misfire          what a tick missed (no leader, node down) becomes: {@code fire-once} (default) or {@code skip}
 * @param startingDeadline with {@code fire-once}: a missed tick older than this is skipped ({@code starting-deadline};
 *                         empty: no limit)
 */
record CronSettings(CronExpression schedule, ZoneId timezone, Optional<JsonNode> payload, Concurrency concurrency,
                    Misfire misfire, Optional<Duration> startingDeadline) {
    static final Set<String> KEYS = Set.of("schedule", "timezone", "payload", "concurrency", "misfire",
            "starting-deadline");
    static final int MAX_PAYLOAD = 64 * 1024;
    static final Duration MAX_DEADLINE = Duration.ofDays(7);
    /** The longest schedule accepted (five or six fields with lists fit easily). */
    static final int MAX_SCHEDULE = 256;

    /** Whether schedules fire at all, by their text; bounded (cleared when full). */
    private static final java.util.Map<String, Boolean> FIRES = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int FIRES_KEPT = 1024;
    /** Where the "does it ever fire" search starts (any fixed time works: a schedule has no year field). */
    private static final java.time.Instant SEARCH_FROM = java.time.Instant.parse("2000-01-01T00:00:00Z");

    /**
     * Whether {@code schedule} ever fires. A schedule of dates that do not exist (30 February) makes cron-utils search
     * its whole horizon, which takes seconds: the answer is computed once per schedule text and remembered, so such a
     * schedule costs that once (at deploy, where it is refused) and never again on a trigger round or in the API.
     */
    static boolean fires(CronExpression schedule) {
        String text = schedule.toString();
        Boolean known = FIRES.get(text);
        if (known != null) {
            return known;
        }
        boolean fires = schedule.next(SEARCH_FROM, ZoneId.of("UTC")).isPresent();
        if (FIRES.size() >= FIRES_KEPT) {
            FIRES.clear();
        }
        FIRES.put(text, fires);
        return fires;
    }

    /** A value as a message shows it: at most 100 characters, then how long it was. */
    static String shown(String v) {
        return v.length() <= 100 ? v : v.substring(0, 100) + "... (" + v.length() + " characters)";
    }

    /** What a tick does when the function's previous run from this trigger has not finished. */
    enum Concurrency {
        ALLOW, FORBID, REPLACE;

        static Optional<Concurrency> of(String s) {
            for (Concurrency c : values()) {
                if (c.name().equalsIgnoreCase(s)) {
                    return Optional.of(c);
                }
            }
            return Optional.empty();
        }
    }

    /** What ticks missed while no leader fired them become. */
    enum Misfire {
        FIRE_ONCE, SKIP;

        String label() {
            return name().toLowerCase().replace('_', '-');
        }

        static Optional<Misfire> of(String s) {
            for (Misfire m : values()) {
                if (m.label().equals(s)) {
                    return Optional.of(m);
                }
            }
            return Optional.empty();
        }
    }

    /** Reads and checks; {@code problems} get every mistake, each naming {@code key + "." + setting}. */
    static Optional<CronSettings> parse(String key, ObjectNode s, List<SpecProblem> problems) {
        int before = problems.size();
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                problems.add(new SpecProblem(key + "." + k, null, "unknown key; a cron trigger takes "
                        + String.join(", ", new TreeSet<>(KEYS)) + " (and name, type)"));
            }
        }
        CronExpression schedule = null;
        JsonNode v = s.get("schedule");
        if (v == null || v.isNull()) {
            problems.add(new SpecProblem(key + ".schedule", null, "required: " + CronExpression.ALLOWED));
        } else if (!v.isTextual()) {
            problems.add(new SpecProblem(key + ".schedule", v.toString(), CronExpression.ALLOWED));
        } else if (v.asText().length() > MAX_SCHEDULE) {
            problems.add(new SpecProblem(key + ".schedule", shown(v.asText()), "at most " + MAX_SCHEDULE
                    + " characters: " + CronExpression.ALLOWED));
        } else {
            try {
                schedule = CronExpression.parse(v.asText());
                if (!fires(schedule)) {
                    problems.add(new SpecProblem(key + ".schedule", v.asText(), "a schedule that fires: this one "
                            + "names only dates that do not exist (such as 30 February or 31 April), so it never "
                            + "would; " + CronExpression.ALLOWED));
                    schedule = null;
                }
            } catch (IllegalArgumentException e) {
                problems.add(new SpecProblem(key + ".schedule", v.asText(), e.getMessage()));
            }
        }
        ZoneId zone = ZoneId.of("UTC");
        JsonNode z = s.get("timezone");
        if (z != null && !z.isNull()) {
            try {
                if (!z.isTextual()) {
                    throw new DateTimeException("not text");
                }
                zone = ZoneId.of(z.asText().trim());
            } catch (DateTimeException e) {
                problems.add(new SpecProblem(key + ".timezone", shown(z.asText()),
                        "a time-zone id such as UTC, Europe/Berlin or Asia/Shanghai"));
            }
        }
        Optional<JsonNode> payload = Optional.ofNullable(s.get("payload")).filter(p -> !p.isNull());
        if (payload.isPresent() && payload.get().toString().length() > MAX_PAYLOAD) {
            problems.add(new SpecProblem(key + ".payload", payload.get().toString().length() + " bytes",
                    "at most " + MAX_PAYLOAD + " bytes of JSON"));
        }
        Concurrency concurrency = Concurrency.ALLOW;
        JsonNode c = s.get("concurrency");
        if (c != null && !c.isNull()) {
            Optional<Concurrency> read = c.isTextual() ? Concurrency.of(c.asText()) : Optional.empty();
            if (read.isEmpty()) {
                problems.add(new SpecProblem(key + ".concurrency", shown(c.asText()), "allow (every tick fires), forbid "
                        + "(a tick is skipped while the previous run waits or runs) or replace (the previous run is "
                        + "cancelled, stopped if it runs, and the tick fires)"));
            } else {
                concurrency = read.get();
            }
        }
        Misfire misfire = Misfire.FIRE_ONCE;
        JsonNode m = s.get("misfire");
        if (m != null && !m.isNull()) {
            Optional<Misfire> read = m.isTextual() ? Misfire.of(m.asText()) : Optional.empty();
            if (read.isEmpty()) {
                problems.add(new SpecProblem(key + ".misfire", shown(m.asText()), "fire-once (ticks missed while no leader "
                        + "fired them fire once when one takes over) or skip (they are dropped)"));
            } else {
                misfire = read.get();
            }
        }
        Optional<Duration> deadline = Optional.empty();
        JsonNode d = s.get("starting-deadline");
        if (d != null && !d.isNull()) {
            try {
                Duration read = Durations.parse(d.asText());
                if (read.compareTo(Duration.ofSeconds(1)) < 0 || read.compareTo(MAX_DEADLINE) > 0) {
                    throw new IllegalArgumentException("out of range");
                }
                deadline = Optional.of(read);
            } catch (IllegalArgumentException e) {
                problems.add(new SpecProblem(key + ".starting-deadline", shown(d.asText()),
                        "a duration from 1s to 7d, e.g. 30s or 5m (a missed tick older than this is not fired)"));
            }
        }
        if (problems.size() > before) {
            return Optional.empty();
        }
        return Optional.of(new CronSettings(schedule, zone, payload, concurrency, misfire, deadline));
    }
}
