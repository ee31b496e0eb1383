package dev.nest.scaler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Durations;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A function's scaling config: the {@code scaling:} block of its spec. Every field has a default; the
 * constructor checks the invariants and {@link #parse} reads the YAML/JSON form, collecting every problem with
 * its key, value and allowed range.
 *
 * <pre>
 * scaling:
 *   min: 0                      # reserved instances, always kept (0 allows scale to zero)
 *   max: 10
 *   utilization: 0.7            # scale so that instances run at 70% of their targets
 *   metrics: [{type: concurrency, target: 1}]   # default: concurrency at the function's 'concurrency'
 *   scale-down-delay: 30s       # a lower count must hold this long before instances are removed
 *   max-scale-down-step: 50%    # at most this many instances removed per decision (count or percentage)
 *   keep-alive: 10m             # the fixed keep-alive (and the histogram policy's fallback)
 *   keep-alive-policy: histogram   # fixed | histogram
 *   scale-to-zero-after: 4h     # an idle function never keeps an instance longer than this
 *   schedule: [{cron: "0 8 * * MON-FRI", duration: 2h, min: 5, timezone: Asia/Shanghai}]
 * </pre>
 *
 * @param min               reserved instances, 0..10000
 * @param max               upper bound, 1..10000 and at least {@code min}
 * @param keepAlive         the fixed keep-alive, 1s..1d
 * @param utilization       fraction of each target an instance should carry, 0.1..1
 * @param metrics           one or more metrics, at most one per type
 * @param scaleDownDelay    how long a lower count must hold before a scale-down, 0s..1h
 * @param maxScaleDownStep  the most instances one decision removes
 * @param scaleToZeroAfter  the longest an idle function keeps an instance for the keep-alive policy, 0s..1d
 * @param schedule          rules that raise the minimum in time windows
 * @param keepAlivePolicy   {@code fixed} or {@code histogram}
 * @param stableWindow      the averaging window for scale-down and steady scale-up (not a YAML key: 60s)
 * @param upWindow          the short window that scales up at once when instances are full (not a YAML key: 6s)
 */
public record ScalingConfig(int min, int max, Duration keepAlive, double utilization, List<MetricTarget> metrics,
                            Duration scaleDownDelay, ScaleDownStep maxScaleDownStep, Duration scaleToZeroAfter,
                            List<ScheduleRule> schedule, KeepAlivePolicy keepAlivePolicy, Duration stableWindow,
                            Duration upWindow) {
    public static final int MAX_INSTANCES = 10_000;
    public static final int DEFAULT_MIN = 0;
    public static final int DEFAULT_MAX = 10;
    public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofMinutes(10);
    public static final double DEFAULT_UTILIZATION = 0.7;
    public static final Duration DEFAULT_SCALE_DOWN_DELAY = Duration.ofSeconds(30);
    public static final ScaleDownStep DEFAULT_SCALE_DOWN_STEP = new ScaleDownStep(50, true);
    public static final Duration DEFAULT_SCALE_TO_ZERO_AFTER = IdleHistogram.STANDARD_RANGE;
    public static final String DEFAULT_KEEP_ALIVE_POLICY = "histogram";
    public static final Duration DEFAULT_STABLE_WINDOW = Duration.ofSeconds(60);
    public static final Duration DEFAULT_UP_WINDOW = Duration.ofSeconds(6);

    static final Duration MIN_KEEP_ALIVE = Duration.ofSeconds(1);
    static final Duration MAX_KEEP_ALIVE = Duration.ofDays(1);
    static final Duration MAX_SCALE_DOWN_DELAY = Duration.ofHours(1);
    static final Duration MAX_SCALE_TO_ZERO_AFTER = Duration.ofDays(1);
    private static final Set<String> KEYS = Set.of("min", "max", "keep-alive", "utilization", "metrics",
            "scale-down-delay", "max-scale-down-step", "scale-to-zero-after", "schedule", "keep-alive-policy");
    private static final Set<String> METRIC_KEYS = Set.of("type", "target");
    private static final Set<String> RULE_KEYS = Set.of("cron", "duration", "min", "timezone");
    private static final String POLICIES = "fixed or histogram";

    public ScalingConfig {
        metrics = List.copyOf(metrics);
        schedule = List.copyOf(schedule);
        List<ConfigProblem> problems = new ArrayList<>();
        check(min >= 0 && min <= MAX_INSTANCES, "scaling.min", min, "an integer number of instances from 0 to " + MAX_INSTANCES, problems);
        check(max >= 1 && max <= MAX_INSTANCES, "scaling.max", max, "an integer number of instances from 1 to " + MAX_INSTANCES, problems);
        check(max >= min, "scaling.max", max, "at least scaling.min (" + min + ")", problems);
        check(between(keepAlive, MIN_KEEP_ALIVE, MAX_KEEP_ALIVE), "scaling.keep-alive", keepAlive, durations(MIN_KEEP_ALIVE, MAX_KEEP_ALIVE), problems);
        check(utilization >= 0.1 && utilization <= 1.0, "scaling.utilization", utilization, "a number from 0.1 to 1.0", problems);
        check(!metrics.isEmpty(), "scaling.metrics", "[]", "one or more of {type, target}", problems);
        check(metrics.stream().map(MetricTarget::type).distinct().count() == metrics.size(), "scaling.metrics",
                metrics, "at most one entry per type", problems);
        check(between(scaleDownDelay, Duration.ZERO, MAX_SCALE_DOWN_DELAY), "scaling.scale-down-delay", scaleDownDelay,
                durations(Duration.ZERO, MAX_SCALE_DOWN_DELAY), problems);
        check(maxScaleDownStep != null, "scaling.max-scale-down-step", null, ScaleDownStep.ALLOWED, problems);
        check(between(scaleToZeroAfter, Duration.ZERO, MAX_SCALE_TO_ZERO_AFTER), "scaling.scale-to-zero-after",
                scaleToZeroAfter, durations(Duration.ZERO, MAX_SCALE_TO_ZERO_AFTER), problems);
        check(keepAlivePolicy != null, "scaling.keep-alive-policy", null, POLICIES, problems);
        for (int i = 0; i < schedule.size(); i++) {
            check(schedule.get(i).min() <= max, "scaling.schedule[" + i + "].min", schedule.get(i).min(),
                    "at most scaling.max (" + max + ")", problems);
        }
        check(between(upWindow, Duration.ofSeconds(1), stableWindow), "up window", upWindow, "1s up to the stable window", problems);
        check(between(stableWindow, Duration.ofSeconds(1), Duration.ofHours(1)), "stable window", stableWindow, "1s to 1h", problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems.stream().map(ConfigProblem::toString).toList()));
        }
    }

    /** The defaults for a function whose instances take {@code concurrency} requests each. */
    public static ScalingConfig defaults(int concurrency) {
        return new ScalingConfig(DEFAULT_MIN, DEFAULT_MAX, DEFAULT_KEEP_ALIVE, DEFAULT_UTILIZATION,
                List.of(new MetricTarget(MetricType.CONCURRENCY, concurrency)), DEFAULT_SCALE_DOWN_DELAY,
                DEFAULT_SCALE_DOWN_STEP, DEFAULT_SCALE_TO_ZERO_AFTER, List.of(),
                policy(DEFAULT_KEEP_ALIVE_POLICY, DEFAULT_KEEP_ALIVE).orElseThrow(), DEFAULT_STABLE_WINDOW,
                DEFAULT_UP_WINDOW);
    }

    /** The keep-alive policy named {@code key} ({@code fixed} or {@code histogram}) around {@code keepAlive}. */
    public static Optional<KeepAlivePolicy> policy(String key, Duration keepAlive) {
        return switch (key) {
            case "fixed" -> Optional.of(new FixedKeepAlive(keepAlive));
            case "histogram" -> Optional.of(HistogramKeepAlive.standard(new FixedKeepAlive(keepAlive)));
            default -> Optional.empty();
        };
    }

    public ScalingConfig withMinMax(int newMin, int newMax) {
        return new ScalingConfig(newMin, newMax, keepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep,
                scaleToZeroAfter, schedule, keepAlivePolicy, stableWindow, upWindow);
    }

    public ScalingConfig withMetrics(List<MetricTarget> newMetrics, double newUtilization) {
        return new ScalingConfig(min, max, keepAlive, newUtilization, newMetrics, scaleDownDelay, maxScaleDownStep,
                scaleToZeroAfter, schedule, keepAlivePolicy, stableWindow, upWindow);
    }

    public ScalingConfig withScaleDown(Duration delay, ScaleDownStep step) {
        return new ScalingConfig(min, max, keepAlive, utilization, metrics, delay, step, scaleToZeroAfter, schedule,
                keepAlivePolicy, stableWindow, upWindow);
    }

    public ScalingConfig withKeepAlive(Duration newKeepAlive, KeepAlivePolicy policy, Duration newScaleToZeroAfter) {
        return new ScalingConfig(min, max, newKeepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep,
                newScaleToZeroAfter, schedule, policy, stableWindow, upWindow);
    }

    public ScalingConfig withSchedule(List<ScheduleRule> rules) {
        return new ScalingConfig(min, max, keepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep,
                scaleToZeroAfter, rules, keepAlivePolicy, stableWindow, upWindow);
    }

    public ScalingConfig withWindows(Duration stable, Duration up) {
        return new ScalingConfig(min, max, keepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep,
                scaleToZeroAfter, schedule, keepAlivePolicy, stable, up);
    }

    // ---- the YAML/JSON form -----------------------------------------------------------------------------

    /** A parsed {@code scaling:} block: the config, or every problem found (then {@code config} is empty). */
    public record Parsed(Optional<ScalingConfig> config, List<ConfigProblem> problems) {
        public Parsed {
            problems = List.copyOf(problems);
        }

        public boolean ok() {
            return config.isPresent();
        }
    }

    /**
     * Reads the {@code scaling:} subtree of a function spec. Unknown keys are refused so that typos do not pass
     * silently; every problem is reported, each with its dotted key from the spec root ({@code scaling.max},
     * {@code scaling.schedule[0].cron}).
     *
     * @param node        the value of {@code scaling}, or null/missing for all defaults
     * @param concurrency the function's {@code concurrency}: the default concurrency target per instance
     */
    public static Parsed parse(JsonNode node, int concurrency) {
        List<ConfigProblem> p = new ArrayList<>();
        ScalingConfig d = defaults(Math.max(1, concurrency));
        if (node == null || node.isNull() || node.isMissingNode()) {
            return new Parsed(Optional.of(d), List.of());
        }
        if (!node.isObject()) {
            p.add(new ConfigProblem("scaling", shown(node), "a mapping with keys " + String.join(", ", new TreeSet<>(KEYS))));
            return new Parsed(Optional.empty(), p);
        }
        unknownKeys(node, "scaling.", KEYS, p);
        int min = integer(node.get("min"), "scaling.min", d.min(), 0, MAX_INSTANCES, "an integer number of instances", p);
        int max = integer(node.get("max"), "scaling.max", Math.max(d.max(), min), 1, MAX_INSTANCES, "an integer number of instances", p);
        if (max < min) {
            p.add(new ConfigProblem("scaling.max", String.valueOf(max), "at least scaling.min (" + min + ")"));
        }
        Duration keepAlive = duration(node.get("keep-alive"), "scaling.keep-alive", d.keepAlive(), MIN_KEEP_ALIVE, MAX_KEEP_ALIVE, p);
        double utilization = decimal(node.get("utilization"), "scaling.utilization", d.utilization(), 0.1, 1.0, "a number", p);
        List<MetricTarget> metrics = metrics(node.get("metrics"), d.metrics(), p);
        Duration delay = duration(node.get("scale-down-delay"), "scaling.scale-down-delay", d.scaleDownDelay(), Duration.ZERO, MAX_SCALE_DOWN_DELAY, p);
        ScaleDownStep step = d.maxScaleDownStep();
        JsonNode s = node.get("max-scale-down-step");
        if (s != null && !s.isNull()) {
            try {
                if (!s.isValueNode()) {
                    throw new IllegalArgumentException();
                }
                step = ScaleDownStep.parse(s.asText());
            } catch (IllegalArgumentException e) {
                p.add(new ConfigProblem("scaling.max-scale-down-step", shown(s), ScaleDownStep.ALLOWED));
            }
        }
        Duration toZero = duration(node.get("scale-to-zero-after"), "scaling.scale-to-zero-after", d.scaleToZeroAfter(),
                Duration.ZERO, MAX_SCALE_TO_ZERO_AFTER, p);
        List<ScheduleRule> schedule = schedule(node.get("schedule"), max, p);
        KeepAlivePolicy policy = policy(DEFAULT_KEEP_ALIVE_POLICY, keepAlive).orElseThrow();
        JsonNode k = node.get("keep-alive-policy");
        if (k != null && !k.isNull()) {
            Optional<KeepAlivePolicy> named = k.isValueNode() ? policy(k.asText().trim(), keepAlive) : Optional.empty();
            if (named.isEmpty()) {
                p.add(new ConfigProblem("scaling.keep-alive-policy", shown(k), POLICIES));
            } else {
                policy = named.get();
            }
        }
        if (!p.isEmpty()) {
            return new Parsed(Optional.empty(), p);
        }
        return new Parsed(Optional.of(new ScalingConfig(min, max, keepAlive, utilization, metrics, delay, step, toZero,
                schedule, policy, DEFAULT_STABLE_WINDOW, DEFAULT_UP_WINDOW)), List.of());
    }

    /** The canonical {@code scaling:} block; {@link #parse} reads it back to an equal config. */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("min", min);
        n.put("max", max);
        n.put("keep-alive", Durations.format(keepAlive));
        n.put("utilization", utilization);
        ArrayNode ms = n.putArray("metrics");
        for (MetricTarget m : metrics) {
            ms.addObject().put("type", m.type().key()).put("target", m.target());
        }
        n.put("scale-down-delay", Durations.format(scaleDownDelay));
        n.put("max-scale-down-step", maxScaleDownStep.toString());
        n.put("scale-to-zero-after", Durations.format(scaleToZeroAfter));
        ArrayNode rules = n.putArray("schedule");
        for (ScheduleRule r : schedule) {
            rules.addObject().put("cron", r.cron().toString()).put("duration", Durations.format(r.duration()))
                    .put("min", r.min()).put("timezone", r.timezone().getId());
        }
        n.put("keep-alive-policy", keepAlivePolicy.key());
        return n;
    }

    private static List<MetricTarget> metrics(JsonNode v, List<MetricTarget> dflt, List<ConfigProblem> p) {
        if (v == null || v.isNull()) {
            return dflt;
        }
        String types = String.join(", ", EnumSet.allOf(MetricType.class).stream().map(MetricType::key).toList());
        if (!v.isArray() || v.isEmpty()) {
            p.add(new ConfigProblem("scaling.metrics", shown(v), "a list of one or more {type, target}, type one of " + types));
            return dflt;
        }
        List<MetricTarget> out = new ArrayList<>();
        Set<MetricType> seen = EnumSet.noneOf(MetricType.class);
        for (int i = 0; i < v.size(); i++) {
            String key = "scaling.metrics[" + i + "]";
            JsonNode m = v.get(i);
            if (!m.isObject()) {
                p.add(new ConfigProblem(key, shown(m), "a mapping {type, target}, type one of " + types));
                continue;
            }
            unknownKeys(m, key + ".", METRIC_KEYS, p);
            JsonNode t = m.get("type");
            Optional<MetricType> type = t == null || !t.isValueNode() ? Optional.empty() : MetricType.byKey(t.asText().trim());
            if (type.isEmpty()) {
                p.add(new ConfigProblem(key + ".type", t == null ? null : shown(t), (t == null ? "required: " : "") + "one of " + types));
                continue;
            }
            if (!seen.add(type.get())) {
                p.add(new ConfigProblem(key + ".type", type.get().key(), "each metric type at most once"));
                continue;
            }
            MetricType mt = type.get();
            if (m.get("target") == null || m.get("target").isNull()) {
                p.add(new ConfigProblem(key + ".target", null, "required: " + mt.unit() + " from "
                        + number(mt.minTarget()) + " to " + number(mt.maxTarget())));
                continue;
            }
            double target = decimal(m.get("target"), key + ".target", Double.NaN, mt.minTarget(), mt.maxTarget(), mt.unit(), p);
            if (!Double.isNaN(target)) {
                out.add(new MetricTarget(mt, target));
            }
        }
        return out.isEmpty() ? dflt : out;
    }

    private static List<ScheduleRule> schedule(JsonNode v, int max, List<ConfigProblem> p) {
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            p.add(new ConfigProblem("scaling.schedule", shown(v), "a list of {cron, duration, min, timezone}"));
            return List.of();
        }
        List<ScheduleRule> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            String key = "scaling.schedule[" + i + "]";
            JsonNode r = v.get(i);
            if (!r.isObject()) {
                p.add(new ConfigProblem(key, shown(r), "a mapping {cron, duration, min, timezone}"));
                continue;
            }
            int before = p.size();
            unknownKeys(r, key + ".", RULE_KEYS, p);
            CronExpression cron = null;
            JsonNode c = r.get("cron");
            if (c == null || c.isNull()) {
                p.add(new ConfigProblem(key + ".cron", null, "required: " + CronExpression.ALLOWED));
            } else {
                try {
                    if (!c.isValueNode()) {
                        throw new IllegalArgumentException("not a string; expected " + CronExpression.ALLOWED);
                    }
                    cron = CronExpression.parse(c.asText());
                } catch (IllegalArgumentException e) {
                    p.add(new ConfigProblem(key + ".cron", shown(c), e.getMessage()));
                }
            }
            if (r.get("duration") == null || r.get("duration").isNull()) {
                p.add(new ConfigProblem(key + ".duration", null, "required: " + durations(ScheduleRule.MIN_DURATION, ScheduleRule.MAX_DURATION)));
            }
            Duration duration = duration(r.get("duration"), key + ".duration", ScheduleRule.MIN_DURATION,
                    ScheduleRule.MIN_DURATION, ScheduleRule.MAX_DURATION, p);
            if (r.get("min") == null || r.get("min").isNull()) {
                p.add(new ConfigProblem(key + ".min", null, "required: an integer number of instances from 0 to scaling.max (" + max + ")"));
            }
            int min = integer(r.get("min"), key + ".min", 0, 0, MAX_INSTANCES, "an integer number of instances", p);
            if (min > max) {
                p.add(new ConfigProblem(key + ".min", String.valueOf(min), "at most scaling.max (" + max + ")"));
            }
            ZoneId zone = ZoneId.of("UTC");
            JsonNode z = r.get("timezone");
            if (z != null && !z.isNull()) {
                try {
                    if (!z.isTextual()) {
                        throw new DateTimeException("not text");
                    }
                    zone = ZoneId.of(z.asText().trim());
                } catch (DateTimeException e) {
                    p.add(new ConfigProblem(key + ".timezone", shown(z), "a time-zone id such as UTC, Europe/Berlin or Asia/Shanghai"));
                }
            }
            if (p.size() == before) {
                out.add(new ScheduleRule(cron, duration, min, zone));
            }
        }
        return out;
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private static void check(boolean ok, String key, Object value, String allowed, List<ConfigProblem> problems) {
        if (!ok) {
            problems.add(new ConfigProblem(key, value instanceof Duration d ? Durations.format(d) : String.valueOf(value), allowed));
        }
    }

    private static boolean between(Duration d, Duration lo, Duration hi) {
        return d != null && d.compareTo(lo) >= 0 && d.compareTo(hi) <= 0;
    }

    private static String durations(Duration lo, Duration hi) {
        return Durations.ALLOWED + ", from " + Durations.format(lo) + " to " + Durations.format(hi);
    }

    /** A number without a trailing {@code .0}. */
    static String number(double d) {
        return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    private static String shown(JsonNode v) {
        return v.isContainerNode() ? v.toString() : v.asText();
    }

    private static void unknownKeys(JsonNode node, String prefix, Set<String> allowed, List<ConfigProblem> p) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                p.add(new ConfigProblem(prefix + k, null, "unknown key; allowed keys here are " + String.join(", ", new TreeSet<>(allowed))));
            }
        }
    }

    private static int integer(JsonNode v, String key, int dflt, int lo, int hi, String what, List<ConfigProblem> p) {
        if (v == null || v.isNull()) {
            return dflt;
        }
        String allowed = what + " from " + lo + " to " + hi;
        long n;
        if (v.isIntegralNumber()) {
            n = v.asLong();
        } else if (v.isTextual() && v.asText().trim().matches("-?\\d{1,12}")) {
            n = Long.parseLong(v.asText().trim());
        } else {
            p.add(new ConfigProblem(key, shown(v), allowed));
            return dflt;
        }
        if (n < lo || n > hi) {
            p.add(new ConfigProblem(key, String.valueOf(n), allowed));
            return dflt;
        }
        return (int) n;
    }

    private static double decimal(JsonNode v, String key, double dflt, double lo, double hi, String what, List<ConfigProblem> p) {
        if (v == null || v.isNull()) {
            return dflt;
        }
        String allowed = what + " from " + number(lo) + " to " + number(hi);
        double n;
        if (v.isNumber()) {
            n = v.asDouble();
        } else if (v.isTextual() && v.asText().trim().matches("-?\\d{1,9}(\\.\\d{1,9})?")) {
            n = Double.parseDouble(v.asText().trim());
        } else {
            p.add(new ConfigProblem(key, shown(v), allowed));
            return dflt;
        }
        if (!(n >= lo && n <= hi)) {
            p.add(new ConfigProblem(key, shown(v), allowed));
            return dflt;
        }
        return n;
    }

    private static Duration duration(JsonNode v, String key, Duration dflt, Duration lo, Duration hi, List<ConfigProblem> p) {
        if (v == null || v.isNull()) {
            return dflt;
        }
        String allowed = durations(lo, hi);
        Duration d;
        try {
            if (!v.isValueNode()) {
                throw new IllegalArgumentException();
            }
            d = Durations.parse(v.asText());
        } catch (IllegalArgumentException e) {
            p.add(new ConfigProblem(key, shown(v), allowed));
            return dflt;
        }
        if (!between(d, lo, hi)) {
            p.add(new ConfigProblem(key, shown(v), allowed));
            return dflt;
        }
        return d;
    }
}
