package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import dev.nest.artifact.Artifact;
import dev.nest.artifact.Codec;
import dev.nest.common.NestException;
import dev.nest.deploy.Deployer;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * {@code /api/v1/artifacts}: code packages, uploaded as one zip or in compressed chunks plus a manifest; peers
 * fetch chunks and manifests from here. Every upload is verified by the deployer before it is stored.
 */
record ArtifactRoutes(Deployer deployer) implements ResourceRoutes {
    /** Bytes of a chunk file read and written per call when serving it (a 4 MiB chunk: 16 writes). */
    static final int SLICE = 256 << 10;

    /** The answer to an upload: the package's content digest, its file count and size. */
    record Uploaded(String digest, int files, long bytes) {
        static Uploaded of(Artifact a) {
            return new Uploaded(a.digest(), a.files(), a.bytes());
        }
    }

    /** The answer to a chunk upload. */
    record ChunkStored(String sha256) {
    }

    @Override
    public String resource() {
        return "artifacts";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.post(PREFIX + "/artifacts", this::upload);
        r.put(PREFIX + "/artifacts/chunks/{sha256}", this::uploadChunk);
        r.get(PREFIX + "/artifacts/chunks/{sha256}", this::chunk);
        r.head(PREFIX + "/artifacts/chunks/{sha256}", this::chunk);
        r.post(PREFIX + "/artifacts/manifests", this::uploadManifest);
        r.get(PREFIX + "/artifacts/manifests/{digest}", this::manifest);
    }

    /** {@code POST /artifacts[?runtime=java][&codec=zstd|lz4]}: a zip of the function's directory. */
    private void upload(ServerRequest req, ServerResponse res) {
        Optional<String> runtime = req.query().first("runtime").asOptional();
        Optional<Codec> codec = req.query().first("codec").asOptional().map(Codec::parse);
        Artifact a;
        try (InputStream in = req.content().inputStream()) {
            a = deployer.upload(in, runtime, codec);
        } catch (IOException e) {
            throw NestException.badRequest("cannot read the package: " + e.getMessage());
        }
        Errors.json(res, 201, Uploaded.of(a));
    }

    /** {@code PUT /artifacts/chunks/{sha256}}: one compressed chunk of a chunked upload, verified. */
    private void uploadChunk(ServerRequest req, ServerResponse res) {
        String sha = Requests.param(req, "sha256");
        try (InputStream in = req.content().inputStream()) {
            deployer.uploadChunk(sha, in);
        } catch (IOException e) {
            throw NestException.badRequest("cannot read chunk " + sha + ": " + e.getMessage());
        }
        Errors.json(res, 201, new ChunkStored(sha));
    }

    /** {@code GET|HEAD /artifacts/chunks/{sha256}}: a stored compressed chunk (for peers, and for the CLI to skip uploads). */
    private void chunk(ServerRequest req, ServerResponse res) {
        String sha = Requests.param(req, "sha256");
        Path f = deployer.uploadedChunk(sha).orElseThrow(() -> NestException.notFound("chunk",
                "no chunk " + sha + " is stored on this node"));
        res.header(HeaderNames.CONTENT_TYPE, "application/octet-stream");
        if (req.prologue().method() == Method.HEAD) {
            try {
                res.header(HeaderNames.CONTENT_LENGTH, String.valueOf(Files.size(f)));
            } catch (IOException e) {
                throw new NestException(500, "artifact store error", "cannot read chunk " + sha + ": " + e.getMessage(), e);
            }
            res.send();
            return;
        }
        try (FileChannel in = FileChannel.open(f, StandardOpenOption.READ)) {
            streamChunk(sha, in, res);
        } catch (IOException e) {
            throw new NestException(500, "artifact store error", "cannot read chunk " + sha + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the chunk file straight from its channel to the response in slices of {@link #SLICE} bytes under its
     * length, read once when the file is opened: no array of the whole chunk per request (a chunk is up to 4 MiB and
     * more, a large allocation each time) and no second copy of it into the response's buffer. A file that ends before
     * the length it had when opened (it never should: chunk files are written once, by rename) fails the response after
     * its head, so the connection is closed and the peer sees a short body, never a complete wrong one.
     */
    private static void streamChunk(String sha, FileChannel in, ServerResponse res) throws IOException {
        long size = in.size();
        res.header(HeaderNames.CONTENT_LENGTH, String.valueOf(size));
        byte[] slice = new byte[(int) Math.min(SLICE, Math.max(size, 1))];
        ByteBuffer buf = ByteBuffer.wrap(slice);
        try (OutputStream out = res.outputStream()) {
            for (long sent = 0; sent < size; ) {
                buf.clear().limit((int) Math.min(slice.length, size - sent));
                int n = in.read(buf, sent);
                if (n < 0) {
                    throw new IOException("chunk " + sha + " ended after " + sent + " of " + size + " bytes");
                }
                out.write(slice, 0, n);
                sent += n;
            }
        }
    }

    /** {@code POST /artifacts/manifests[?runtime=java]}: completes a chunked upload; answers like a zip upload. */
    private void uploadManifest(ServerRequest req, ServerResponse res) {
        Artifact a = deployer.uploadManifest(Requests.body(req), req.query().first("runtime").asOptional());
        Errors.json(res, 201, Uploaded.of(a));
    }

    /** {@code GET /artifacts/manifests/{digest}}: a stored package's manifest (for peers). */
    private void manifest(ServerRequest req, ServerResponse res) {
        String digest = Requests.param(req, "digest");
        byte[] m = deployer.uploadedManifest(digest).orElseThrow(() -> NestException.notFound("package",
                "no manifest of " + digest + " is stored on this node"));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(m);
    }
}
