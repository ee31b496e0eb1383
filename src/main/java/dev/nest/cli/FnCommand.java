package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.artifact.ChunkManifest;
import dev.nest.artifact.ChunkedPackage;
import dev.nest.artifact.Codec;
import dev.nest.common.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code nest fn ...}: manage and call functions on a Nest server. */
@Command(name = "fn", mixinStandardHelpOptions = true, description = "Manage and invoke functions.",
        subcommands = {FnCommand.Init.class, FnCommand.Deploy.class, FnCommand.Invoke.class, FnCommand.Ls.class,
                FnCommand.Versions.class, FnCommand.Rollback.class, FnCommand.Logs.class, FnCommand.Invocations.class,
                FnCommand.Delete.class})
public final class FnCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every command that talks to a server shares. */
    static final class Server {
        @Option(names = "--server", description = "server URL (default: $NEST_SERVER, else http://127.0.0.1:8080)")
        String server;
        @Option(names = {"-n", "--namespace"}, description = "namespace (default: default)", defaultValue = "default")
        String namespace;

        ApiClient client() {
            String url = server != null ? server
                    : Optional.ofNullable(System.getenv("NEST_SERVER")).filter(s -> !s.isBlank()).orElse("http://127.0.0.1:8080");
            return new ApiClient(url);
        }

        String ns() {
            return "namespace=" + URLEncoder.encode(namespace, StandardCharsets.UTF_8);
        }
    }

    /** Base of commands: turns {@link CliException} into exit code 1 and a message. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Override
        public final Integer call() {
            try {
                return execute();
            } catch (CliException e) {
                spec.commandLine().getErr().println("error: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return 1;
            } finally {
                out().flush();
            }
        }

        abstract int execute();
    }

    @Command(name = "init", mixinStandardHelpOptions = true, description = "Write a working function template into directory NAME.")
    static final class Init extends Base {
        @Parameters(index = "0", description = "function name (also the directory)")
        String name;
        @Option(names = "--runtime", required = true, description = "nodejs or java")
        String runtime;

        @Override
        int execute() {
            if (!dev.nest.function.FunctionId.LABEL.matcher(name).matches()) {
                throw new CliException("'" + name + "' is not a valid function name: use " + dev.nest.function.FunctionId.LABEL_RULE);
            }
            Path dir = Path.of(name);
            if (Files.exists(dir)) {
                throw new CliException(dir.toAbsolutePath() + " already exists; choose another name or remove it");
            }
            try {
                Files.createDirectories(dir);
                switch (runtime) {
                    case "nodejs" -> {
                        Files.writeString(dir.resolve("function.yaml"), Templates.nodeYaml(name));
                        Files.writeString(dir.resolve("index.js"), Templates.NODE_HANDLER);
                    }
                    case "java" -> {
                        Files.writeString(dir.resolve("function.yaml"), Templates.javaYaml(name));
                        Files.writeString(dir.resolve("Handler.java"), Templates.JAVA_HANDLER);
                    }
                    default -> throw new CliException("--runtime '" + runtime + "' is not known to init; use nodejs or java");
                }
            } catch (IOException e) {
                throw new CliException("cannot write " + dir + ": " + e.getMessage());
            }
            out().println("Created " + dir + "/ (" + runtime + "). Deploy it with: nest fn deploy " + dir);
            return 0;
        }
    }

    @Command(name = "deploy", mixinStandardHelpOptions = true,
            description = "Package DIR, upload it and make it the live version. Reads DIR/function.yaml for the spec.")
    static final class Deploy extends Base {
        @Parameters(index = "0", description = "the function's directory")
        Path dir;
        @Mixin
        Server server;
        @Option(names = "--name", description = "function name (default: function.yaml's name, else the directory name)")
        String name;
        @Option(names = "--runtime", description = "runtime (default: function.yaml's, else guessed from the files)")
        String runtime;
        @Option(names = "--handler", description = "handler (default: function.yaml's, else the runtime's default)")
        String handler;
        @Option(names = "--codec", description = "chunk compression: zstd or lz4 (default: lz4 below 1 MiB, else zstd)")
        String codec;

        /** Packages showing at least this many compressed bytes to upload get a progress line. */
        static final long PROGRESS_ABOVE = 4L << 20;

        /**
         * Packs the directory into compressed chunks (in memory), uploads only the chunks the server lacks
         * (HEAD first), then posts the manifest; returns the server's {digest, files, bytes}.
         */
        private JsonNode uploadChunked(ApiClient api, String rt) {
            Map<String, byte[]> chunks = new LinkedHashMap<>();
            ChunkManifest m;
            try {
                m = ChunkedPackage.write(dir, p -> !p.equals("function.yaml") && !p.equals("function.yml"),
                        Optional.ofNullable(codec).map(c -> {
                            try {
                                return Codec.parse(c);
                            } catch (RuntimeException e) {
                                throw new CliException("--codec '" + c + "' is not known; use zstd or lz4");
                            }
                        }), ChunkManifest.DEFAULT_CHUNK_BYTES, chunks::put);
            } catch (IOException e) {
                throw new CliException("cannot package " + dir + ": " + e.getMessage());
            } catch (RuntimeException e) {
                throw new CliException("cannot package " + dir + ": " + e.getMessage());
            }
            List<String> missing = new ArrayList<>();
            for (String sha : chunks.keySet()) {
                int status = api.send(api.request("/api/v1/artifacts/chunks/" + sha)
                        .method("HEAD", HttpRequest.BodyPublishers.noBody())).statusCode();
                if (status != 200) {
                    missing.add(sha);
                }
            }
            long toSend = missing.stream().mapToLong(sha -> chunks.get(sha).length).sum();
            boolean progress = toSend >= PROGRESS_ABOVE;
            PrintWriter err = spec.commandLine().getErr();
            long sent = 0;
            for (int i = 0; i < missing.size(); i++) {
                byte[] c = chunks.get(missing.get(i));
                api.json(api.request("/api/v1/artifacts/chunks/" + missing.get(i))
                        .header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(c)));
                sent += c.length;
                if (progress) {
                    int width = 30;
                    int filled = (int) (width * sent / toSend);
                    err.printf("\rUploading [%s%s] %3d%%  %.1f/%.1f MiB  chunk %d/%d", "#".repeat(filled),
                            " ".repeat(width - filled), 100 * sent / toSend, sent / 1048576.0, toSend / 1048576.0, i + 1, missing.size());
                    err.flush();
                }
            }
            if (progress) {
                err.printf("%nUploaded %d of %d chunks (%s, %.1f MiB unpacked -> %.1f MiB compressed)%n", missing.size(),
                        chunks.size(), m.codec().id(), m.bytes() / 1048576.0, m.compressedBytes() / 1048576.0);
                err.flush();
            }
            return api.json(api.request("/api/v1/artifacts/manifests?runtime=" + URLEncoder.encode(rt, StandardCharsets.UTF_8))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(m.toJson())));
        }

        @Override
        int execute() {
            if (!Files.isDirectory(dir)) {
                throw new CliException(dir + " is not a directory; pass the function's directory");
            }
            ObjectNode spec = readSpec();
            String fn = spec.path("name").asText();
            String rt = spec.path("runtime").asText();
            long t0 = System.nanoTime();
            ApiClient api = server.client();
            JsonNode a = uploadChunked(api, rt);
            int files = a.path("files").asInt();
            String ns = spec.path("namespace").asText(server.namespace);
            JsonNode d = api.post("/api/v1/functions/" + fn + "/versions?namespace=" + ns,
                    Map.of("spec", spec, "digest", a.path("digest").asText()));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (d.path("changed").asBoolean(true)) {
                out().printf("Deployed %s/%s version %d (%d files, %s) in %d ms%n", ns, fn, d.path("version").asInt(), files,
                        a.path("digest").asText().substring(0, 19), ms);
            } else {
                out().printf("%s/%s is unchanged: version %d is live%n", ns, fn, d.path("version").asInt());
            }
            out().println("URL: " + d.path("url").asText());
            return 0;
        }

        private ObjectNode readSpec() {
            ObjectNode spec = Json.mapper().createObjectNode();
            for (String f : List.of("function.yaml", "function.yml")) {
                Path p = dir.resolve(f);
                if (Files.isRegularFile(p)) {
                    try {
                        JsonNode t = Json.yaml().readTree(p.toFile());
                        if (t != null && t.isObject()) {
                            spec = (ObjectNode) t;
                        } else if (t != null && !t.isNull() && !t.isMissingNode()) {
                            throw new CliException(p + " must be a mapping of keys (name, runtime, handler, ...)");
                        }
                    } catch (IOException e) {
                        throw new CliException(p + " is not valid YAML: " + e.getMessage());
                    }
                    break;
                }
            }
            spec.remove("code");
            if (name != null) {
                spec.put("name", name);
            } else if (!spec.hasNonNull("name")) {
                spec.put("name", dir.toAbsolutePath().normalize().getFileName().toString().toLowerCase().replaceAll("[^a-z0-9-]", "-"));
            }
            if (runtime != null) {
                spec.put("runtime", runtime);
            } else if (!spec.hasNonNull("runtime")) {
                spec.put("runtime", guessRuntime());
            }
            if (handler != null) {
                spec.put("handler", handler);
            }
            if (!spec.has("namespace")) {
                spec.put("namespace", server.namespace);
            }
            return spec;
        }

        private String guessRuntime() {
            try (Stream<Path> s = Files.walk(dir, 3)) {
                List<String> names = s.map(p -> p.getFileName().toString()).toList();
                if (names.contains("package.json") || names.stream().anyMatch(n -> n.endsWith(".js") || n.endsWith(".mjs"))) {
                    return "nodejs";
                }
                if (names.stream().anyMatch(n -> n.endsWith(".java") || n.endsWith(".jar") || n.endsWith(".class"))) {
                    return "java";
                }
            } catch (IOException ignored) {
                // fall through
            }
            throw new CliException("cannot tell the runtime of " + dir + "; pass --runtime nodejs|java or add function.yaml");
        }
    }

    @Command(name = "invoke", mixinStandardHelpOptions = true, description = "Call a function and print its response.")
    static final class Invoke extends Base {
        @Parameters(index = "0", description = "function name")
        String name;
        @Mixin
        Server server;
        @Option(names = {"-d", "--data"}, description = "request body; @FILE reads a file (the method becomes POST)")
        String data;
        @Option(names = {"-X", "--method"}, description = "HTTP method (default GET, or POST with --data)")
        String method;
        @Option(names = "--path", description = "path after the function's URL, e.g. /users/1?x=2", defaultValue = "")
        String path;
        @Option(names = {"-H", "--header"}, description = "request header 'Name: value' (repeatable)")
        List<String> headers = new ArrayList<>();
        @Option(names = {"-v", "--verbose"}, description = "print status, headers, invocation id and phase timings")
        boolean verbose;

        @Override
        int execute() {
            ApiClient api = server.client();
            String p = path.isEmpty() || path.startsWith("/") || path.startsWith("?") ? path : "/" + path;
            String url = (server.namespace.equals("default") ? "/fn/" + name : "/ns/" + server.namespace + "/fn/" + name) + p;
            byte[] body = new byte[0];
            if (data != null) {
                try {
                    body = data.startsWith("@") ? Files.readAllBytes(Path.of(data.substring(1))) : data.getBytes(StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new CliException("cannot read " + data.substring(1) + ": " + e.getMessage());
                }
            }
            String m = method != null ? method.toUpperCase() : data != null ? "POST" : "GET";
            HttpRequest.Builder b = api.request(url).method(m, body.length == 0 && data == null
                    ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            boolean contentType = false;
            for (String h : headers) {
                int c = h.indexOf(':');
                if (c <= 0) {
                    throw new CliException("header '" + h + "' is not 'Name: value'");
                }
                contentType |= h.substring(0, c).trim().equalsIgnoreCase("content-type");
                b.header(h.substring(0, c).trim(), h.substring(c + 1).trim());
            }
            if (data != null && !contentType) {
                String t = new String(body, StandardCharsets.UTF_8).trim();
                b.header("Content-Type", t.startsWith("{") || t.startsWith("[") ? "application/json" : "text/plain");
            }
            HttpResponse<byte[]> r = api.send(b);
            String id = r.headers().firstValue("x-nest-invocation-id").orElse("");
            if (verbose) {
                out().println("HTTP " + r.statusCode() + "  invocation " + id
                        + (r.headers().firstValue("x-nest-cold").isPresent() ? "  (cold start)" : ""));
                r.headers().map().forEach((k, v) -> v.forEach(x -> out().println(k + ": " + x)));
                out().println();
            }
            out().println(new String(r.body(), StandardCharsets.UTF_8));
            if (verbose && !id.isEmpty()) {
                try {
                    JsonNode inv = api.get("/api/v1/invocations/" + id).path("invocation");
                    out().println("\nphases (ms): " + phases(inv.path("phases"))
                            + String.format(java.util.Locale.ROOT, "  total=%.2f", inv.path("durationMs").asDouble()));
                } catch (CliException e) {
                    out().println("(phase timings unavailable: " + e.getMessage() + ")");
                }
            }
            return r.statusCode() >= 400 ? 1 : 0;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List functions.")
    static final class Ls extends Base {
        @Mixin
        Server server;
        @Option(names = {"-A", "--all-namespaces"}, description = "list every namespace")
        boolean all;

        @Override
        int execute() {
            JsonNode list = server.client().get("/api/v1/functions" + (all ? "" : "?" + server.ns())).path("functions");
            out().printf("%-24s %-12s %-8s %-6s %-9s %-8s %s%n", "NAME", "NAMESPACE", "RUNTIME", "LIVE", "VERSIONS", "STATUS", "ERROR");
            for (JsonNode f : list) {
                out().printf("%-24s %-12s %-8s %-6s %-9s %-8s %s%n", f.path("name").asText(), f.path("namespace").asText(),
                        f.path("runtime").asText("-"), f.path("live").asInt(0), f.path("versions").asInt(0),
                        f.path("status").asText(), f.path("error").asText(""));
            }
            return 0;
        }
    }

    @Command(name = "versions", mixinStandardHelpOptions = true, description = "List a function's versions.")
    static final class Versions extends Base {
        @Parameters(index = "0")
        String name;
        @Mixin
        Server server;

        @Override
        int execute() {
            JsonNode r = server.client().get("/api/v1/functions/" + name + "/versions?" + server.ns());
            out().printf("%-8s %-5s %-24s %-19s %s%n", "VERSION", "LIVE", "CREATED", "DIGEST", "SOURCE");
            for (JsonNode v : r.path("versions")) {
                out().printf("%-8d %-5s %-24s %-19s %s%n", v.path("version").asInt(), v.path("live").asBoolean() ? "*" : "",
                        v.path("createdAt").asText(), v.path("digest").asText().substring(0, 19), v.path("source").asText());
            }
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Make an earlier version live again (default: the previously live one).")
    static final class Rollback extends Base {
        @Parameters(index = "0")
        String name;
        @Mixin
        Server server;
        @Option(names = "--to", description = "version to make live")
        Integer to;

        @Override
        int execute() {
            JsonNode r = server.client().post("/api/v1/functions/" + name + "/rollback?" + server.ns(),
                    to == null ? Map.of() : Map.of("to", to));
            out().println(r.path("namespace").asText() + "/" + name + ": live version is now " + r.path("live").asInt());
            return 0;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Print a function's recent log lines.")
    static final class Logs extends Base {
        @Parameters(index = "0")
        String name;
        @Mixin
        Server server;
        @Option(names = "--limit", defaultValue = "100")
        int limit;
        @Option(names = "--invocation", description = "only lines of this invocation")
        String invocation;

        @Override
        int execute() {
            String q = "/api/v1/functions/" + name + "/logs?" + server.ns() + "&limit=" + limit
                    + (invocation == null ? "" : "&invocation=" + URLEncoder.encode(invocation, StandardCharsets.UTF_8));
            for (JsonNode l : server.client().get(q).path("logs")) {
                out().printf("%s %-5s %s %s%n", l.path("at").asText(), l.path("level").asText().toUpperCase(),
                        l.path("invocationId").asText().isEmpty() ? "[" + l.path("instance").asText() + "]"
                                : l.path("invocationId").asText(), l.path("text").asText());
            }
            return 0;
        }
    }

    /**
     * An invocation's phases as {@code name=ms} in the record's order; when the code was fetched, a note that
     * {@code fetch}, {@code decompress} and {@code unpack} overlap (they run pipelined, chunk by chunk).
     */
    static String phases(JsonNode phases) {
        StringBuilder sb = new StringBuilder();
        phases.fields().forEachRemaining(e -> sb.append(sb.isEmpty() ? "" : " ")
                .append(String.format(java.util.Locale.ROOT, "%s=%.2f", e.getKey(), e.getValue().asDouble())));
        if (phases.has("fetch")) {
            sb.append(" (fetch, decompress and unpack overlap)");
        }
        return sb.toString();
    }

    @Command(name = "invocations", mixinStandardHelpOptions = true,
            description = "List a function's recent invocations on this node, newest first, with their phase timings.")
    static final class Invocations extends Base {
        @Parameters(index = "0")
        String name;
        @Mixin
        Server server;
        @Option(names = "--limit", defaultValue = "20", description = "how many (default: 20)")
        int limit;

        @Override
        int execute() {
            JsonNode list = server.client().get("/api/v1/invocations?function=" + URLEncoder.encode(name, StandardCharsets.UTF_8)
                    + "&" + server.ns() + "&limit=" + limit).path("invocations");
            out().printf("%-24s  %-36s  %7s  %6s  %-4s  %10s  %s%n", "STARTED", "ID", "VERSION", "STATUS", "COLD",
                    "TOTAL (ms)", "PHASES (ms)");
            for (JsonNode i : list) {
                out().printf(java.util.Locale.ROOT, "%-24s  %-36s  %7d  %6d  %-4s  %10.2f  %s%n", i.path("startedAt").asText(),
                        i.path("id").asText(), i.path("version").asInt(), i.path("status").asInt(),
                        i.path("cold").asBoolean() ? "yes" : "no", i.path("durationMs").asDouble(), phases(i.path("phases")));
            }
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a function and all its versions.")
    static final class Delete extends Base {
        @Parameters(index = "0")
        String name;
        @Mixin
        Server server;

        @Override
        int execute() {
            server.client().json(server.client().request("/api/v1/functions/" + name + "?" + server.ns()).DELETE());
            out().println("Deleted " + server.namespace + "/" + name);
            return 0;
        }
    }
}
