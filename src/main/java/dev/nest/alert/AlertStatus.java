package dev.nest.alert;

import java.time.Instant;
import java.util.Optional;

/**
 * A rule's state as the leader last judged it (stored on each change of state, so a new leader carries on without
 * repeating a message).
 *
 * @param name   the rule
 * @param state  its state
 * @param since  when it entered the state
 * @param value  the value that made the change, when there was one
 * @param detail what the value was about (the trigger that stalled, a partial report)
 */
public record AlertStatus(String name, AlertState state, Instant since, Optional<Double> value, String detail) {
    public static AlertStatus initial(String name, Instant at) {
        return new AlertStatus(name, AlertState.OK, at, Optional.empty(), "");
    }

    /** The stored form. */
    public byte[] toBytes() {
        com.fasterxml.jackson.databind.node.ObjectNode n = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                .objectNode();
        n.put("name", name);
        n.put("state", state.label());
        n.put("since", since.toString());
        value.ifPresent(v -> n.put("value", v));
        n.put("detail", detail);
        return dev.nest.common.Json.bytes(n);
    }

    /** Reads {@link #toBytes}'s form; an {@link IllegalArgumentException} when it is not one. */
    public static AlertStatus fromBytes(byte[] data) {
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = dev.nest.common.Json.mapper().readTree(data);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("not an alert state: " + e.getMessage(), e);
        }
        if (n == null || !n.path("name").isTextual() || !n.path("since").isTextual()) {
            throw new IllegalArgumentException("not an alert state: it lacks name or since");
        }
        return new AlertStatus(n.path("name").asText(),
                AlertState.valueOf(n.path("state").asText("ok").toUpperCase(java.util.Locale.ROOT)),
                Instant.parse(n.path("since").asText()),
                n.path("value").isNumber() ? Optional.of(n.path("value").asDouble()) : Optional.empty(),
                n.path("detail").asText(""));
    }
}
