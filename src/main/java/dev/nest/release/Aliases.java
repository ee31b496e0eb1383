package dev.nest.release;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.NestException;
import dev.nest.function.Alias;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import dev.nest.store.AuditEntry;
import java.time.Clock;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The API's alias operations: set ({@code {"versions": {"1": 90, "2": 10}, "sticky": "header:X-User-Id"}} or
 * {@code {"version": 3}}), remove, and their JSON views. Each write is one optimistic update of the function's head
 * and an audit entry. Refusals: 400 for a body, name, weight or version that is not valid (naming it), 404 for an
 * unknown function or alias, 409 for a file-defined function, for removing {@code live}, and for setting {@code live}
 * while a release runs. Thread-safe (no state of its own).
 */
public final class Aliases {
    private final FunctionRegistry registry;
    private final Consumer<AuditEntry> audit;
    private final Clock clock;

    public Aliases(FunctionRegistry registry, Consumer<AuditEntry> audit, Clock clock) {
        this.registry = registry;
        this.audit = audit;
        this.clock = clock;
    }

    /** Sets alias {@code name} of {@code id} from a request body; returns the stored record. */
    public FunctionRecord set(FunctionId id, String name, JsonNode body, String source) {
        Alias.requireName(name);
        Alias alias = parse(body);
        Ownership.require(registry, id, "set aliases");
        FunctionRecord r = registry.update(id, Releases.API_ORIGIN, current -> {
            Ownership.check(current, "set aliases");
            return current.withAlias(name, alias, clock.instant());
        });
        audit.accept(new AuditEntry(clock.instant(), id.toString(), "alias-set", alias.primary(), source,
                name + " " + alias.weights() + alias.sticky().map(s -> " sticky " + s).orElse("")));
        return r;
    }

    /** Removes alias {@code name}; 404 when there is none. */
    public FunctionRecord remove(FunctionId id, String name, String source) {
        Alias.requireName(name);
        FunctionRecord found = Ownership.require(registry, id, "delete aliases");
        if (found.alias(name).isEmpty()) {
            throw missing(found, name);
        }
        FunctionRecord r = registry.update(id, Releases.API_ORIGIN, current -> {
            Ownership.check(current, "delete aliases");
            return current.withoutAlias(name, clock.instant());
        });
        audit.accept(new AuditEntry(clock.instant(), id.toString(), "alias-delete", 0, source, name));
        return r;
    }

    /** Alias {@code name} of {@code id}; 404 when either is missing. */
    public Alias get(FunctionId id, String name) {
        Alias.requireName(name);
        FunctionRecord r = registry.get(id).orElseThrow(() -> NestException.notFound("function", "no function " + id));
        return r.alias(name).orElseThrow(() -> missing(r, name));
    }

    /** Every alias of {@code id}. */
    public Map<String, Object> list(FunctionId id) {
        FunctionRecord r = registry.get(id).orElseThrow(() -> NestException.notFound("function", "no function " + id));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("function", id.toString());
        out.put("live", r.live());
        Map<String, Object> all = new LinkedHashMap<>();
        r.aliases().forEach((name, a) -> all.put(name, view(name, a)));
        out.put("aliases", all);
        return out;
    }

    /** The JSON view of one alias: name, versions (weights by version) and sticky when set. */
    public static Map<String, Object> view(String name, Alias a) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        Map<String, Integer> w = new LinkedHashMap<>();
        a.weights().forEach((v, p) -> w.put(Integer.toString(v), p));
        out.put("versions", w);
        a.sticky().ifPresent(s -> out.put("sticky", s.toString()));
        return out;
    }

    /**
     * Reads an alias from {@code body}.
     *
     * @throws NestException 400 naming the key, the value and what is allowed
     */
    static Alias parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw NestException.badRequest("the request body must be a JSON object such as {\"versions\": {\"1\": 90, \"2\": 10}}");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("versions") && !k.equals("version") && !k.equals("sticky")) {
                throw NestException.badRequest("key '" + k + "' is not known; allowed: versions, version, sticky");
            }
        }
        TreeMap<Integer, Integer> w = new TreeMap<>();
        if (body.has("version")) {
            if (body.has("versions")) {
                throw NestException.badRequest("give either 'version' or 'versions', not both");
            }
            w.put(version(body.get("version"), "version"), 100);
        } else {
            JsonNode vs = body.path("versions");
            if (!vs.isObject() || vs.isEmpty()) {
                throw NestException.badRequest("key 'versions': value '" + vs + "' is not valid; allowed: an object of "
                        + "version -> percent, e.g. {\"1\": 90, \"2\": 10}");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = vs.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int v;
                try {
                    v = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    v = -1;
                }
                if (v < 1) {
                    throw NestException.badRequest("key 'versions': '" + shorten(e.getKey()) + "' is not a version; allowed: 1, 2, ...");
                }
                JsonNode p = e.getValue();
                if (!p.isIntegralNumber() || p.asLong() < 0 || p.asLong() > 100) {
                    throw NestException.badRequest("key 'versions." + v + "': value '" + shorten(p.toString())
                            + "' is not valid; allowed: a whole percent from 0 to 100");
                }
                w.put(v, p.asInt());
            }
        }
        Optional<Alias.Sticky> sticky = Optional.empty();
        if (body.hasNonNull("sticky")) {
            try {
                sticky = Optional.of(Alias.Sticky.parse(body.get("sticky").asText()));
            } catch (IllegalArgumentException e) {
                throw NestException.badRequest("key 'sticky': " + e.getMessage());
            }
        }
        try {
            return new Alias(w, sticky);
        } catch (IllegalArgumentException e) {
            throw NestException.badRequest("key 'versions': " + e.getMessage());
        }
    }

    private static int version(JsonNode n, String key) {
        if (n == null || !n.isIntegralNumber() || n.asLong() < 1 || n.asLong() > Integer.MAX_VALUE) {
            throw NestException.badRequest("key '" + key + "': value '" + (n == null ? "" : shorten(n.toString()))
                    + "' is not valid; allowed: a version number (1, 2, ...)");
        }
        return n.asInt();
    }

    private static NestException missing(FunctionRecord r, String name) {
        return NestException.notFound("alias", "function " + r.id() + " has no alias '" + name + "'; its aliases are "
                + r.aliases().keySet());
    }

    static String shorten(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return s.length() > 80 ? out + "..." : out.toString();
    }
}
