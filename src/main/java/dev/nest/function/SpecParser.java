package dev.nest.function;

import static dev.nest.function.Fields.shown;
import static dev.nest.function.Fields.unknownKeys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads a function spec from a JSON or YAML tree (config files, the API, ZooKeeper all use the same form)
 * and validates it. Every problem is collected, so a user sees all mistakes at once; each names the key,
 * the value and what is allowed. Unknown keys are refused, so typos do not pass silently.
 */
public final class SpecParser {
    public static final int MIN_MEMORY_MB = 16;
    public static final int MAX_MEMORY_MB = 32768;
    public static final Duration MAX_TIMEOUT = Duration.ofHours(1);
    public static final int MAX_CONCURRENCY = 1000;
    public static final int MAX_INSTANCES = 10000;
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern RUNTIME = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Set<String> TOP_KEYS = Set.of("name", "namespace", "runtime", "code", "handler", "memory",
            "timeout", "concurrency", "env", "scaling", "queue", "description", "auth", "async",
            "limits", "degrade", "triggers", "http", "deploy");
    private static final Set<String> QUEUE_KEYS = Set.of("size", "timeout");

    /** Defaults for keys a spec leaves out. */
    public record Defaults(int memoryMb, Duration timeout, int concurrency) {
        public static final Defaults STANDARD = new Defaults(128, Duration.ofSeconds(30), 1);
    }

    /** A parsed spec, plus the {@code code} key when the source may name a code directory. */
    public record Parsed(FunctionSpec spec, Optional<String> code, String description) {
    }

    private SpecParser() {
    }

    /**
     * Parses and validates.
     *
     * @param tree        the document
     * @param source      what to call the document in messages (a file name, "request body")
     * @param defaultName name to use when the document has none (e.g. the file's base name), may be empty
     * @param defaults    values for keys left out
     * @throws SpecException listing every problem
     */
    public static Parsed parse(JsonNode tree, String source, String defaultName, Defaults defaults) {
        List<SpecProblem> problems = new ArrayList<>();
        if (tree == null || !tree.isObject()) {
            problems.add(new SpecProblem("(document)", tree == null ? null : tree.getNodeType().toString().toLowerCase(),
                    "a mapping with at least 'name' and 'runtime'"));
            throw new SpecException(source, problems);
        }
        unknownKeys(tree, "", TOP_KEYS, problems);

        int before = problems.size();
        String name = text(tree, "name", problems).orElse(defaultName == null ? "" : defaultName);
        if (name.isEmpty()) {
            if (problems.size() == before) {
                problems.add(new SpecProblem("name", null, "required: " + FunctionId.LABEL_RULE));
            }
        } else if (!FunctionId.LABEL.matcher(name).matches()) {
            problems.add(new SpecProblem("name", name, FunctionId.LABEL_RULE));
        }
        String namespace = text(tree, "namespace", problems).orElse(FunctionId.DEFAULT_NAMESPACE);
        if (!FunctionId.LABEL.matcher(namespace).matches()) {
            problems.add(new SpecProblem("namespace", namespace, FunctionId.LABEL_RULE));
        }
        String runtime = text(tree, "runtime", problems).orElse("");
        if (runtime.isEmpty()) {
            problems.add(new SpecProblem("runtime", null, "required: the name of a runtime, e.g. nodejs or java"));
        } else if (!RUNTIME.matcher(runtime).matches()) {
            problems.add(new SpecProblem("runtime", runtime, "a runtime name such as nodejs or java"));
        }
        String handler = text(tree, "handler", problems).orElse("");
        if (handler.length() > 256 || handler.chars().anyMatch(c -> c < 32 || c == '/' && handler.startsWith("/"))) {
            problems.add(new SpecProblem("handler", handler, "a handler such as index.handler (Node.js) or com.example.Handler (Java)"));
        }
        Optional<String> code = text(tree, "code", problems);
        String description = text(tree, "description", problems).orElse("");
        int memory = integer(tree, "memory", defaults.memoryMb(), MIN_MEMORY_MB, MAX_MEMORY_MB,
                "an integer number of MiB", problems);
        Duration timeout = duration(tree, "timeout", defaults.timeout(), Duration.ofMillis(1), MAX_TIMEOUT, problems);
        int concurrency = integer(tree, "concurrency", defaults.concurrency(), 1, MAX_CONCURRENCY,
                "an integer number of in-flight requests per instance", problems);
        Map<String, String> env = env(tree, problems);
        InvocationAuth auth = auth(tree, problems);

        ScalingSpec scaling = ScalingParser.parse(tree.get("scaling"), problems);
        QueueSpec queue = QueueSpec.DEFAULT;
        JsonNode q = tree.get("queue");
        if (q != null && !q.isNull()) {
            if (!q.isObject()) {
                problems.add(new SpecProblem("queue", shown(q), "a mapping with size, timeout"));
            } else {
                unknownKeys(q, "queue.", QUEUE_KEYS, problems);
                int size = integer(q, "queue.size", "size", QueueSpec.DEFAULT.size(), 0, 100_000, "an integer number of requests", problems);
                Duration qt = duration(q, "queue.timeout", "timeout", QueueSpec.DEFAULT.timeout(), Duration.ZERO, MAX_TIMEOUT, problems);
                queue = new QueueSpec(size, qt);
            }
        }
        AsyncSpec async = AsyncParser.parse(tree.get("async"), problems);
        LimitsSpec limits = LimitsParser.parse(tree.get("limits"), problems);
        Optional<DegradeSpec> degrade = DegradeParser.parse(tree.get("degrade"), name, problems);
        List<TriggerSpec> triggers = TriggerParser.parse(tree.get("triggers"), problems);
        boolean http = TriggerParser.http(tree.get("http"), problems);
        DeployMode deploy = deploy(tree, problems);
        if (!problems.isEmpty()) {
            throw new SpecException(source, problems);
        }
        FunctionSpec spec = new FunctionSpec(new FunctionId(namespace, name), runtime, handler, memory, timeout,
                concurrency, env, scaling, queue, auth, async, limits, degrade, triggers, http, deploy);
        return new Parsed(spec, code, description);
    }

    /** The canonical document of a spec; {@link #parse} reads it back to an equal spec. */
    public static ObjectNode write(FunctionSpec spec) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("name", spec.id().name());
        n.put("namespace", spec.id().namespace());
        n.put("runtime", spec.runtime());
        if (!spec.handler().isEmpty()) {
            n.put("handler", spec.handler());
        }
        n.put("memory", spec.memoryMb());
        n.put("timeout", Durations.format(spec.timeout()));
        n.put("concurrency", spec.concurrency());
        ObjectNode env = n.putObject("env");
        new TreeMap<>(spec.env()).forEach(env::put);
        n.set("scaling", ScalingParser.write(spec.scaling()));
        ObjectNode qu = n.putObject("queue");
        qu.put("size", spec.queue().size());
        qu.put("timeout", Durations.format(spec.queue().timeout()));
        if (spec.auth() != InvocationAuth.PUBLIC) {
            n.put("auth", spec.auth().key()); // left out when public, so that documents written before it stay equal
        }
        AsyncParser.write(spec.async()).ifPresent(a -> n.set("async", a));
        LimitsParser.write(spec.limits()).ifPresent(l -> n.set("limits", l));
        DegradeParser.write(spec.degrade()).ifPresent(d -> n.set("degrade", d));
        TriggerParser.write(spec.triggers()).ifPresent(t -> n.set("triggers", t));
        if (!spec.http()) {
            n.put("http", false); // left out when true, so that documents written before it stay equal
        }
        if (spec.deploy() != DeployMode.AUTO) {
            n.put("deploy", spec.deploy().key()); // left out when auto, so that documents written before it stay equal
        }
        return n;
    }

    private static Optional<String> text(JsonNode tree, String key, List<SpecProblem> problems) {
        JsonNode v = tree.get(key);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isValueNode() || v.isBinary()) {
            problems.add(new SpecProblem(key, shown(v), "a string"));
            return Optional.empty();
        }
        return Optional.of(v.asText().trim());
    }

    private static int integer(JsonNode tree, String key, int dflt, int min, int max, String what,
                               List<SpecProblem> problems) {
        return Fields.integer(tree.get(key), key, dflt, min, max, what, problems);
    }

    private static int integer(JsonNode tree, String fullKey, String key, int dflt, int min, int max, String what,
                               List<SpecProblem> problems) {
        return Fields.integer(tree.get(key), fullKey, dflt, min, max, what, problems);
    }

    private static Duration duration(JsonNode tree, String key, Duration dflt, Duration min, Duration max,
                                     List<SpecProblem> problems) {
        return Fields.duration(tree.get(key), key, dflt, min, max, problems);
    }

    private static Duration duration(JsonNode tree, String fullKey, String key, Duration dflt, Duration min,
                                     Duration max, List<SpecProblem> problems) {
        return Fields.duration(tree.get(key), fullKey, dflt, min, max, problems);
    }

    /** {@code auth}: public (the default, also for specs stored before the key existed) or token. */
    private static InvocationAuth auth(JsonNode tree, List<SpecProblem> problems) {
        JsonNode v = tree.get("auth");
        if (v == null || v.isNull()) {
            return InvocationAuth.PUBLIC;
        }
        Optional<InvocationAuth> auth = v.isTextual() ? InvocationAuth.of(v.asText()) : Optional.empty();
        if (auth.isEmpty()) {
            problems.add(new SpecProblem("auth", shown(v), InvocationAuth.ALLOWED
                    + " (public: anyone may invoke it; token: only callers with a Nest token that may invoke functions "
                    + "in its namespace)"));
            return InvocationAuth.PUBLIC;
        }
        return auth.get();
    }

    /** {@code deploy}: auto (the default, also for specs stored before the key existed), dedicated or merged. */
    private static DeployMode deploy(JsonNode tree, List<SpecProblem> problems) {
        JsonNode v = tree.get("deploy");
        if (v == null || v.isNull()) {
            return DeployMode.AUTO;
        }
        Optional<DeployMode> mode = v.isTextual() ? DeployMode.of(v.asText()) : Optional.empty();
        if (mode.isEmpty()) {
            problems.add(new SpecProblem("deploy", shown(v), DeployMode.ALLOWED
                    + " (dedicated: a pod per instance; merged: a worker in a pod shared with other functions of its"
                    + " runtime and namespace; auto: merged while its traffic is low)"));
            return DeployMode.AUTO;
        }
        return mode.get();
    }

    private static Map<String, String> env(JsonNode tree, List<SpecProblem> problems) {
        JsonNode v = tree.get("env");
        if (v == null || v.isNull()) {
            return Map.of();
        }
        if (!v.isObject()) {
            problems.add(new SpecProblem("env", shown(v), "a mapping of NAME: value"));
            return Map.of();
        }
        Map<String, String> env = new LinkedHashMap<>();
        v.fields().forEachRemaining(e -> {
            String k = e.getKey();
            if (!ENV_NAME.matcher(k).matches()) {
                problems.add(new SpecProblem("env." + k, null, "variable names are letters, digits and '_', not starting with a digit"));
            } else if (k.startsWith("NEST_")) {
                problems.add(new SpecProblem("env." + k, null, "names starting with NEST_ are reserved for Nest"));
            } else if (!e.getValue().isValueNode()) {
                problems.add(new SpecProblem("env." + k, e.getValue().toString(), "a string, number or boolean"));
            } else {
                env.put(k, e.getValue().isNull() ? "" : e.getValue().asText());
            }
        });
        return env;
    }
}
