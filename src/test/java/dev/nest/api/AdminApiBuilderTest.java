package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nest.async.AsyncLedger;
import dev.nest.namespace.NamespaceUsage;
import dev.nest.plugin.Plugins;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminApiBuilderTest {

    @TempDir
    Path dir;

    /** Each required collaborator, by the name {@link AdminApi.Builder#build} reports, and how a test sets it. */
    private static Map<String, Consumer<AdminApi.Builder>> required(AdminApiFixture f) {
        Map<String, Consumer<AdminApi.Builder>> m = new LinkedHashMap<>();
        m.put("registry", b -> b.registry(f.registry));
        m.put("deployer", b -> b.deployer(f.deployer));
        m.put("files", b -> b.files(() -> List.copyOf(f.problems)));
        m.put("node", b -> b.node(f.node));
        m.put("store", b -> b.store(f.store));
        m.put("cluster", b -> b.cluster(f.cluster));
        m.put("runtimes", b -> b.runtimes(f.runtimes));
        m.put("scaling", b -> b.scaling(f.scaling));
        m.put("publicUrl", b -> b.publicUrl(AdminApiFixture.URL));
        m.put("metrics", b -> b.metrics(() -> ""));
        m.put("load", b -> b.load(f.load, f.woken::add));
        m.put("tokens", b -> b.tokens(f.tokens));
        m.put("clock", b -> b.clock(f.clock));
        m.put("async", b -> b.async(AsyncLedger.of(f.asyncQueue, () -> { })));
        m.put("namespaces", b -> b.namespaces(f.namespaces, ns -> NamespaceUsage.NONE));
        m.put("breakers", b -> b.breakers(id -> Optional.empty()));
        m.put("plugins", b -> b.plugins(Plugins.none()));
        m.put("triggers", b -> b.triggers(TriggerView.NONE));
        m.put("code", b -> b.code(f.code));
        return m;
    }

    @Test
    void buildNamesTheCollaboratorThatIsNotSet() {
        try (AdminApiFixture f = new AdminApiFixture(dir)) {
            Map<String, Consumer<AdminApi.Builder>> all = required(f);
            for (String missing : all.keySet()) {
                AdminApi.Builder b = AdminApi.builder();
                all.forEach((name, set) -> {
                    if (!name.equals(missing)) set.accept(b);
                });
                IllegalStateException e = assertThrows(IllegalStateException.class, b::build, missing);
                assertEquals("AdminApi.Builder: " + missing + " is not set", e.getMessage());
            }
        }
    }

    @Test
    void theConsoleAndTheHistoryHaveDefaults() {
        try (AdminApiFixture f = new AdminApiFixture(dir)) {
            AdminApi.Builder b = AdminApi.builder();
            required(f).values().forEach(set -> set.accept(b));
            AdminApi api = b.build();
            assertNotNull(api);
            assertEquals(f.api.resources().size() - 3, api.resources().size(),
                    "the same routes as the fixture's API but its report, alert and stop routes");
        }
    }
}
