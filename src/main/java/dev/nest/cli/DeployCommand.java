package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.artifact.ChunkCodecs;
import dev.nest.artifact.ChunkManifest;
import dev.nest.artifact.ChunkedPackage;
import dev.nest.artifact.Codec;
import dev.nest.common.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code nest fn deploy DIR}: packs the directory into compressed chunks, uploads the chunks the server lacks, and
 * makes the result the function's live version.
 */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        description = "Package DIR, upload it and make it the live version. Reads DIR/function.yaml for the spec.")
final class DeployCommand extends FnCommand.Base {
    @Parameters(index = "0", description = "the function's directory")
    Path dir;
    @Mixin
    FnCommand.Server server;
    @Option(names = "--name", description = "function name (default: function.yaml's name, else the directory name)")
    String name;
    @Option(names = "--runtime", description = "runtime (default: function.yaml's, else guessed from the files)")
    String runtime;
    @Option(names = "--handler", description = "handler (default: function.yaml's, else the runtime's default)")
    String handler;
    @Option(names = "--codec", description = "chunk compression: zstd or lz4 (default: lz4 below 1 MiB, else zstd)")
    String codec;
    @Option(names = "--no-promote", description = "add the version without making it live (start a release from it:"
            + " nest fn release NAME --to N)")
    boolean noPromote;

    /** Packages showing at least this many compressed bytes to upload get a progress line. */
    static final long PROGRESS_ABOVE = 4L << 20;

    /**
     * Packs the directory into compressed chunks (in memory), uploads only the chunks the server lacks
     * (HEAD first), then posts the manifest; returns the server's {digest, files, bytes}.
     */
    private JsonNode uploadChunked(ApiClient api, String rt) {
        try {
            return uploadChunked(api, rt, ChunkCodecs.DEFAULT);
        } catch (CliException e) {
            // a server that predates per-chunk codecs (400) or a cluster not all of whose nodes read them (409)
            // names the format it refuses: pack every chunk with the package's codec and upload again
            if (codec != null || e.getMessage() == null || !e.getMessage().contains(ChunkManifest.FORMAT_PER_CHUNK)) {
                throw e;
            }
            spec.commandLine().getErr().println("The server does not take " + ChunkManifest.FORMAT_PER_CHUNK
                    + " packages yet; uploading as " + ChunkManifest.FORMAT);
            return uploadChunked(api, rt, ChunkCodecs.Policy.UNIFORM);
        }
    }

    private JsonNode uploadChunked(ApiClient api, String rt, ChunkCodecs.Policy policy) {
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
                    }), codec == null ? policy : ChunkCodecs.Policy.UNIFORM, ChunkManifest.DEFAULT_CHUNK_BYTES, chunks::put);
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
        JsonNode d = api.post("/api/v1/functions/" + fn + "/versions?namespace=" + ns, noPromote
                ? Map.of("spec", spec, "digest", a.path("digest").asText(), "promote", false)
                : Map.of("spec", spec, "digest", a.path("digest").asText()));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (noPromote) {
            out().printf("Added %s/%s version %d (%d files, %s) in %d ms; live is still version %d%n", ns, fn,
                    d.path("version").asInt(), files, a.path("digest").asText().substring(0, 19), ms, d.path("live").asInt());
        } else if (d.path("changed").asBoolean(true)) {
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
