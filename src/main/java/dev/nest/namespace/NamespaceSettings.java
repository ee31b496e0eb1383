package dev.nest.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import dev.nest.common.Rate;
import dev.nest.function.FunctionId;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * What an admin set for one namespace: its {@link NamespaceQuota} and its {@link NamespaceRate}, as JSON
 * <pre>{"quota": {"instances": 10, "memory": "8Gi"}, "limits": {"rate": "100/s", "burst": 200}}</pre>
 * ({@code limits.rate} in the form of every rate in Nest, {@link Rate}: {@code 100/s}, {@code 600/m}, {@code 1000/h};
 * {@code limits.burst} by default the rate's count, as in a function spec)
 * (every key optional; the API answers with {@code namespace}, {@code updatedAt} and {@code usage} too, and accepts
 * them back, ignored, so that an answer can be edited and sent again). The same form is stored, so what one node
 * wrote every node reads back alike.
 *
 * <p>Validation ({@link #parse}) refuses unknown keys and bad values with a message naming the key, the value and
 * the allowed form, and reports every problem of a body at once. Namespace names follow the rule of function
 * namespaces ({@link FunctionId#LABEL}).
 *
 * @param namespace the namespace
 * @param quota     its quota ({@link NamespaceQuota#NONE} for none)
 * @param rate      its invocation rate limit, if any
 * @param updatedAt when it was last set
 */
public record NamespaceSettings(String namespace, NamespaceQuota quota, Optional<NamespaceRate> rate, Instant updatedAt) {
    public static final String QUOTA_INSTANCES = "quota.instances";
    public static final String QUOTA_MEMORY = "quota.memory";
    public static final String LIMITS_RATE = "limits.rate";
    public static final String LIMITS_BURST = "limits.burst";
    private static final Set<String> TOP = Set.of("namespace", "quota", "limits", "updatedAt", "usage");
    private static final Set<String> QUOTA = Set.of("instances", "memory");
    private static final Set<String> LIMITS = Set.of("rate", "burst");
    /** Decimal requests per second, the form an earlier release stored ({@code "0.5/s"}); read from storage only. */
    private static final Pattern STORED_DECIMAL = Pattern.compile("\\s*\\d+\\.\\d+/s\\s*");

    public NamespaceSettings {
        requireName(namespace);
    }

    /** Whether {@code namespace} is a valid namespace name (the rule of function namespaces). */
    public static boolean validName(String namespace) {
        return namespace != null && FunctionId.LABEL.matcher(namespace).matches();
    }

    /**
     * @throws IllegalArgumentException naming the value and the rule
     */
    public static String requireName(String namespace) {
        if (!validName(namespace)) {
            throw new IllegalArgumentException(requireNameMessage(namespace));
        }
        return namespace;
    }

    /** The message for an invalid namespace name: the value and the rule. */
    public static String requireNameMessage(String namespace) {
        return "namespace '" + namespace + "' is not valid: use " + FunctionId.LABEL_RULE;
    }

    /**
     * The settings a JSON body describes for {@code namespace}.
     *
     * @throws IllegalArgumentException listing every problem, each naming its key, the value and what is allowed
     */
    public static NamespaceSettings parse(String namespace, JsonNode body, Instant now) {
        return parse(namespace, body, now, Optional.empty());
    }

    /**
     * {@link #parse}, or with {@code stored} present the stored form: then a rate an earlier release wrote as decimal
     * requests per second ({@code "0.5/s"}) reads as the whole count per minute or hour it equals ({@code 30/m}), and
     * one that equals none is dropped (the rest of the settings kept) with a warning to {@code stored}.
     */
    private static NamespaceSettings parse(String namespace, JsonNode body, Instant now,
            Optional<Consumer<String>> stored) {
        requireName(namespace);
        if (body == null || !body.isObject()) {
            throw new IllegalArgumentException("the settings must be a JSON object like {\"quota\": {\"instances\": 10, "
                    + "\"memory\": \"8Gi\"}, \"limits\": {\"rate\": \"100/s\", \"burst\": 200}}");
        }
        List<String> problems = new ArrayList<>();
        unknown(body, "", TOP, problems);
        if (body.hasNonNull("namespace") && !body.get("namespace").asText().equals(namespace)) {
            problems.add("key 'namespace': value " + body.get("namespace") + " is not valid; allowed: '" + namespace
                    + "' (the namespace of the path) or nothing");
        }
        JsonNode q = object(body, "quota", problems);
        OptionalInt instances = OptionalInt.empty();
        OptionalLong memory = OptionalLong.empty();
        if (q != null) {
            unknown(q, "quota.", QUOTA, problems);
            instances = integer(q.get("instances"), QUOTA_INSTANCES, 0, NamespaceQuota.MAX_INSTANCES, problems);
            JsonNode m = q.get("memory");
            if (m != null && !m.isNull()) {
                if (m.isTextual() || m.isIntegralNumber()) {
                    try {
                        memory = OptionalLong.of(NamespaceQuota.parseMemory(m.asText()));
                    } catch (IllegalArgumentException e) {
                        problems.add(e.getMessage());
                    }
                } else {
                    problems.add("key 'quota.memory': value " + m + " is not valid; allowed: " + NamespaceQuota.MEMORY_ALLOWED);
                }
            }
        }
        JsonNode l = object(body, "limits", problems);
        Optional<NamespaceRate> rate = Optional.empty();
        if (l != null) {
            unknown(l, "limits.", LIMITS, problems);
            OptionalInt burst = integer(l.get("burst"), LIMITS_BURST, 1, Rate.MAX_BURST, problems);
            JsonNode r = l.get("rate");
            if (r == null || r.isNull()) {
                if (burst.isPresent()) {
                    problems.add("key 'limits.burst': value " + burst.getAsInt() + " is given without 'limits.rate'; "
                            + "allowed: a burst together with a rate like \"100/s\"");
                }
            } else if (!r.isTextual()) {
                problems.add("key 'limits.rate': value " + r + " is not valid; allowed: " + Rate.ALLOWED);
            } else {
                try {
                    rate = Optional.of(NamespaceRate.parse(r.asText(), burst));
                } catch (IllegalArgumentException e) {
                    if (stored.isPresent() && STORED_DECIMAL.matcher(r.asText()).matches()) {
                        rate = storedDecimal(namespace, r.asText(), burst, stored.get());
                    } else {
                        problems.add(e.getMessage());
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new NamespaceSettings(namespace, new NamespaceQuota(instances, memory), rate, now);
    }

    /** The JSON form ({@code namespace}, {@code quota}, {@code limits}, {@code updatedAt}); absent keys left out. */
    public ObjectNode toJson() {
        ObjectNode out = Json.mapper().createObjectNode();
        out.put("namespace", namespace);
        ObjectNode q = out.putObject("quota");
        quota.instances().ifPresent(n -> q.put("instances", n));
        quota.memoryMb().ifPresent(mb -> q.put("memory", NamespaceQuota.formatMemory(mb)));
        ObjectNode l = out.putObject("limits");
        rate.ifPresent(r -> {
            l.put("rate", r.rate().toString());
            l.put("burst", r.burst());
        });
        out.put("updatedAt", updatedAt.toString());
        return out;
    }

    /** The stored form. */
    public byte[] toBytes() {
        return Json.bytes(toJson());
    }

    /**
     * Reads the stored form back. A rate an earlier release stored as decimal requests per second reads as the whole
     * count per minute or hour it equals ({@code "0.5/s"} as {@code 30/m}); one that equals none ({@code "0.0001/s"})
     * is left out, the rest kept, with a message to {@code warnings}.
     *
     * @param warnings told about what was stored but cannot be read any more (the caller logs it)
     * @throws IllegalArgumentException when it is not valid settings of a valid namespace
     */
    public static NamespaceSettings fromBytes(byte[] data, Consumer<String> warnings) {
        JsonNode n = Json.tree(data, "namespace settings");
        String ns = n.path("namespace").asText("");
        Instant at;
        try {
            at = Instant.parse(n.path("updatedAt").asText(""));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("key 'updatedAt': value " + n.get("updatedAt") + " is not an instant");
        }
        return parse(ns, n, at, Optional.of(warnings));
    }

    private static Optional<NamespaceRate> storedDecimal(String namespace, String text, OptionalInt burst,
            Consumer<String> warnings) {
        Optional<Rate> whole = NamespaceRate.fromStoredDecimal(text);
        if (whole.isEmpty()) {
            warnings.accept("namespace '" + namespace + "': key 'limits.rate': stored value '" + text + "' is no whole "
                    + "count per second, minute or hour, so the namespace has no rate limit now (its other settings "
                    + "hold); allowed: " + Rate.ALLOWED + "; set it again with PUT /api/v1/namespaces/" + namespace);
            return Optional.empty();
        }
        return Optional.of(new NamespaceRate(whole.get(), burst.orElse(whole.get().defaultBurst())));
    }

    private static JsonNode object(JsonNode body, String key, List<String> problems) {
        JsonNode v = body.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            problems.add("key '" + key + "': value " + v + " is not valid; allowed: an object");
            return null;
        }
        return v;
    }

    private static void unknown(JsonNode node, String prefix, Set<String> known, List<String> problems) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                problems.add("key '" + prefix + f + "' is not known; allowed: " + known.stream().sorted()
                        .map(k -> prefix + k).toList());
            }
        }
    }

    private static OptionalInt integer(JsonNode v, String key, int min, int max, List<String> problems) {
        if (v == null || v.isNull()) {
            return OptionalInt.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            problems.add("key '" + key + "': value " + v + " is not valid; allowed: a whole number from " + min + " to " + max);
            return OptionalInt.empty();
        }
        return OptionalInt.of(v.asInt());
    }
}
