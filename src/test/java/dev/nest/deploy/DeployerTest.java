package dev.nest.deploy;

import dev.nest.function.InMemoryFunctionRegistry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.PackageLimits;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.runtime.RuntimeRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Creates are atomic, file-owned functions refuse API changes, Node.js handlers must parse, errors hide paths. */
class DeployerTest {
    private static final FunctionId HELLO = FunctionId.of("default", "hello");
    private static final String FILE = "file:/srv/nest/config/functions/hello.yaml";

    @TempDir
    Path tmp;
    private InMemoryFunctionRegistry registry;
    private Deployer deployer;

    @BeforeEach
    void setUp() throws IOException {
        Files.writeString(Files.createDirectories(tmp.resolve("runtimes/fake")).resolve("runtime.yaml"),
                "name: fake\nlaunch: [fake-host]\ndefault-handler: index.handler\n");
        Files.writeString(Files.createDirectories(tmp.resolve("runtimes/node")).resolve("runtime.yaml"),
                "name: node\nlaunch: [\"${node}\", \"${runtimeDir}/host.js\"]\ndefault-handler: index.handler\n");
        registry = new InMemoryFunctionRegistry();
        deployer = new Deployer(registry, new ArtifactStore(tmp.resolve("data/artifacts"), PackageLimits.DEFAULT),
                RuntimeRegistry.load(tmp.resolve("runtimes")), audit -> { },
                Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));
    }

    private static FunctionSpec spec(String runtime, String handler, int memoryMb) {
        return new FunctionSpec(HELLO, runtime, handler, memoryMb, Duration.ofSeconds(30), 1, Map.of(),
                ScalingSpec.DEFAULT, QueueSpec.DEFAULT);
    }

    private String upload(String runtime, String file, String source) throws IOException {
        Path code = Files.createDirectories(tmp.resolve("code-" + Math.abs(source.hashCode())));
        Files.writeString(code.resolve(file), source);
        return deployer.uploadDirectory(code, runtime).digest();
    }

    private String digest() throws IOException {
        return upload("fake", "index.js", "exports.handler = async () => 'hi';\n");
    }

    @Test
    void parallelCreatesOfOneNameMakeExactlyOneVersion1() throws Exception {
        String digest = digest();
        int n = 10;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Deployer.Deployed>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            for (int i = 0; i < n; i++) {
                int memory = 128 + i; // ten different specs: none is a repeat of another
                results.add(pool.submit(() -> {
                    start.await();
                    return deployer.create(spec("fake", "", memory), digest, "api", Deployer.API);
                }));
            }
            start.countDown();
            int created = 0;
            int refused = 0;
            for (Future<Deployer.Deployed> f : results) {
                try {
                    assertEquals(1, f.get().version().version());
                    created++;
                } catch (java.util.concurrent.ExecutionException e) {
                    NestException ne = (NestException) e.getCause();
                    assertEquals(409, ne.status());
                    assertTrue(ne.detail().startsWith("function default/hello exists; deploy a new version with POST "
                            + "/api/v1/functions/hello/versions"), ne.detail());
                    refused++;
                }
            }
            assertEquals(1, created);
            assertEquals(n - 1, refused);
        }
        FunctionRecord r = registry.get(HELLO).orElseThrow();
        assertEquals(List.of(1), List.copyOf(r.versions().keySet()));
    }

    @Test
    void anHttpDestinationIsRefusedAtDeployUnlessItsHostIsAllowed() throws IOException {
        String digest = digest();
        FunctionSpec base = spec("fake", "", 128);
        FunctionSpec withHook = new FunctionSpec(base.id(), base.runtime(), base.handler(), base.memoryMb(),
                base.timeout(), base.concurrency(), base.env(), base.scaling(), base.queue(), base.auth(),
                new dev.nest.function.AsyncSpec(2, java.time.Duration.ofHours(1), 0, Optional.empty(),
                        Optional.of("https://hooks.example.com/nest")));
        NestException e = assertThrows(NestException.class, () -> deployer.create(withHook, digest, "api", Deployer.API));
        assertEquals(400, e.status());
        assertTrue(e.detail().contains("https://hooks.example.com/nest") && e.detail().contains("async.destinations.allow"),
                e.detail());
    }

    @Test
    void aCreateOfAnExistingFunctionIsRefusedAndADeployAddsAVersion() throws IOException {
        String digest = digest();
        deployer.create(spec("fake", "", 128), digest, "api", Deployer.API);
        assertEquals(409, assertThrows(NestException.class,
                () -> deployer.create(spec("fake", "", 256), digest, "api", Deployer.API)).status());
        assertEquals(2, deployer.deploy(spec("fake", "", 256), digest, "api", Deployer.API).version().version());
    }

    @Test
    void aFunctionDefinedByAFileRefusesEveryChangeFromTheApi() throws IOException {
        String digest = digest();
        deployer.deploy(spec("fake", "", 128), digest, FILE, FILE);
        deployer.deploy(spec("fake", "", 256), digest, FILE, FILE);
        List<Runnable> apiChanges = List.of(
                () -> deployer.deploy(spec("fake", "", 512), digest, "api", Deployer.API),
                () -> deployer.create(spec("fake", "", 512), digest, "api", Deployer.API),
                () -> deployer.updateSpec(spec("fake", "", 512), "cli"),
                () -> deployer.rollback(HELLO, Optional.empty(), "api"),
                () -> deployer.delete(HELLO, "api"));
        for (Runnable change : apiChanges) {
            NestException e = assertThrows(NestException.class, change::run);
            assertEquals(409, e.status());
            assertTrue(e.detail().startsWith("function default/hello is defined by the file hello.yaml in the functions "
                    + "directory; the API cannot "), e.detail());
            assertFalse(e.detail().contains("/srv"), e.detail());
        }
        FunctionRecord r = registry.get(HELLO).orElseThrow();
        assertEquals(2, r.live());
        assertEquals(FILE, r.origin());
        assertTrue(deployer.delete(HELLO, FILE, FILE), "the file itself may delete it");
    }

    @Test
    void aFileThatDefinesAnApiFunctionTakesItOver() throws IOException {
        String digest = digest();
        deployer.create(spec("fake", "", 128), digest, "api", Deployer.API);
        Deployer.Deployed d = deployer.deploy(spec("fake", "", 128), digest, FILE, FILE);
        assertFalse(d.changed(), "same code and spec: no new version");
        assertEquals(FILE, registry.get(HELLO).orElseThrow().origin());
        assertEquals(409, assertThrows(NestException.class, () -> deployer.delete(HELLO, "api")).status());
    }

    @Test
    void anApiFunctionIsChangedByTheApi() throws IOException {
        String digest = digest();
        deployer.create(spec("fake", "", 128), digest, "api", Deployer.API);
        assertEquals(2, deployer.updateSpec(spec("fake", "", 256), "api").version().version());
        assertEquals(1, deployer.rollback(HELLO, Optional.empty(), "api").live());
        assertTrue(deployer.delete(HELLO, "api"));
    }

    @Test
    void aNodeHandlerThatDoesNotParseIsRefusedWithItsFileAndLine() throws IOException {
        assumeTrue(RuntimeRegistry.nodeBinary().isPresent(), "Node.js is on PATH");
        String digest = upload("node", "index.js", "exports.handler = async () => {\n  return {;\n};\n");
        NestException e = assertThrows(NestException.class,
                () -> deployer.create(spec("node", "", 128), digest, "api", Deployer.API));
        assertEquals(400, e.status());
        assertEquals("syntax error", e.error());
        assertTrue(e.detail().startsWith("index.js:2: SyntaxError: Unexpected token ';'"), e.detail());
        assertFalse(e.detail().contains(tmp.toString()), e.detail());
        assertTrue(registry.get(HELLO).isEmpty(), "nothing was written");
    }

    @Test
    void theCheckFindsTheHandlersFileAndDoesNotRunIt() throws IOException {
        assumeTrue(RuntimeRegistry.nodeBinary().isPresent(), "Node.js is on PATH");
        Path code = Files.createDirectories(tmp.resolve("app"));
        Files.createDirectories(code.resolve("src"));
        Files.writeString(code.resolve("src/app.mjs"), "import fs from 'node:fs';\nfs.writeFileSync('/tmp/nest-ran-"
                + tmp.getFileName() + "', 'x');\nexport const handler = async () => 'ok';\n");
        Files.writeString(code.resolve("broken.js"), "this is not javascript\n");
        String digest = deployer.uploadDirectory(code, "node").digest();
        deployer.create(spec("node", "src/app.handler", 128), digest, "api", Deployer.API);
        assertFalse(Files.exists(Path.of("/tmp/nest-ran-" + tmp.getFileName())), "the handler's code did not run");
        NestException e = assertThrows(NestException.class,
                () -> deployer.deploy(spec("node", "broken.handler", 128), digest, "api", Deployer.API));
        assertTrue(e.detail().startsWith("broken.js:1: SyntaxError: "), e.detail());
    }

    @Test
    void packageErrorsNameTheEntryNotAServerPath() throws IOException {
        List<byte[]> zips = List.of(zip("a", "a/b"), zip("x".repeat(300) + ".js"), zip("d/", "d"));
        for (byte[] zip : zips) {
            NestException e = assertThrows(NestException.class,
                    () -> deployer.upload(new ByteArrayInputStream(zip), Optional.empty()));
            assertFalse(e.detail().contains(tmp.toString()), e.status() + " " + e.detail());
            assertFalse(e.detail().contains("/staging/"), e.detail());
            assertEquals(400, e.status(), e.detail());
            assertTrue(e.detail().startsWith("package entry '"), e.detail());
        }
    }

    private static byte[] zip(String... entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (String name : entries) {
                z.putNextEntry(new ZipEntry(name));
                if (!name.endsWith("/")) {
                    z.write("x".getBytes(StandardCharsets.UTF_8));
                }
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }
}
