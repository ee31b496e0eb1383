package dev.nest.function;

import static dev.nest.function.Fields.shown;
import static dev.nest.function.Fields.unknownKeys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Durations;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Reads and writes the spec's {@code degrade:} block ({@link DegradeSpec}); problems name the full dotted key. */
final class DegradeParser {
    static final int MAX_BODY = 64 * 1024;
    static final int MAX_HEADERS = 32;
    private static final Set<String> KEYS = Set.of("error-rate", "latency", "percentile", "window", "min-requests",
            "open-for", "half-open-probes", "fallback");
    private static final Set<String> FALLBACK_KEYS = Set.of("status", "headers", "body", "function");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
    /** Headers the gateway frames or owns itself; a fallback may not set them. */
    private static final Set<String> RESERVED = Set.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "upgrade", "te", "trailer", "proxy-connection", "retry-after");
    private static final Pattern PERCENT = Pattern.compile("\\s*(\\d{1,3})\\s*%?\\s*");

    private DegradeParser() {
    }

    static Optional<DegradeSpec> parse(JsonNode d, String self, List<SpecProblem> problems) {
        if (Fields.missing(d)) {
            return Optional.empty();
        }
        if (!d.isObject()) {
            problems.add(new SpecProblem("degrade", shown(d), "a mapping with error-rate and/or latency, percentile, "
                    + "window, min-requests, open-for, half-open-probes, fallback"));
            return Optional.empty();
        }
        int before = problems.size();
        unknownKeys(d, "degrade.", KEYS, problems);
        OptionalInt errorRate = errorRate(d.get("error-rate"), problems);
        Optional<Duration> latency = Fields.missing(d.get("latency")) ? Optional.empty() : Optional.of(Fields.duration(
                d.get("latency"), "degrade.latency", Duration.ofSeconds(1), Duration.ofMillis(1), SpecParser.MAX_TIMEOUT,
                problems));
        double percentile = Fields.decimal(d.get("percentile"), "degrade.percentile", DegradeSpec.DEFAULT_PERCENTILE,
                50, 99.9, "the latency percentile compared with degrade.latency", problems);
        Duration window = Fields.duration(d.get("window"), "degrade.window", DegradeSpec.DEFAULT_WINDOW,
                Duration.ofSeconds(1), Duration.ofMinutes(10), problems);
        if (window.toNanosPart() != 0) {
            problems.add(new SpecProblem("degrade.window", shown(d.get("window")), "whole seconds, from 1s to 10m"));
        }
        int minRequests = Fields.integer(d.get("min-requests"), "degrade.min-requests", DegradeSpec.DEFAULT_MIN_REQUESTS,
                1, 100_000, "an integer number of calls the window must hold before the breaker may open", problems);
        Duration openFor = Fields.duration(d.get("open-for"), "degrade.open-for", DegradeSpec.DEFAULT_OPEN_FOR,
                Duration.ofSeconds(1), Duration.ofHours(1), problems);
        int probes = Fields.integer(d.get("half-open-probes"), "degrade.half-open-probes", DegradeSpec.DEFAULT_PROBES,
                1, 100, "an integer number of calls let through to test the function", problems);
        Optional<DegradeSpec.Fallback> fallback = fallback(d.get("fallback"), self, problems);
        if (errorRate.isEmpty() && latency.isEmpty() && problems.size() == before) {
            problems.add(new SpecProblem("degrade", null, "needs error-rate (percent of failed calls, e.g. 50%) or "
                    + "latency (e.g. 800ms, compared with the percentile), or both"));
        }
        if (problems.size() != before) {
            return Optional.empty();
        }
        return Optional.of(new DegradeSpec(errorRate, latency, percentile, window, minRequests, openFor, probes,
                fallback));
    }

    private static OptionalInt errorRate(JsonNode v, List<SpecProblem> problems) {
        if (Fields.missing(v)) {
            return OptionalInt.empty();
        }
        String allowed = "a percent of failed calls from 1 to 100, like 50% or 50";
        String text = v.isIntegralNumber() ? Long.toString(v.asLong()) : v.isTextual() ? v.asText() : "";
        var m = PERCENT.matcher(text);
        if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(1)) > 100) {
            problems.add(new SpecProblem("degrade.error-rate", shown(v), allowed));
            return OptionalInt.empty();
        }
        return OptionalInt.of(Integer.parseInt(m.group(1)));
    }

    private static Optional<DegradeSpec.Fallback> fallback(JsonNode f, String self, List<SpecProblem> problems) {
        if (Fields.missing(f)) {
            return Optional.empty();
        }
        String allowed = "a mapping: {function: <name>} for another function of the namespace, or {status, headers, "
                + "body} for a fixed answer";
        if (!f.isObject()) {
            problems.add(new SpecProblem("degrade.fallback", shown(f), allowed));
            return Optional.empty();
        }
        unknownKeys(f, "degrade.fallback.", FALLBACK_KEYS, problems);
        JsonNode fn = f.get("function");
        if (!Fields.missing(fn)) {
            if (f.has("status") || f.has("headers") || f.has("body")) {
                problems.add(new SpecProblem("degrade.fallback", null, "either function or status/headers/body, "
                        + "not both"));
                return Optional.empty();
            }
            String name = fn.isTextual() ? fn.asText().trim() : "";
            if (!FunctionId.LABEL.matcher(name).matches()) {
                problems.add(new SpecProblem("degrade.fallback.function", shown(fn), "the name of a function in the "
                        + "same namespace (" + FunctionId.LABEL_RULE + ")"));
                return Optional.empty();
            }
            if (name.equals(self)) {
                problems.add(new SpecProblem("degrade.fallback.function", name, "another function than this one"));
                return Optional.empty();
            }
            return Optional.of(new DegradeSpec.FunctionFallback(name));
        }
        int status = Fields.integer(f.get("status"), "degrade.fallback.status", 200, 200, 599,
                "an HTTP status", problems);
        Map<String, String> headers = headers(f.get("headers"), problems);
        String body = "";
        JsonNode b = f.get("body");
        if (!Fields.missing(b)) {
            if (!b.isValueNode()) {
                problems.add(new SpecProblem("degrade.fallback.body", shown(b), "a string (the response body)"));
            } else if (b.asText().getBytes(StandardCharsets.UTF_8).length > MAX_BODY) {
                problems.add(new SpecProblem("degrade.fallback.body", null, "at most " + MAX_BODY + " bytes"));
            } else {
                body = b.asText();
            }
        }
        return Optional.of(new DegradeSpec.FixedResponse(status, headers, body));
    }

    private static Map<String, String> headers(JsonNode h, List<SpecProblem> problems) {
        if (Fields.missing(h)) {
            return Map.of();
        }
        if (!h.isObject() || h.size() > MAX_HEADERS) {
            problems.add(new SpecProblem("degrade.fallback.headers", shown(h), "a mapping of at most " + MAX_HEADERS
                    + " header names to values"));
            return Map.of();
        }
        Map<String, String> out = new TreeMap<>();
        h.fields().forEachRemaining(e -> {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            String key = "degrade.fallback.headers." + e.getKey();
            JsonNode v = e.getValue();
            if (!TOKEN.matcher(name).matches() || RESERVED.contains(name) || name.startsWith("x-nest-")) {
                problems.add(new SpecProblem(key, null, "a header name (letters, digits and -), not one the gateway "
                        + "sets itself (" + String.join(", ", new java.util.TreeSet<>(RESERVED)) + ", x-nest-*)"));
            } else if (!v.isValueNode() || v.isNull() || v.asText().chars().anyMatch(c -> c < 32 && c != '\t' || c == 127)
                    || v.asText().length() > 4096) {
                problems.add(new SpecProblem(key, shown(v), "a header value: text without control characters, at "
                        + "most 4096 characters"));
            } else {
                out.put(name, v.asText());
            }
        });
        return out;
    }

    /** The block to write, or empty without a breaker (so specs without one stay as they were). */
    static Optional<ObjectNode> write(Optional<DegradeSpec> degrade) {
        if (degrade.isEmpty()) {
            return Optional.empty();
        }
        DegradeSpec d = degrade.get();
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        d.errorRate().ifPresent(r -> n.put("error-rate", r + "%"));
        d.latency().ifPresent(l -> n.put("latency", Durations.format(l)));
        n.put("percentile", d.percentile());
        n.put("window", Durations.format(d.window()));
        n.put("min-requests", d.minRequests());
        n.put("open-for", Durations.format(d.openFor()));
        n.put("half-open-probes", d.probes());
        d.fallback().ifPresent(f -> {
            ObjectNode fb = n.putObject("fallback");
            switch (f) {
                case DegradeSpec.FunctionFallback fn -> fb.put("function", fn.function());
                case DegradeSpec.FixedResponse r -> {
                    fb.put("status", r.status());
                    ObjectNode hs = fb.putObject("headers");
                    new TreeMap<>(r.headers()).forEach(hs::put);
                    fb.put("body", r.body());
                }
            }
        });
        return Optional.of(n);
    }
}
