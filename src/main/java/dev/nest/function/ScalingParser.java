package dev.nest.function;

import static dev.nest.function.Fields.decimal;
import static dev.nest.function.Fields.duration;
import static dev.nest.function.Fields.integer;
import static dev.nest.function.Fields.missing;
import static dev.nest.function.Fields.shown;
import static dev.nest.function.Fields.unknownKeys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Durations;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Reads and writes the {@code scaling:} block of a spec for {@link SpecParser}. */
final class ScalingParser {
    static final Set<String> KEYS = Set.of("min", "max", "keep-alive", "utilization", "metrics",
            "scale-down-delay", "max-scale-down-step", "scale-to-zero-after", "schedule", "keep-alive-policy");
    private static final Set<String> METRIC_KEYS = Set.of("type", "target");
    private static final Set<String> RULE_KEYS = Set.of("cron", "duration", "min", "timezone");
    private static final int LIMIT = SpecParser.MAX_INSTANCES;

    private ScalingParser() {
    }

    /**
     * Reads the {@code scaling:} subtree; every problem goes to {@code problems} with its dotted key from the
     * spec root ({@code scaling.max}, {@code scaling.schedule[0].cron}). Returns the defaults for a missing block,
     * and some spec (not to be used) when problems were found.
     */
    static ScalingSpec parse(JsonNode node, List<SpecProblem> problems) {
        ScalingSpec d = ScalingSpec.DEFAULT;
        if (missing(node)) {
            return d;
        }
        if (!node.isObject()) {
            problems.add(new SpecProblem("scaling", shown(node), "a mapping with keys " + String.join(", ", new TreeSet<>(KEYS))));
            return d;
        }
        int before = problems.size();
        unknownKeys(node, "scaling.", KEYS, problems);
        int min = integer(node.get("min"), "scaling.min", d.min(), 0, LIMIT, "an integer number of instances", problems);
        int max = integer(node.get("max"), "scaling.max", Math.max(d.max(), min), 1, LIMIT, "an integer number of instances", problems);
        if (max < min) {
            problems.add(new SpecProblem("scaling.max", String.valueOf(max), "at least scaling.min (" + min + ")"));
        }
        Duration keepAlive = duration(node.get("keep-alive"), "scaling.keep-alive", d.keepAlive(),
                ScalingSpec.MIN_KEEP_ALIVE, ScalingSpec.MAX_KEEP_ALIVE, problems);
        double utilization = decimal(node.get("utilization"), "scaling.utilization", d.utilization(), 0.1, 1.0, "a number", problems);
        List<MetricTarget> metrics = metrics(node.get("metrics"), problems);
        Duration delay = duration(node.get("scale-down-delay"), "scaling.scale-down-delay", d.scaleDownDelay(),
                Duration.ZERO, ScalingSpec.MAX_SCALE_DOWN_DELAY, problems);
        ScaleDownStep step = d.maxScaleDownStep();
        JsonNode s = node.get("max-scale-down-step");
        if (!missing(s)) {
            try {
                if (!s.isValueNode()) {
                    throw new IllegalArgumentException("not a scalar");
                }
                step = ScaleDownStep.parse(s.asText());
            } catch (IllegalArgumentException e) {
                problems.add(new SpecProblem("scaling.max-scale-down-step", shown(s), ScaleDownStep.ALLOWED));
            }
        }
        Duration toZero = duration(node.get("scale-to-zero-after"), "scaling.scale-to-zero-after", d.scaleToZeroAfter(),
                Duration.ZERO, ScalingSpec.MAX_SCALE_TO_ZERO_AFTER, problems);
        List<ScheduleRule> schedule = schedule(node.get("schedule"), max, problems);
        KeepAliveMode mode = d.keepAlivePolicy();
        JsonNode k = node.get("keep-alive-policy");
        if (!missing(k)) {
            Optional<KeepAliveMode> named = k.isValueNode() ? KeepAliveMode.byKey(k.asText().trim()) : Optional.empty();
            if (named.isEmpty()) {
                problems.add(new SpecProblem("scaling.keep-alive-policy", shown(k), KeepAliveMode.ALLOWED));
            } else {
                mode = named.get();
            }
        }
        if (problems.size() > before) {
            return d;
        }
        return new ScalingSpec(min, max, keepAlive, utilization, metrics, delay, step, toZero, schedule, mode);
    }

    /** The canonical {@code scaling:} block; {@link #parse} reads it back to an equal spec. */
    static ObjectNode write(ScalingSpec s) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("min", s.min());
        n.put("max", s.max());
        n.put("keep-alive", Durations.format(s.keepAlive()));
        n.put("utilization", s.utilization());
        if (!s.metrics().isEmpty()) {
            ArrayNode ms = n.putArray("metrics");
            for (MetricTarget m : s.metrics()) {
                ms.addObject().put("type", m.type().key()).put("target", m.target());
            }
        }
        n.put("scale-down-delay", Durations.format(s.scaleDownDelay()));
        n.put("max-scale-down-step", s.maxScaleDownStep().toString());
        n.put("scale-to-zero-after", Durations.format(s.scaleToZeroAfter()));
        n.put("keep-alive-policy", s.keepAlivePolicy().key());
        if (!s.schedule().isEmpty()) {
            ArrayNode rules = n.putArray("schedule");
            for (ScheduleRule r : s.schedule()) {
                rules.addObject().put("cron", r.cron().toString()).put("duration", Durations.format(r.duration()))
                        .put("min", r.min()).put("timezone", r.timezone().getId());
            }
        }
        return n;
    }

    private static List<MetricTarget> metrics(JsonNode v, List<SpecProblem> p) {
        if (missing(v)) {
            return List.of();
        }
        String types = String.join(", ", EnumSet.allOf(MetricType.class).stream().map(MetricType::key).toList());
        if (!v.isArray() || v.isEmpty()) {
            p.add(new SpecProblem("scaling.metrics", shown(v), "a list of one or more {type, target}, type one of " + types));
            return List.of();
        }
        List<MetricTarget> out = new ArrayList<>();
        Set<MetricType> seen = EnumSet.noneOf(MetricType.class);
        for (int i = 0; i < v.size(); i++) {
            String key = "scaling.metrics[" + i + "]";
            JsonNode m = v.get(i);
            if (!m.isObject()) {
                p.add(new SpecProblem(key, shown(m), "a mapping {type, target}, type one of " + types));
                continue;
            }
            unknownKeys(m, key + ".", METRIC_KEYS, p);
            JsonNode t = m.get("type");
            Optional<MetricType> type = t == null || !t.isValueNode() ? Optional.empty() : MetricType.byKey(t.asText().trim());
            if (type.isEmpty()) {
                p.add(new SpecProblem(key + ".type", t == null ? null : shown(t), (t == null ? "required: " : "") + "one of " + types));
                continue;
            }
            if (!seen.add(type.get())) {
                p.add(new SpecProblem(key + ".type", type.get().key(), "each metric type at most once"));
                continue;
            }
            MetricType mt = type.get();
            if (missing(m.get("target"))) {
                p.add(new SpecProblem(key + ".target", null, "required: " + mt.unit() + " from "
                        + ScalingSpec.number(mt.minTarget()) + " to " + ScalingSpec.number(mt.maxTarget())));
                continue;
            }
            double target = decimal(m.get("target"), key + ".target", Double.NaN, mt.minTarget(), mt.maxTarget(), mt.unit(), p);
            if (!Double.isNaN(target)) {
                out.add(new MetricTarget(mt, target));
            }
        }
        return out;
    }

    private static List<ScheduleRule> schedule(JsonNode v, int max, List<SpecProblem> p) {
        if (missing(v)) {
            return List.of();
        }
        if (!v.isArray()) {
            p.add(new SpecProblem("scaling.schedule", shown(v), "a list of {cron, duration, min, timezone}"));
            return List.of();
        }
        List<ScheduleRule> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            String key = "scaling.schedule[" + i + "]";
            JsonNode r = v.get(i);
            if (!r.isObject()) {
                p.add(new SpecProblem(key, shown(r), "a mapping {cron, duration, min, timezone}"));
                continue;
            }
            int before = p.size();
            unknownKeys(r, key + ".", RULE_KEYS, p);
            CronExpression cron = null;
            JsonNode c = r.get("cron");
            if (missing(c)) {
                p.add(new SpecProblem(key + ".cron", null, "required: " + CronExpression.ALLOWED));
            } else {
                try {
                    if (!c.isValueNode()) {
                        throw new IllegalArgumentException("not a string; expected " + CronExpression.ALLOWED);
                    }
                    cron = CronExpression.parse(c.asText());
                } catch (IllegalArgumentException e) {
                    p.add(new SpecProblem(key + ".cron", shown(c), e.getMessage()));
                }
            }
            if (missing(r.get("duration"))) {
                p.add(new SpecProblem(key + ".duration", null, "required: "
                        + ScalingSpec.durations(ScheduleRule.MIN_DURATION, ScheduleRule.MAX_DURATION)));
            }
            Duration duration = duration(r.get("duration"), key + ".duration", ScheduleRule.MIN_DURATION,
                    ScheduleRule.MIN_DURATION, ScheduleRule.MAX_DURATION, p);
            if (missing(r.get("min"))) {
                p.add(new SpecProblem(key + ".min", null, "required: an integer number of instances from 0 to scaling.max (" + max + ")"));
            }
            int min = integer(r.get("min"), key + ".min", 0, 0, LIMIT, "an integer number of instances", p);
            if (min > max) {
                p.add(new SpecProblem(key + ".min", String.valueOf(min), "at most scaling.max (" + max + ")"));
            }
            ZoneId zone = ZoneId.of("UTC");
            JsonNode z = r.get("timezone");
            if (!missing(z)) {
                try {
                    if (!z.isTextual()) {
                        throw new DateTimeException("not text");
                    }
                    zone = ZoneId.of(z.asText().trim());
                } catch (DateTimeException e) {
                    p.add(new SpecProblem(key + ".timezone", shown(z), "a time-zone id such as UTC, Europe/Berlin or Asia/Shanghai"));
                }
            }
            if (p.size() == before) {
                out.add(new ScheduleRule(cron, duration, min, zone));
            }
        }
        return out;
    }
}
