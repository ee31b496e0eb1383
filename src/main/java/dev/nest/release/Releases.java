package dev.nest.release;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Durations;
import dev.nest.common.NestException;
import dev.nest.function.Alias;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import dev.nest.function.Release;
import dev.nest.store.AuditEntry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The API's release operations: start a canary release, pause, resume, abort, and the view of the current one. Each
 * is one optimistic write of the function's head (the release and the alias {@code live}'s split together) and an
 * audit entry; the region's leader carries a running release on ({@link ReleaseController}).
 *
 * <p>A start body: {@code {"to": 3, "steps": [10, 25, 50, 100], "interval": "1m", "max-error-rate": "1%",
 * "max-p99": "500ms", "max-p99-ratio": 1.25, "min-requests": 100}}, every key but {@code to} optional (these are the
 * defaults). Refusals name the key and what is allowed (400); 404 for an unknown function or version; 409 for a
 * release already under way, a live alias that already splits traffic, a canary that is live, a file-defined
 * function, or a pause/resume/abort that does not fit the release's state. Thread-safe (no state of its own).
 */
public final class Releases {
    /** The origin the API's writes carry (a function the API created). */
    public static final String API_ORIGIN = "api";
    public static final List<Integer> DEFAULT_STEPS = List.of(10, 25, 50, 100);
    public static final Release.Settings DEFAULTS = new Release.Settings(Duration.ofMinutes(1), 0.01,
            Duration.ofMillis(500), 1.25, 100);
    private static final Set<String> KEYS = Set.of("to", "steps", "interval", "max-error-rate", "max-p99",
            "max-p99-ratio", "min-requests");
    private static final Set<String> PLAN_KEYS = Set.of("steps", "interval", "max-error-rate", "max-p99",
            "max-p99-ratio", "min-requests");

    private final FunctionRegistry registry;
    private final Consumer<AuditEntry> audit;
    private final Clock clock;

    public Releases(FunctionRegistry registry, Consumer<AuditEntry> audit, Clock clock) {
        this.registry = registry;
        this.audit = audit;
        this.clock = clock;
    }

    /** What a start request asks for. */
    record Request(int to, List<Integer> steps, Release.Settings settings) {
    }

    /**
     * How a release goes, without its target: the {@code release:} block of a function file.
     *
     * @param steps    the canary's percents, increasing, each 1 to 100
     * @param settings how each step is judged
     */
    public record Plan(List<Integer> steps, Release.Settings settings) {
        public Plan {
            steps = List.copyOf(steps);
        }
    }

    /**
     * Reads the {@code release:} block of a function file: the keys of a start request but {@code to} (the file's
     * new version is the target), each optional.
     *
     * @param key the block's key in the file ({@code release}), named in refusals as {@code release.steps} ...
     * @throws NestException 400 naming the key, the value and what is allowed
     */
    public static Plan plan(JsonNode block, String key) {
        if (block == null || !block.isObject()) {
            throw NestException.badRequest("key '" + key + "': value '" + (block == null ? "" : Aliases.shorten(block.toString()))
                    + "' is not valid; allowed: a map of " + new java.util.TreeSet<>(PLAN_KEYS)
                    + ", e.g. {steps: [10, 25, 50, 100], interval: 1m, max-error-rate: 1%, max-p99: 500ms, min-requests: 100}");
        }
        Request r = parse(block, key + ".", PLAN_KEYS, Optional.of(0));
        return new Plan(r.steps(), r.settings());
    }

    /**
     * Starts a release of a file-defined function to its version {@code to} (the file's edit added it unpromoted).
     * A release still under way is rolled back first (its canary is superseded by the newer one); the new release
     * goes from the stable version; when {@code to} is that release's stable version (the file went back to it), the
     * release is rolled back and none starts. Skips (returns empty) when {@code to} is already live or a release to it
     * was already started, so that reading the same file again (a restart) does not start it twice.
     *
     * @param origin {@code file:<path>}, the function's origin
     * @throws NestException 404 for an unknown function or version, 409 when the function is not defined by
     *                       {@code origin} or has no live version
     */
    public Optional<FunctionRecord> startFromFile(FunctionId id, int to, Plan plan, String origin) {
        registry.get(id).filter(x -> !x.versions().isEmpty()).orElseThrow(() -> NestException.notFound("function",
                "no function " + id + " is deployed"));
        Request req = new Request(to, plan.steps(), plan.settings());
        Release[] superseded = new Release[1];
        Release[] made = new Release[1];
        FunctionRecord r = registry.update(id, origin, current -> {
            superseded[0] = null;
            made[0] = null;
            if (!current.origin().equals(origin)) {
                throw NestException.conflict("function " + id + " is not defined by " + origin);
            }
            Instant now = clock.instant();
            if (current.releasing() && current.release().orElseThrow().from() == to) { // the file is back at the stable version
                superseded[0] = current.release().orElseThrow().with(Release.State.ROLLED_BACK, "rolled back: " + origin
                        + " returns to version " + to, now);
                return current.withRelease(superseded[0], now);
            }
            if (current.live() == to || current.release().filter(x -> x.to() == to).isPresent()) {
                return current;
            }
            FunctionRecord base = current;
            if (current.releasing()) {
                Release on = current.release().orElseThrow();
                superseded[0] = on.with(Release.State.ROLLED_BACK, "superseded by version " + to + " from " + origin, now);
                base = current.withRelease(superseded[0], now);
            }
            made[0] = started(base, req, now, origin);
            return base.withRelease(made[0], now);
        });
        if (superseded[0] != null) {
            audit.accept(new AuditEntry(clock.instant(), id.toString(), "release-abort", superseded[0].to(), origin,
                    superseded[0].reason()));
        }
        if (made[0] == null) {
            return superseded[0] == null ? Optional.empty() : Optional.of(r);
        }
        audit.accept(new AuditEntry(clock.instant(), id.toString(), "release-start", to, origin,
                "from v" + made[0].from() + ", steps " + req.steps()));
        return Optional.of(r);
    }

    /** Starts a release of {@code id} from its live version; returns the stored record. */
    public FunctionRecord start(FunctionId id, JsonNode body, String source) {
        Request req = parse(body);
        Ownership.require(registry, id, "start releases");
        Release[] made = new Release[1];
        FunctionRecord r = registry.update(id, API_ORIGIN, current -> {
            Ownership.check(current, "start releases");
            Instant now = clock.instant();
            made[0] = started(current, req, now, source);
            return current.withRelease(made[0], now);
        });
        audit.accept(new AuditEntry(clock.instant(), id.toString(), "release-start", req.to(), source,
                "from v" + made[0].from() + ", steps " + req.steps()));
        return r;
    }

    /** The release {@code req} starts on {@code r}, or the refusal. */
    static Release started(FunctionRecord r, Request req, Instant now, String source) {
        if (r.releasing()) {
            Release on = r.release().orElseThrow();
            throw NestException.conflict("a release of function " + r.id() + " to version " + on.to() + " is "
                    + on.state().label() + "; abort it first");
        }
        if (r.version(req.to()).isEmpty()) {
            throw NestException.notFound("version", "function " + r.id() + " has no version " + req.to() + "; its versions are "
                    + r.versions().keySet() + " (deploy one with \"promote\": false to release it)");
        }
        Alias live = r.alias(Alias.LIVE).orElseThrow(() -> NestException.conflict("function " + r.id()
                + " has no live version to release from"));
        if (!live.isSingle()) {
            throw NestException.conflict("the alias live of function " + r.id() + " splits traffic " + live.weights()
                    + "; point it at one version first");
        }
        if (r.live() == req.to()) {
            throw NestException.conflict("version " + req.to() + " of function " + r.id() + " is already live");
        }
        return Release.start(r.live(), req.to(), req.steps(), req.settings(), now,
                "started by " + source + ": step 1 of " + req.steps().size() + " (" + req.steps().getFirst() + "%)");
    }

    /** Pauses the running release: its split stays as it is and nothing is judged until it resumes. */
    public FunctionRecord pause(FunctionId id, String source) {
        return change(id, source, "release-pause", Release.State.RUNNING, (rel, now) ->
                rel.with(Release.State.PAUSED, "paused by " + source + " at step " + (rel.step() + 1), now));
    }

    /** Resumes a paused release; its step's window opens again. */
    public FunctionRecord resume(FunctionId id, String source) {
        return change(id, source, "release-resume", Release.State.PAUSED, (rel, now) ->
                rel.windowFrom(now).with(Release.State.RUNNING, "resumed by " + source + " at step " + (rel.step() + 1), now));
    }

    /** Ends a running or paused release: all traffic back to the stable version at once. */
    public FunctionRecord abort(FunctionId id, String source) {
        return change(id, source, "release-abort", null, (rel, now) ->
                rel.with(Release.State.ROLLED_BACK, "aborted by " + source + " at step " + (rel.step() + 1), now));
    }

    private FunctionRecord change(FunctionId id, String source, String action, Release.State from,
                                  java.util.function.BiFunction<Release, Instant, Release> f) {
        // pause, resume and abort are operations, not definitions: allowed on file-defined functions too
        registry.get(id).filter(x -> !x.versions().isEmpty()).orElseThrow(() -> NestException.notFound("function",
                "no function " + id + " is deployed"));
        Release[] made = new Release[1];
        FunctionRecord r = registry.update(id, API_ORIGIN, current -> {
            Release rel = current.release().filter(x -> x.state().active()).orElseThrow(() -> NestException.conflict(
                    "function " + current.id() + " has no release under way" + current.release().map(x -> " (the last one "
                            + x.state().label() + ")").orElse("")));
            if (from != null && rel.state() != from) {
                throw NestException.conflict("the release of function " + current.id() + " is " + rel.state().label()
                        + ", not " + from.label());
            }
            made[0] = f.apply(rel, clock.instant());
            return current.withRelease(made[0], made[0].updatedAt());
        });
        audit.accept(new AuditEntry(clock.instant(), id.toString(), action, made[0].to(), source, made[0].reason()));
        return r;
    }

    /** The current (or last) release of {@code id}; 404 when there has been none. */
    public Map<String, Object> current(FunctionId id) {
        FunctionRecord r = registry.get(id).orElseThrow(() -> NestException.notFound("function", "no function " + id));
        return view(r).orElseThrow(() -> NestException.notFound("release", "function " + id + " has had no release;"
                + " start one with POST /api/v1/functions/" + id.name() + "/releases"));
    }

    /**
     * A short view of {@code r}'s current (or last) release for the function's own view: state, versions, step,
     * percent, reason and when it last changed; the figures and history are at {@code .../releases/current}.
     */
    public static Optional<Map<String, Object>> summary(FunctionRecord r) {
        return view(r).map(full -> {
            Map<String, Object> out = new LinkedHashMap<>();
            for (String k : List.of("state", "from", "to", "step", "steps", "percent", "reason", "updatedAt")) {
                out.put(k, full.get(k));
            }
            out.put("href", "/api/v1/functions/" + r.id().name() + "/releases/current"
                    + (r.id().namespace().equals(FunctionId.DEFAULT_NAMESPACE) ? "" : "?namespace=" + r.id().namespace()));
            return out;
        });
    }

    /** The JSON view of {@code r}'s release, with the live alias's split. */
    public static Optional<Map<String, Object>> view(FunctionRecord r) {
        return r.release().map(rel -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("function", r.id().toString());
            out.put("state", rel.state().label());
            out.put("from", rel.from());
            out.put("to", rel.to());
            out.put("steps", rel.steps());
            out.put("step", rel.step() + 1);
            out.put("percent", rel.state() == Release.State.ROLLED_BACK ? 0 : rel.state() == Release.State.PROMOTED ? 100
                    : rel.percent());
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("interval", Durations.format(rel.settings().interval()));
            settings.put("max-error-rate", String.format(Locale.ROOT, "%s%%", trim(rel.settings().maxErrorRate() * 100)));
            settings.put("max-p99", Durations.format(rel.settings().maxP99()));
            settings.put("max-p99-ratio", rel.settings().maxP99Ratio());
            settings.put("min-requests", rel.settings().minRequests());
            out.put("settings", settings);
            out.put("startedAt", rel.startedAt().toString());
            out.put("stepStartedAt", rel.stepStartedAt().toString());
            out.put("updatedAt", rel.updatedAt().toString());
            out.put("reason", rel.reason());
            List<Map<String, Object>> checks = new ArrayList<>();
            for (Release.Check c : rel.checks()) {
                Map<String, Object> cm = new LinkedHashMap<>();
                cm.put("name", c.name());
                cm.put("passed", c.passed());
                cm.put("canary", c.canary());
                cm.put("stable", c.stable());
                cm.put("limit", c.limit());
                checks.add(cm);
            }
            out.put("checks", checks);
            List<Map<String, Object>> history = new ArrayList<>();
            for (Release.Event e : rel.history()) {
                Map<String, Object> em = new LinkedHashMap<>();
                em.put("at", e.at().toString());
                em.put("event", e.event());
                em.put("step", e.step() + 1);
                em.put("percent", e.percent());
                em.put("reason", e.reason());
                history.add(em);
            }
            out.put("history", history);
            r.alias(Alias.LIVE).ifPresent(a -> out.put("live", Aliases.view(Alias.LIVE, a)));
            return out;
        });
    }

    /**
     * Reads a start request.
     *
     * @throws NestException 400 naming the key, the value and what is allowed
     */
    static Request parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw NestException.badRequest("the request body must be a JSON object such as {\"to\": 3}");
        }
        return parse(body, "", KEYS, Optional.empty());
    }

    /** {@code body}'s keys, named {@code prefix + key} in refusals; {@code to} is {@code fixedTo} when given. */
    private static Request parse(JsonNode body, String prefix, Set<String> keys, Optional<Integer> fixedTo) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) {
                throw NestException.badRequest("key '" + prefix + Aliases.shorten(k) + "' is not known; allowed: "
                        + new java.util.TreeSet<>(keys));
            }
        }
        JsonNode to = body.get("to");
        if (fixedTo.isEmpty() && (to == null || !to.isIntegralNumber() || to.asLong() < 1 || to.asLong() > Integer.MAX_VALUE)) {
            throw NestException.badRequest("key 'to': value '" + (to == null ? "" : Aliases.shorten(to.toString()))
                    + "' is not valid; allowed: the version to release (1, 2, ...)");
        }
        List<Integer> steps = DEFAULT_STEPS;
        if (body.has("steps")) {
            JsonNode s = body.get("steps");
            List<Integer> given = new ArrayList<>();
            boolean ok = s.isArray() && !s.isEmpty() && s.size() <= Release.MAX_STEPS;
            for (int i = 0; ok && i < s.size(); i++) {
                JsonNode n = s.get(i);
                ok = n.isIntegralNumber() && n.asLong() >= 1 && n.asLong() <= 100
                        && (given.isEmpty() || n.asInt() > given.getLast());
                given.add(n.asInt());
            }
            if (!ok) {
                throw NestException.badRequest("key '" + prefix + "steps': value '" + Aliases.shorten(s.toString()) + "' is not valid;"
                        + " allowed: 1 to " + Release.MAX_STEPS + " percents, each 1 to 100, increasing (e.g. [10, 25, 50, 100])");
            }
            steps = given;
        }
        Release.Settings d = DEFAULTS;
        Duration interval = body.has("interval") ? duration(body.get("interval"), prefix + "interval", Duration.ofSeconds(1),
                Duration.ofDays(1)) : d.interval();
        double errorRate = body.has("max-error-rate") ? percent(body.get("max-error-rate"), prefix) : d.maxErrorRate();
        Duration p99 = body.has("max-p99") ? duration(body.get("max-p99"), prefix + "max-p99", Duration.ofMillis(1),
                Duration.ofMinutes(10)) : d.maxP99();
        double ratio = d.maxP99Ratio();
        if (body.has("max-p99-ratio")) {
            JsonNode n = body.get("max-p99-ratio");
            if (!n.isNumber() || !(n.asDouble() >= 1) || n.asDouble() > 100) {
                throw NestException.badRequest("key '" + prefix + "max-p99-ratio': value '" + Aliases.shorten(n.toString())
                        + "' is not valid; allowed: a number from 1 to 100 (e.g. 1.25)");
            }
            ratio = n.asDouble();
        }
        int min = d.minRequests();
        if (body.has("min-requests")) {
            JsonNode n = body.get("min-requests");
            if (!n.isIntegralNumber() || n.asLong() < 1 || n.asLong() > 1_000_000_000) {
                throw NestException.badRequest("key '" + prefix + "min-requests': value '" + Aliases.shorten(n.toString())
                        + "' is not valid; allowed: a whole number from 1 to 1000000000");
            }
            min = n.asInt();
        }
        return new Request(fixedTo.isPresent() ? fixedTo.get() : to.asInt(), steps, new Release.Settings(interval, errorRate, p99, ratio, min));
    }

    private static Duration duration(JsonNode n, String key, Duration least, Duration most) {
        Duration d;
        try {
            d = n.isTextual() ? Durations.parse(n.asText()) : null;
        } catch (RuntimeException e) {
            d = null;
        }
        if (d == null || d.compareTo(least) < 0 || d.compareTo(most) > 0) {
            throw NestException.badRequest("key '" + key + "': value '" + Aliases.shorten(n.toString()) + "' is not valid;"
                    + " allowed: " + Durations.ALLOWED + ", from " + Durations.format(least) + " to " + Durations.format(most));
        }
        return d;
    }

    /** {@code "1%"}, {@code "0.5%"} or a number of percent. */
    private static double percent(JsonNode n, String prefix) {
        String text = n.isNumber() ? n.asText() : n.isTextual() ? n.asText().trim() : "";
        if (text.endsWith("%")) {
            text = text.substring(0, text.length() - 1).trim();
        }
        double p;
        try {
            p = text.isEmpty() ? Double.NaN : Double.parseDouble(text);
        } catch (NumberFormatException e) {
            p = Double.NaN;
        }
        if (!(p >= 0 && p <= 100)) {
            throw NestException.badRequest("key '" + prefix + "max-error-rate': value '" + Aliases.shorten(n.toString()) + "' is not valid;"
                    + " allowed: a percent from 0 to 100, e.g. \"1%\" or \"0.5%\"");
        }
        return p / 100;
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
