package dev.nest.it.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Volume;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The runtime images on their own, through Testcontainers: a container of the locally built image with host
 * networking, the contract's environment, a read-only root filesystem and the code mounted read-only; its
 * host answers {@code /health}, refuses calls without the secret, loads code from the mount and serves an
 * invocation (runtimes/CONTRACT.md).
 *
 * <p>Nothing is pulled: the image must be built locally (distribution/images/build.sh), and the test avoids the
 * Testcontainers features that would pull helper images. Needs {@code TESTCONTAINERS_RYUK_DISABLED=true} and
 * {@code TESTCONTAINERS_HOST_OVERRIDE=localhost} in the environment (see {@link DockerEngines#requireTestcontainersEnvironment()}).
 */
class RuntimeImageIT {
    @TempDir
    static Path scratch;

    @BeforeAll
    static void require() {
        DockerEngines.requireDocker();
        DockerEngines.requireTestcontainersEnvironment();
    }

    @Test
    void nodejsImageLoadsCodeFromAReadOnlyMountAndServes() throws IOException {
        DockerEngines.requireImages(DockerEngines.NODEJS_IMAGE);
        Path code = readable(scratch.resolve("node-code"));
        write(code, "hello/index.js", """
                exports.handler = async (event, context) => ({
                  hello: event.queryStringParameters.who, path: event.path, fn: context.functionName,
                  uid: process.getuid(),
                });
                """);
        JsonNode answer = loadAndInvoke(DockerEngines.NODEJS_IMAGE, code, "hello", "index.handler");
        assertEquals("image", answer.path("hello").asText(), answer::toString);
        assertEquals("/greet", answer.path("path").asText(), answer::toString);
        assertEquals("default/hello", answer.path("fn").asText(), answer::toString);
        assertEquals(65534, answer.path("uid").asInt(), "the image runs as nobody: " + answer);
    }

    @Test
    void javaImageLoadsCompiledCodeFromAReadOnlyMountAndServes() throws IOException {
        DockerEngines.requireImages(DockerEngines.JAVA_IMAGE);
        Path code = readable(scratch.resolve("java-code"));
        Path src = write(scratch, "java-src/Hello.java", """
                import dev.nest.fn.Context;
                import java.util.Map;

                public class Hello {
                    public Map<String, Object> handle(Map<String, Object> event, Context context) {
                        @SuppressWarnings("unchecked")
                        Map<String, String> q = (Map<String, String>) event.get("queryStringParameters");
                        return Map.of("hello", q.get("who"), "path", event.get("path"), "fn", context.functionName(),
                                "user", System.getProperty("user.name"));
                    }
                }
                """);
        Path classes = readable(code.resolve("hello").resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "--release", "21", "-cp", System.getProperty("java.class.path"),
                "-d", classes.toString(), src.toString());
        assertEquals(0, rc, "javac of " + src);
        makeReadable(code);
        JsonNode answer = loadAndInvoke(DockerEngines.JAVA_IMAGE, code, "hello", "Hello");
        assertEquals("image", answer.path("hello").asText(), answer::toString);
        assertEquals("/greet", answer.path("path").asText(), answer::toString);
        assertEquals("default/hello", answer.path("fn").asText(), answer::toString);
        assertEquals("nobody", answer.path("user").asText(), "the image runs as nobody: " + answer);
    }

    /** Starts {@code image} on a free loopback port, loads {@code /nest/code/<dir>} and invokes it once. */
    private static JsonNode loadAndInvoke(String image, Path code, String dir, String handler) {
        int port = Fixtures.freePort();
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        String secret = HexFormat.of().formatHex(random);
        try (GenericContainer<?> host = new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("host")
                .withEnv(Map.of("NEST_HOST_PORT", String.valueOf(port), "NEST_HOST_ADDRESS", "127.0.0.1",
                        "NEST_HOST_SECRET", secret, "NEST_POD_ID", "tc-" + port, "NEST_PRELOAD", ""))
                .withImagePullPolicy(name -> false)
                .withTmpFs(Map.of("/tmp", "rw,size=16m"))
                // the code mount goes in here, not through withFileSystemBind: for that, Testcontainers first
                // checks that mounts work with a container of alpine:3.17, which would have to be pulled
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withBinds(new Bind(code.toString(), new Volume("/nest/code"), AccessMode.ro))
                        .withReadonlyRootfs(true).withCapDrop(Capability.ALL)
                        .withSecurityOpts(List.of("no-new-privileges")).withMemory(256L * 1024 * 1024))
                .withStartupTimeout(Duration.ofSeconds(30))) {
            host.start();
            Http.Response health = Poll.until(image + " /health ready", Duration.ofSeconds(30),
                    () -> call(port, secret, "GET", "/health", null), r -> r.status() == 200 && r.json().path("ready").asBoolean());
            assertTrue(health.json().has("runtime"), health::toString);
            Http.Response anonymous = call(port, null, "GET", "/health", null);
            assertEquals(401, anonymous.status(), "a call without the secret is refused: " + anonymous);

            Http.Response load = call(port, secret, "POST", "/load", """
                    {"id": "s-1", "function": "default/hello", "version": "1", "codeDir": "/nest/code/%s",
                     "handler": "%s", "env": {}, "limits": {"memoryMb": 128, "timeoutMs": 10000, "concurrency": 1}}
                    """.formatted(dir, handler));
            assertEquals(200, load.status(), () -> load + "\nhost output:\n" + host.getLogs());
            Http.Response invoke = call(port, secret, "GET", "/invoke/s-1/greet?who=image", null);
            assertEquals(200, invoke.status(), () -> invoke + "\nhost output:\n" + host.getLogs());
            return invoke.json();
        }
    }

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private static Http.Response call(int port, String secret, String method, String path, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (secret != null) {
            b.header("X-Nest-Secret", secret);
        }
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<byte[]> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Http.Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A directory the container's user (65534) can read: JUnit's temp directories are private to us. */
    private static Path readable(Path dir) throws IOException {
        Files.createDirectories(dir);
        makeReadable(dir);
        return dir;
    }

    private static void makeReadable(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    private static Path write(Path dir, String relative, String text) throws IOException {
        Path f = dir.resolve(relative);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text, StandardCharsets.UTF_8);
        makeReadable(dir);
        return f;
    }
}
