package dev.nest.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import dev.nest.function.FunctionId;
import dev.nest.report.ReportWindow;
import dev.nest.report.Scope;
import java.net.URI;
import java.time.Instant;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One alert rule: on a function or a whole namespace, a metric above a threshold over a window, and the webhook told
 * when it fires and resolves. Written as {@code "when": "error-rate > 5% over 5m"}, {@code "p99 > 500ms over 15m"},
 * {@code "throttles > 10 over 5m"}, {@code "dead-letters > 0 over 1h"} or {@code "cron-stalled > 2m"} (a cron
 * trigger's tick overdue by more than two minutes).
 *
 * @param name      the rule's name (a label: lower-case letters, digits, '-')
 * @param namespace the namespace it watches, or its function's
 * @param function  the function it watches; empty: every function of the namespace
 * @param trigger   for {@code cron-stalled}: the trigger it watches; empty: every cron trigger of the function
 * @param metric    what it watches
 * @param threshold the value the metric must exceed to fire (ratios as fractions, durations in ms)
 * @param over      the report window the metric is taken over
 * @param webhook   the URL the messages are POSTed to
 * @param updatedAt when the rule was last written
 */
public record AlertRule(String name, String namespace, Optional<String> function, Optional<String> trigger,
                        Metric metric, double threshold, ReportWindow over, String webhook, Instant updatedAt) {
    private static final Pattern WHEN = Pattern.compile(
            "\\s*([a-z0-9-]+)\\s*>\\s*([0-9]{1,12}(?:\\.[0-9]{1,9})?)\\s*(ms|s|m|h|%)?\\s*(?:over\\s+(\\S+))?\\s*");
    private static final Set<String> KEYS = Set.of("namespace", "function", "trigger", "when", "webhook");
    private static final int MAX_URL = 2048;

    /** The scope of the report the rule reads. */
    public Scope scope() {
        return function.map(f -> Scope.function(namespace + "/" + f)).orElse(Scope.namespace(namespace));
    }

    /** The rule's condition as it is written ({@code p99 > 500ms over 5m}). */
    public String when() {
        String t = switch (metric.unit()) {
            case RATIO -> java.math.BigDecimal.valueOf(threshold).movePointRight(2).stripTrailingZeros().toPlainString() + "%";
            case COUNT -> plain(threshold);
            case DURATION -> java.math.BigDecimal.valueOf(threshold).stripTrailingZeros().toPlainString() + "ms";
        };
        return metric.key() + " > " + t + (metric == Metric.CRON_STALLED ? "" : " over " + over.label());
    }

    /** What the rule watches, for messages: {@code shop/cart} or {@code namespace shop}. */
    public String target() {
        return function.map(f -> namespace + "/" + f).orElse("namespace " + namespace)
                + trigger.map(t -> " trigger " + t).orElse("");
    }

    private static String plain(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /**
     * Reads a rule from the API's body ({@code namespace}, {@code function}, {@code trigger}, {@code when},
     * {@code webhook}); every mistake is an {@link IllegalArgumentException} naming the key, the value and what is
     * allowed.
     *
     * @param webhookRefusal why a webhook URL may not be called (its host not on the allow-list), empty when it may
     */
    public static AlertRule parse(String name, JsonNode body, Function<String, Optional<String>> webhookRefusal,
                                  Instant now) {
        if (!FunctionId.LABEL.matcher(name).matches()) {
            throw new IllegalArgumentException("alert name: '" + shown(name) + "' is not valid; " + FunctionId.LABEL_RULE);
        }
        if (!body.isObject()) {
            throw new IllegalArgumentException("an alert rule is a JSON object with " + KEYS);
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("alert rule: unknown key '" + shown(k) + "'; allowed: "
                        + "namespace, function, trigger, when, webhook");
            }
        }
        String ns = text(body, "namespace").orElse(FunctionId.DEFAULT_NAMESPACE);
        label("namespace", ns);
        Optional<String> fn = text(body, "function");
        fn.ifPresent(f -> label("function", f));
        Optional<String> trigger = text(body, "trigger");
        trigger.ifPresent(t -> label("trigger", t));
        String when = text(body, "when").orElseThrow(() -> new IllegalArgumentException(
                "when: missing; write e.g. 'error-rate > 5% over 5m', 'p99 > 500ms over 15m', 'throttles > 10 over 5m', "
                        + "'dead-letters > 0 over 1h' or 'cron-stalled > 2m'"));
        Matcher m = WHEN.matcher(when);
        if (when.length() > 200 || !m.matches()) {
            throw new IllegalArgumentException("when: '" + shown(when) + "' is not a condition; write "
                    + "'<metric> > <threshold> over <window>', e.g. 'error-rate > 5% over 5m' (metrics: "
                    + Metric.allowed() + ")");
        }
        Metric metric;
        try {
            metric = Metric.of(m.group(1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("when: " + e.getMessage());
        }
        double threshold = threshold(metric, new java.math.BigDecimal(m.group(2)), Optional.ofNullable(m.group(3)), when);
        ReportWindow over;
        try {
            over = ReportWindow.parse(Optional.ofNullable(m.group(4)).orElse("5m"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("when: the " + e.getMessage());
        }
        if (metric.functionOnly() && fn.isEmpty()) {
            throw new IllegalArgumentException("function: missing; a " + metric.key() + " rule watches one function");
        }
        if (trigger.isPresent() && metric != Metric.CRON_STALLED) {
            throw new IllegalArgumentException("trigger: only a cron-stalled rule names a trigger");
        }
        String webhook = text(body, "webhook").orElseThrow(() -> new IllegalArgumentException(
                "webhook: missing; give the http(s) URL the messages go to (its host must be on async.destinations.allow)"));
        checkUrl(webhook);
        webhookRefusal.apply(webhook).ifPresent(r -> {
            throw new IllegalArgumentException("webhook: " + r);
        });
        return new AlertRule(name, ns, fn, trigger, metric, threshold, over, webhook, now);
    }

    private static double threshold(Metric metric, java.math.BigDecimal given, Optional<String> unit, String when) {
        String u = unit.orElse("");
        double n = given.doubleValue();
        return switch (metric.unit()) {
            case RATIO -> {
                double v = u.equals("%") ? given.movePointLeft(2).doubleValue() : n; // decimal: 33.3% is 0.333
                if (!(u.isEmpty() || u.equals("%")) || v < 0 || v >= 1) {
                    throw new IllegalArgumentException("when: '" + shown(when) + "': a " + metric.key()
                            + " threshold is a fraction from 0 to below 1 (0.05) or a percentage (5%)");
                }
                yield v;
            }
            case COUNT -> {
                if (!u.isEmpty() || n != Math.rint(n)) {
                    throw new IllegalArgumentException("when: '" + shown(when) + "': a " + metric.key()
                            + " threshold is a whole number, e.g. '" + metric.key() + " > 10 over 5m'");
                }
                yield n;
            }
            case DURATION -> {
                double ms = switch (u) {
                    case "ms" -> n;
                    case "s" -> given.movePointRight(3).doubleValue();
                    case "m" -> given.multiply(java.math.BigDecimal.valueOf(60_000)).doubleValue();
                    case "h" -> given.multiply(java.math.BigDecimal.valueOf(3_600_000)).doubleValue();
                    default -> throw new IllegalArgumentException("when: '" + shown(when) + "': a " + metric.key()
                            + " threshold is a duration with its unit: ms, s, m or h (e.g. 500ms)");
                };
                if (ms > 7 * 24 * 3_600_000.0) {
                    throw new IllegalArgumentException("when: '" + shown(when) + "': at most 7 days");
                }
                yield ms;
            }
        };
    }

    private static void checkUrl(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("webhook: '" + shown(url) + "' is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (url.length() > MAX_URL || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                || uri.getUserInfo() != null) {
            throw new IllegalArgumentException("webhook: '" + shown(url) + "' is not allowed; use an http(s) URL with a "
                    + "host, no user info, at most " + MAX_URL + " characters");
        }
    }

    private static Optional<String> text(JsonNode body, String key) {
        JsonNode v = body.get(key);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(key + ": " + shown(v.toString()) + " is not a string");
        }
        return Optional.of(v.asText());
    }

    private static void label(String key, String value) {
        if (!FunctionId.LABEL.matcher(value).matches()) {
            throw new IllegalArgumentException(key + ": '" + shown(value) + "' is not valid; " + FunctionId.LABEL_RULE);
        }
    }

    private static String shown(String v) {
        return v.length() > 60 ? v.substring(0, 60) + "..." : v;
    }

    /** The stored and shown form. */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("name", name);
        n.put("namespace", namespace);
        function.ifPresent(f -> n.put("function", f));
        trigger.ifPresent(t -> n.put("trigger", t));
        n.put("when", when());
        n.put("webhook", webhook);
        n.put("updatedAt", updatedAt.toString());
        return n;
    }

    public byte[] toBytes() {
        return Json.bytes(toJson());
    }

    /** Reads {@link #toBytes}'s form (stored rules are checked as the API checks them, but not the allow-list). */
    public static AlertRule fromBytes(byte[] data) {
        JsonNode n = Json.tree(data, "alert rule");
        ObjectNode body = n.deepCopy();
        String name = body.path("name").asText("");
        Instant at = Instant.parse(body.path("updatedAt").asText(Instant.EPOCH.toString()));
        body.remove("name");
        body.remove("updatedAt");
        return parse(name, body, url -> Optional.empty(), at);
    }
}
