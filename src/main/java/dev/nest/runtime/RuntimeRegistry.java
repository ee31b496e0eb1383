package dev.nest.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The runtimes installed on this node: every {@code <runtimes-dir>/<name>/runtime.yaml}. Adding a language
 * means adding a folder; nothing else changes.
 *
 * <p>Launch templates may use {@code ${runtimeDir}}, {@code ${node}} (the node's Node.js, {@link NodeBinary}:
 * {@code sidecar.drivers.process.node}, else {@code NEST_NODE}, else {@code node} on {@code PATH}),
 * {@code ${java}} (the JDK running Nest), {@code ${hostClasspath}} (where the Java host's classes are) and
 * {@code ${heapMb}} (about 75% of the function's memory).
 */
public final class RuntimeRegistry {
    private static final Logger LOG = Logger.getLogger(RuntimeRegistry.class.getName());
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z]+)}");

    private final Path dir;
    private final Map<String, RuntimeDefinition> runtimes;
    private final Map<String, String> problems;
    private final JavaFunctionCompiler compiler;
    private final NodeBinary node;

    private RuntimeRegistry(Path dir, Map<String, RuntimeDefinition> runtimes, Map<String, String> problems,
                            NodeBinary node) {
        this.dir = dir;
        this.runtimes = runtimes;
        this.problems = problems;
        this.node = node;
        this.compiler = new JavaFunctionCompiler(hostClasspath());
    }

    /**
     * Reads every runtime under {@code dir}, with the Node.js of this process's environment ({@code NEST_NODE},
     * else {@code PATH}); a broken {@code runtime.yaml} is reported, not fatal.
     */
    public static RuntimeRegistry load(Path dir) {
        return load(dir, NodeBinary.fromEnvironment());
    }

    /**
     * Reads every runtime under {@code dir}; {@code ${node}} names {@code node}'s binary. A broken
     * {@code runtime.yaml} is reported, not fatal.
     */
    public static RuntimeRegistry load(Path dir, NodeBinary node) {
        Map<String, RuntimeDefinition> found = new TreeMap<>();
        Map<String, String> problems = new TreeMap<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path d : s.sorted().toList()) {
                    Path yaml = d.resolve("runtime.yaml");
                    if (!Files.isRegularFile(yaml)) {
                        continue;
                    }
                    try {
                        RuntimeDefinition r = read(d, Json.yaml().readTree(yaml.toFile()));
                        found.put(r.name(), r);
                    } catch (IOException | RuntimeException e) {
                        String msg = d.getFileName() + "/runtime.yaml: " + e.getMessage();
                        problems.put(d.getFileName().toString(), msg);
                        LOG.warning("runtime not loaded: " + yaml + ": " + e.getMessage());
                    }
                }
            } catch (IOException e) {
                LOG.warning("cannot list runtimes in " + dir + ": " + e.getMessage());
            }
        } else {
            LOG.warning("runtimes directory " + dir + " does not exist; no function can run (set runtimes-dir)");
        }
        return new RuntimeRegistry(dir, found, problems, node);
    }

    private static RuntimeDefinition read(Path d, JsonNode n) {
        String name = n.path("name").asText(d.getFileName().toString());
        List<String> launch = new ArrayList<>();
        n.path("launch").forEach(x -> launch.add(x.asText()));
        if (launch.isEmpty()) {
            throw new IllegalArgumentException("key 'launch' is missing: give the host's argv as a list");
        }
        List<String> preload = new ArrayList<>();
        n.path("preload").forEach(x -> preload.add(x.asText()));
        List<String> mergedLaunch = new ArrayList<>();
        n.path("merged-launch").forEach(x -> mergedLaunch.add(x.asText()));
        JsonNode mf = n.path("max-functions");
        int maxFunctions = mf.isMissingNode() || mf.isNull() ? 1 : mf.canConvertToInt() && mf.isIntegralNumber()
                ? mf.asInt() : -1;
        if (maxFunctions < 1 || maxFunctions > 10_000) {
            throw new IllegalArgumentException("key 'max-functions': value '" + mf.asText(mf.toString())
                    + "' is not valid; allowed: an integer from 1 to 10000 (functions one merged pod may host)");
        }
        JsonNode pl = n.path("pipelining");
        if (!pl.isMissingNode() && !pl.isNull() && !pl.isBoolean()) {
            throw new IllegalArgumentException("key 'pipelining': value '" + pl.asText(pl.toString())
                    + "' is not valid; allowed: true (the host runs pipelined requests at the same time), false");
        }
        return new RuntimeDefinition(name, d.toAbsolutePath().normalize(), List.copyOf(launch),
                n.path("default-handler").asText(""), n.path("image").asText(""), n.path("memory").asInt(128),
                n.path("pool").asInt(0), maxFunctions, List.copyOf(preload), mergedLaunch,
                n.path("merged-isolation").asText(RuntimeDefinition.SHARED), pl.asBoolean(false));
    }

    public Path dir() {
        return dir;
    }

    public Collection<RuntimeDefinition> all() {
        return runtimes.values();
    }

    public Map<String, String> problems() {
        return problems;
    }

    public Optional<RuntimeDefinition> find(String name) {
        return Optional.ofNullable(runtimes.get(name));
    }

    /** The runtime, or a 400 that names it and lists what is installed. */
    public RuntimeDefinition require(String name) {
        RuntimeDefinition r = runtimes.get(name);
        if (r == null) {
            String why = problems.containsKey(name) ? " (its runtime.yaml is broken: " + problems.get(name) + ")" : "";
            throw new NestException(400, "runtime not installed", "runtime '" + name + "' is not installed on this node"
                    + why + "; installed runtimes: " + String.join(", ", runtimes.keySet())
                    + " (each is a folder with a runtime.yaml in the runtimes directory)");
        }
        return r;
    }

    /** The host command for a pod of {@code runtime} running a function with {@code memoryMb}. */
    public List<String> command(RuntimeDefinition runtime, int memoryMb) {
        return fill(runtime.launch(), runtime, memoryMb);
    }

    /**
     * The argv of {@code runtime}'s merged host ({@code merged-launch}) for a merged pod of {@code memoryMb}, with the
     * same variables as {@link #command}.
     *
     * @throws IllegalArgumentException when the runtime has no merged host
     */
    public List<String> mergedCommand(RuntimeDefinition runtime, int memoryMb) {
        if (runtime.mergedLaunch().isEmpty()) {
            throw new IllegalArgumentException("runtime '" + runtime.name() + "' has no merged-launch in its runtime.yaml");
        }
        return fill(runtime.mergedLaunch(), runtime, memoryMb);
    }

    private List<String> fill(List<String> template, RuntimeDefinition runtime, int memoryMb) {
        List<String> out = new ArrayList<>();
        for (String arg : template) {
            Matcher m = VAR.matcher(arg);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(sb, Matcher.quoteReplacement(variable(m.group(1), runtime, memoryMb)));
            }
            m.appendTail(sb);
            out.add(sb.toString());
        }
        return out;
    }

    private String variable(String name, RuntimeDefinition runtime, int memoryMb) {
        return switch (name) {
            case "runtimeDir" -> runtime.dir().toString();
            case "heapMb" -> String.valueOf(Math.max(8, memoryMb * 3 / 4));
            case "java" -> javaBinary();
            case "hostClasspath" -> hostClasspath().toString();
            case "node" -> node.verified(runtime.name());
            default -> throw new NestException(500, "runtime misconfigured", "runtime '" + runtime.name()
                    + "': runtime.yaml: unknown variable ${" + name + "} in launch; known: runtimeDir, heapMb, java, hostClasspath, node");
        };
    }

    /** The {@code java} binary of the JDK running Nest. */
    public static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The Node.js binary {@code ${node}} names on this node (checked at its first use). */
    public NodeBinary node() {
        return node;
    }

    /** Node.js on PATH ({@code node}, else {@code nodejs}), whatever {@link #node()} chose. */
    public static Optional<String> nodeBinary() {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/local/bin:/usr/bin:/bin");
        for (String name : List.of("node", "nodejs")) {
            for (String p : path.split(File.pathSeparator)) {
                Path candidate = Path.of(p, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate.toString());
                }
            }
        }
        return Optional.empty();
    }

    /** The jar or directory that holds the Java host and the function API ({@code dev.nest.fn}). */
    public static Path hostClasspath() {
        try {
            return Path.of(RuntimeRegistry.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate Nest's own classes", e);
        }
    }

    /**
     * Checks, before a version is written, that the handler of a function on {@code runtime} can be loaded as far
     * as this node can tell without running it: for a runtime launched with {@code ${node}}, the handler's file
     * must parse ({@code node --check}, bounded in time and output, see {@link NodeSyntaxCheck}). Does nothing for
     * other runtimes, when the handler's file is not found (the host reports that when it loads the function) or
     * when this node has no usable Node.js ({@link #node()}).
     *
     * @param handler the spec's handler; empty for the runtime's default
     * @throws NestException 400 "syntax error" with {@code file:line: message}, the file relative to the code
     */
    public void check(String runtime, String handler, Path codeDir) {
        RuntimeDefinition r = runtimes.get(runtime);
        if (r == null || r.launch().stream().noneMatch(a -> a.contains("${node}"))) {
            return;
        }
        String h = handler.isEmpty() ? r.defaultHandler() : handler;
        Optional<Path> file = NodeSyntaxCheck.handlerFile(codeDir, h);
        if (file.isEmpty() || node.choice().isEmpty()) {
            return;
        }
        String binary;
        try {
            binary = node.verified(r.name());
        } catch (NestException e) {
            return; // logged by the check; the pod start reports it
        }
        new NodeSyntaxCheck(binary, NodeSyntaxCheck.TIMEOUT).check(codeDir, file.get()).ifPresent(error -> {
            throw new NestException(400, "syntax error", error + " (the handler '" + h + "' does not parse; fix it and"
                    + " deploy again)");
        });
    }

    /**
     * Prepares unpacked code for {@code runtime} before it is stored: compiles Java sources.
     *
     * @throws NestException 400 "compile error" with {@code file:line:column: message} per error
     */
    public void prepare(String runtime, Path codeDir) {
        if (!runtime.equals("java")) {
            return;
        }
        JavaFunctionCompiler.Result result = compiler.compile(codeDir, codeDir.resolve("classes"));
        if (!result.ok()) {
            StringBuilder sb = new StringBuilder();
            for (JavaFunctionCompiler.Diagnostic d : result.errors()) {
                sb.append(sb.isEmpty() ? "" : "\n").append(d);
            }
            throw new NestException(400, "compile error", sb.toString());
        }
    }
}
