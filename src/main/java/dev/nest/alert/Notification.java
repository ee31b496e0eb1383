package dev.nest.alert;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import java.time.Instant;
import java.util.Locale;

/**
 * One webhook message: Slack-compatible ({@code {"text": ...}}) with the structured fields beside it.
 *
 * @param rule   the rule
 * @param status its new state ({@code firing} or {@code resolved})
 * @param at     when it changed
 */
public record Notification(AlertRule rule, AlertStatus status, Instant at) {
    /** The message's first line, e.g. {@code [FIRING] cart-errors: shop/cart error-rate > 5% over 5m (now 12.5%)}. */
    public String text() {
        String value = status.value().map(this::shown).orElse("?");
        return "[" + status.state().name() + "] " + rule.name() + ": " + rule.target() + " " + rule.when() + " (now "
                + value + ")" + (status.detail().isEmpty() ? "" : " - " + status.detail());
    }

    private String shown(double v) {
        return switch (rule.metric().unit()) {
            case RATIO -> String.format(Locale.ROOT, "%.2f%%", v * 100);
            case COUNT -> String.format(Locale.ROOT, "%.0f", v);
            case DURATION -> String.format(Locale.ROOT, "%.1f ms", v);
        };
    }

    public byte[] body() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("text", text());
        n.put("alert", rule.name());
        n.put("state", status.state().label());
        n.put("namespace", rule.namespace());
        rule.function().ifPresent(f -> n.put("function", f));
        rule.trigger().ifPresent(t -> n.put("trigger", t));
        n.put("metric", rule.metric().key());
        n.put("when", rule.when());
        status.value().ifPresent(v -> n.put("value", v));
        n.put("threshold", rule.threshold());
        n.put("since", status.since().toString());
        n.put("at", at.toString());
        return Json.bytes(n);
    }
}
