package dev.nest.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.PackageLimits;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.InMemoryFunctionRegistry;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.namespace.NamespaceQuota;
import dev.nest.runtime.RuntimeRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A deploy whose scaling.min cannot fit its namespace's quota is refused with 409 before anything is written. */
class DeployerQuotaTest {
    @TempDir
    Path tmp;
    private final InMemoryFunctionRegistry registry = new InMemoryFunctionRegistry();
    private final Map<String, NamespaceQuota> quotas = new HashMap<>();
    private Deployer deployer;
    private String digest;

    @BeforeEach
    void setUp() throws IOException {
        Files.writeString(Files.createDirectories(tmp.resolve("runtimes/fake")).resolve("runtime.yaml"),
                "name: fake\nlaunch: [fake-host]\ndefault-handler: index.handler\n");
        ArtifactStore artifacts = new ArtifactStore(tmp.resolve("data/artifacts"), PackageLimits.DEFAULT);
        deployer = new Deployer(registry, artifacts, RuntimeRegistry.load(tmp.resolve("runtimes")), audit -> { },
                Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC),
                new ArtifactReplicator(artifacts, ArtifactHolders.SINGLE_NODE, 1),
                ns -> quotas.getOrDefault(ns, NamespaceQuota.NONE), Deployer.NO_HTTP_DESTINATIONS);
        Path code = Files.createDirectories(tmp.resolve("code"));
        Files.writeString(code.resolve("index.js"), "exports.handler = async () => 'hi';\n");
        digest = deployer.uploadDirectory(code, "fake").digest();
    }

    private static FunctionSpec spec(String ns, String name, int min, int memoryMb) {
        return new FunctionSpec(FunctionId.of(ns, name), "fake", "", memoryMb, Duration.ofSeconds(30), 1, Map.of(),
                ScalingSpec.DEFAULT.withMinMax(min, 10), QueueSpec.DEFAULT);
    }

    @Test
    void minimumsAreCheckedAgainstTheQuotaWithTheOtherFunctionsMinimums() {
        quotas.put("shop", new NamespaceQuota(OptionalInt.of(3), OptionalLong.of(1024)));
        record Row(FunctionSpec spec, boolean accepted, String key) {
        }
        List<Row> rows = List.of(
                new Row(spec("shop", "a", 2, 128), true, ""),
                new Row(spec("shop", "b", 2, 128), false, "quota.instances"), // 2 + 2 > 3
                new Row(spec("shop", "b", 1, 128), true, ""),
                new Row(spec("shop", "a", 3, 128), false, "quota.instances"), // a's own old minimum is not counted twice
                new Row(spec("shop", "a", 2, 512), false, "quota.memory"),    // 1024 + 128 > 1024
                new Row(spec("shop", "c", 0, 4096), true, ""),                // no minimum, nothing reserved
                new Row(spec("billing", "d", 9, 512), true, ""));
        for (Row r : rows) {
            if (r.accepted()) {
                deployer.deploy(r.spec(), digest, "api", Deployer.API);
                continue;
            }
            int before = registry.all().size();
            NestException e = assertThrows(NestException.class, () -> deployer.deploy(r.spec(), digest, "api", Deployer.API),
                    r.spec().toString());
            assertEquals(409, e.status());
            assertTrue(e.detail().contains(r.key() + " of namespace 'shop'") && e.detail().contains("scaling.min"),
                    e.detail());
            assertEquals(before, registry.all().size());
        }
    }
}
