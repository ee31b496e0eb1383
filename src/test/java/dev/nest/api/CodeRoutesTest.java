package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.auth.Role;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading a version's code: the listing, one file, the bounds, hostile paths and who may read. */
class CodeRoutesTest {
    private static final String P = AdminRoutes.PREFIX;
    @TempDir
    Path dir;
    private AdminApiFixture api;

    @BeforeEach
    void start() {
        api = new AdminApiFixture(dir).start();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private void deploy(String name, Map<String, byte[]> files) {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                out.putNextEntry(new ZipEntry(f.getKey()));
                out.write(f.getValue());
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        HttpResponse<String> up = api.send(HttpRequest.newBuilder(api.uri(P + "/artifacts"))
                .header("Content-Type", "application/zip").POST(HttpRequest.BodyPublishers.ofByteArray(zip.toByteArray()))
                .build());
        assertEquals(201, up.statusCode(), up.body());
        String digest = json(up).path("digest").asText();
        HttpResponse<String> d = api.send("POST", P + "/functions/" + name + "/versions",
                Json.string(Map.of("spec", Map.of("runtime", "fake"), "digest", digest)));
        assertEquals(201, d.statusCode(), d.body());
    }

    private static JsonNode json(HttpResponse<String> r) {
        return Json.tree(r.body().getBytes(StandardCharsets.UTF_8), "answer");
    }

    private static String path(String p) {
        return URLEncoder.encode(p, StandardCharsets.UTF_8);
    }

    @Test
    void aVersionListsItsFilesAndReturnsEachAsTextOrBase64() {
        deploy("hello", Map.of("index.js", "exports.handler = async () => 1;\n".getBytes(StandardCharsets.UTF_8),
                "lib/data.bin", new byte[] {(byte) 0xff, 0, 1}));
        deploy("hello", Map.of("index.js", "exports.handler = async () => 2;\n".getBytes(StandardCharsets.UTF_8)));
        HttpResponse<String> list = api.get(P + "/functions/hello/versions/1/code");
        assertEquals(200, list.statusCode(), list.body());
        JsonNode l = json(list);
        assertEquals("default/hello", l.path("function").asText());
        assertEquals(1, l.path("version").asInt());
        assertEquals("fake", l.path("runtime").asText());
        assertEquals(List.of("index.js", "lib/data.bin"), l.path("files").findValuesAsText("path"));
        assertFalse(l.path("truncated").asBoolean());
        JsonNode v1 = json(api.get(P + "/functions/hello/versions/1/code?path=index.js"));
        assertEquals("utf-8", v1.path("encoding").asText());
        assertEquals("exports.handler = async () => 1;\n", v1.path("content").asText());
        assertEquals("exports.handler = async () => 2;\n",
                json(api.get(P + "/functions/hello/versions/2/code?path=index.js")).path("content").asText());
        JsonNode bin = json(api.get(P + "/functions/hello/versions/1/code?path=" + path("lib/data.bin")));
        assertEquals("base64", bin.path("encoding").asText());
        assertEquals("/wAB", bin.path("content").asText());
    }

    @Test
    void missingFunctionsVersionsAndFilesAre404AndABadVersionIs400() {
        deploy("hello", Map.of("index.js", "x".getBytes(StandardCharsets.UTF_8)));
        assertEquals(404, api.get(P + "/functions/nope/versions/1/code").statusCode());
        HttpResponse<String> v = api.get(P + "/functions/hello/versions/7/code");
        assertEquals(404, v.statusCode());
        assertTrue(v.body().contains("[1]"), v.body());
        assertEquals(404, api.get(P + "/functions/hello/versions/1/code?path=other.js").statusCode());
        assertEquals(404, api.get(P + "/functions/hello/versions/1/code?path=lib").statusCode());
        for (String bad : List.of("0", "-1", "x", "1.0", "99999999999")) {
            assertEquals(400, api.get(P + "/functions/hello/versions/" + bad + "/code").statusCode(), bad);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"../index.js", "/etc/passwd", "a/../../x", "./index.js", "index.js/", "a//b", "a\\b",
            "..", "%00", ""})
    void hostilePathsAreRefusedBeforeTheFileSystemIsAsked(String p) {
        deploy("hello", Map.of("index.js", "x".getBytes(StandardCharsets.UTF_8)));
        String q = p.equals("%00") ? "%00" : path(p);
        HttpResponse<String> r = api.get(P + "/functions/hello/versions/1/code?path=" + q);
        assertEquals(400, r.statusCode(), p + ": " + r.body());
        assertTrue(r.body().contains("'path'"), r.body());
    }

    @Test
    void resolveStaysInsideTheDirectory() {
        Path root = Path.of("/data/code/abc");
        assertEquals(root.resolve("a/b.js"), CodeRoutes.resolve(root, "a/b.js"));
        for (String bad : List.of("../x", "a/../../x", "/x", "a/./b", "a\u0000b")) {
            assertThrows(NestException.class, () -> CodeRoutes.resolve(root, bad), bad);
        }
    }

    @Test
    void aFileAboveTheBoundIs413AndTheListingStillShowsItsSize() {
        byte[] big = new byte[(int) CodeRoutes.MAX_FILE_BYTES + 1];
        deploy("big", Map.of("index.js", "x".getBytes(StandardCharsets.UTF_8), "big.txt", big));
        JsonNode l = json(api.get(P + "/functions/big/versions/1/code"));
        assertTrue(l.path("files").toString().contains("\"bytes\":" + big.length), l.toString());
        assertEquals(413, api.get(P + "/functions/big/versions/1/code?path=big.txt").statusCode());
    }

    @Test
    void aLinkOutOfThePackageIsNotFollowed(@TempDir Path outside) throws IOException {
        Path code = dir.resolve("linked");
        Files.createDirectories(code);
        Files.writeString(outside.resolve("secret.txt"), "secret");
        Files.createSymbolicLink(code.resolve("escape"), outside);
        Files.createSymbolicLink(code.resolve("file.txt"), outside.resolve("secret.txt"));
        var version = new dev.nest.function.FunctionVersion(1, "sha256:" + "a".repeat(64),
                dev.nest.function.SpecParser.parse(Json.mapper().valueToTree(Map.of("name", "x", "runtime", "fake")),
                        "test", "", dev.nest.function.SpecParser.Defaults.STANDARD).spec(),
                AdminApiFixture.T0, "api");
        var id = dev.nest.function.FunctionId.of("default", "x");
        assertThrows(NestException.class, () -> CodeRoutes.file(id, version, code, "escape/secret.txt"));
        assertThrows(NestException.class, () -> CodeRoutes.file(id, version, code, "file.txt"));
        assertEquals(List.of(), CodeRoutes.listing(id, version, code).files());
    }

    @Test
    void aViewerMayNotReadCodeAndADeveloperOfAnotherNamespaceNeither() {
        deploy("hello", Map.of("index.js", "x".getBytes(StandardCharsets.UTF_8)));
        String viewer = api.tokens.create("v", Role.VIEWER, List.of("*"), Optional.empty()).secret().reveal();
        String other = api.tokens.create("o", Role.DEVELOPER, List.of("team-b"), Optional.empty()).secret().reveal();
        String dev = api.tokens.create("d", Role.DEVELOPER, List.of("default"), Optional.empty()).secret().reveal();
        for (Map.Entry<String, Integer> c : Map.of(viewer, 403, other, 403, dev, 200).entrySet()) {
            HttpResponse<String> r = api.send(HttpRequest.newBuilder(api.uri(P + "/functions/hello/versions/1/code"))
                    .header("Authorization", "Bearer " + c.getKey()).GET().build());
            assertEquals(c.getValue(), r.statusCode(), r.body());
        }
    }
}
