package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code nest fn release NAME --to 3 [--steps 10,25,50,100] [--interval 1m] [--max-error-rate 1%] [--max-p99 500ms]
 * [--min-requests 100]} starts a canary release; {@code --pause}, {@code --resume}, {@code --abort} act on the running
 * one; without any of these it shows the current (or last) release: state, step, each check's figures, the reason and
 * its history (every step, pause, resume and the end).
 */
@Command(name = "release", mixinStandardHelpOptions = true,
        description = "Start a canary release (--to N), pause, resume or abort it, or show it.")
final class ReleaseCommand extends FnCommand.OfFunction {
    @ArgGroup(exclusive = true)
    Action action;

    static final class Action {
        @Option(names = "--to", description = "the version to release (deploy it with --no-promote first)")
        Integer to;
        @Option(names = "--pause", description = "pause the running release (its split stays)")
        boolean pause;
        @Option(names = "--resume", description = "resume a paused release")
        boolean resume;
        @Option(names = "--abort", description = "end the release: all traffic back to the stable version")
        boolean abort;
    }

    @Option(names = "--steps", split = ",", description = "canary percent per step (default: 10,25,50,100)")
    List<Integer> steps;
    @Option(names = "--interval", description = "each step lasts at least this long (default: 1m)")
    String interval;
    @Option(names = "--max-error-rate", description = "most the canary's error rate may exceed the stable one's (default: 1%%)")
    String maxErrorRate;
    @Option(names = "--max-p99", description = "the canary's p99 passes below this (default: 500ms)")
    String maxP99;
    @Option(names = "--max-p99-ratio", description = "... or at most this multiple of the stable p99 (default: 1.25)")
    Double maxP99Ratio;
    @Option(names = "--min-requests", description = "canary requests a step needs before it is judged (default: 100)")
    Integer minRequests;
    @picocli.CommandLine.Mixin
    Output output;

    @Override
    int execute() {
        String base = "/api/v1/functions/" + URLEncoder.encode(name, StandardCharsets.UTF_8) + "/releases";
        String q = "?" + server.ns();
        JsonNode r;
        if (action == null) {
            r = server.client().get(base + "/current" + q);
        } else if (action.to != null) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("to", action.to);
            put(body, "steps", steps);
            put(body, "interval", interval);
            put(body, "max-error-rate", maxErrorRate);
            put(body, "max-p99", maxP99);
            put(body, "max-p99-ratio", maxP99Ratio);
            put(body, "min-requests", minRequests);
            r = server.client().post(base + q, body);
        } else {
            String verb = action.pause ? "pause" : action.resume ? "resume" : "abort";
            r = server.client().post(base + "/current/" + verb + q, Map.of());
        }
        if (!output.printed(out(), r)) {
            print(r);
        }
        return 0;
    }

    private static void put(Map<String, Object> body, String key, Object value) {
        if (value != null) {
            body.put(key, value);
        }
    }

    private void print(JsonNode r) {
        out().printf("%s: v%d -> v%d, %s, step %d of %d (%d%%)%n", r.path("function").asText(), r.path("from").asInt(),
                r.path("to").asInt(), r.path("state").asText(), r.path("step").asInt(), r.path("steps").size(),
                r.path("percent").asInt());
        out().println("live: " + AliasCommand.weights(r.path("live").path("versions")));
        out().println("reason: " + r.path("reason").asText());
        Table t = new Table(out(), " ", -11, -6, 12, 12, 12).row("CHECK", "PASSED", "CANARY", "STABLE", "LIMIT");
        for (JsonNode c : r.path("checks")) {
            String name = c.path("name").asText();
            t.row(name, c.path("passed").asBoolean() ? "yes" : "no", figure(name, c.path("canary").asDouble()),
                    figure(name, c.path("stable").asDouble()), figure(name, c.path("limit").asDouble()));
        }
        if (!r.path("history").isEmpty()) {
            out().println();
            Table h = new Table(out(), " ", -24, -11, 4, 7, 0).row("AT", "EVENT", "STEP", "PERCENT", "REASON");
            for (JsonNode e : r.path("history")) {
                h.row(e.path("at").asText(), e.path("event").asText(), e.path("step").asInt(), e.path("percent").asInt() + "%",
                        e.path("reason").asText());
            }
        }
    }

    private static String figure(String check, double v) {
        return switch (check) {
            case "error-rate" -> String.format(Locale.ROOT, "%.2f%%", v * 100);
            case "p99" -> String.format(Locale.ROOT, "%.0f ms", v);
            default -> String.format(Locale.ROOT, "%.0f", v);
        };
    }
}
