package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.artifact.ChunkManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chunks served to peers by {@code GET|HEAD /api/v1/artifacts/chunks/{sha256}}, through the real routing. */
class ArtifactRoutesTest {
    private static final String P = "/api/v1";

    @TempDir
    Path dir;
    private AdminApiFixture api;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        api = new AdminApiFixture(dir).start();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private HttpResponse<byte[]> bytes(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(api.uri(path)).header("Authorization", "Bearer " + api.admin)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** A package whose chunks are larger than one serving slice (incompressible bytes), uploaded as a zip. */
    private String upload() throws IOException {
        byte[] noise = new byte[ArtifactRoutes.SLICE * 3 + 12_345];
        new SplittableRandom(7).nextBytes(noise);
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("index.js"));
            out.write("exports.handler = async () => 'hi';\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            out.putNextEntry(new ZipEntry("assets/noise.bin"));
            out.write(noise);
            out.closeEntry();
        }
        HttpResponse<String> res = api.send(HttpRequest.newBuilder(api.uri(P + "/artifacts"))
                .header("Content-Type", "application/zip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip.toByteArray())).build());
        assertEquals(201, res.statusCode(), res.body());
        return dev.nest.common.Json.tree(res.body().getBytes(StandardCharsets.UTF_8), "upload").get("digest").asText();
    }

    @Test
    void aStoredChunkIsServedWholeWithItsLength() throws Exception {
        String digest = upload();
        HttpResponse<byte[]> m = bytes("GET", P + "/artifacts/manifests/" + digest);
        assertEquals(200, m.statusCode());
        ChunkManifest manifest = ChunkManifest.parse(m.body());
        assertTrue(manifest.chunks().stream().anyMatch(c -> c.size() > ArtifactRoutes.SLICE),
                "a chunk of several slices: " + manifest.chunks());
        for (ChunkManifest.Chunk c : manifest.chunks()) {
            HttpResponse<byte[]> got = bytes("GET", P + "/artifacts/chunks/" + c.sha256());
            assertEquals(200, got.statusCode());
            assertEquals(c.size(), got.body().length, "the whole chunk " + c.sha256());
            assertEquals(String.valueOf(c.size()), got.headers().firstValue("content-length").orElseThrow(),
                    "a length, not a chunked body: a peer checks the length it was announced");
            assertEquals("application/octet-stream", got.headers().firstValue("content-type").orElseThrow());
            assertEquals(c.sha256(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(got.body())));

            HttpResponse<byte[]> head = bytes("HEAD", P + "/artifacts/chunks/" + c.sha256());
            assertEquals(200, head.statusCode());
            assertEquals(String.valueOf(c.size()), head.headers().firstValue("content-length").orElseThrow());
            assertArrayEquals(new byte[0], head.body());
        }
    }

    @Test
    void anUnknownChunkIs404() throws Exception {
        HttpResponse<byte[]> got = bytes("GET", P + "/artifacts/chunks/" + "c".repeat(64));
        assertEquals(404, got.statusCode());
        assertTrue(new String(got.body(), StandardCharsets.UTF_8).contains("no chunk"), new String(got.body(), StandardCharsets.UTF_8));
    }
}
