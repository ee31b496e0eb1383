package dev.nest.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code max-functions} and {@code merged-launch} of a runtime.yaml. */
class RuntimeMaxFunctionsTest {
    @TempDir
    Path dir;

    private RuntimeRegistry with(String extra) throws IOException {
        Path d = Files.createDirectories(dir.resolve("rt"));
        Files.writeString(d.resolve("runtime.yaml"), "name: rt\nlaunch: [\"x\"]\n" + extra);
        return RuntimeRegistry.load(dir);
    }

    @Test
    void theShippedRuntimesMerge() {
        RuntimeRegistry shipped = RuntimeRegistry.load(Path.of("runtimes"));
        RuntimeDefinition node = shipped.find("nodejs").orElseThrow();
        assertTrue(node.canMerge());
        assertEquals(16, node.maxFunctions());
        assertTrue(shipped.find("java").orElseThrow().canMerge());
        assertEquals(8, shipped.find("java").orElseThrow().maxFunctions());
    }

    @Test
    void withoutTheKeysARuntimeHostsOneFunctionPerPod() throws IOException {
        RuntimeDefinition r = with("").find("rt").orElseThrow();
        assertEquals(1, r.maxFunctions());
        assertFalse(r.canMerge());
        assertTrue(with("max-functions: 4\nmerged-launch: [\"y\"]\n").find("rt").orElseThrow().canMerge());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-3", "10001", "many", "2.5", "[4]"})
    void aWrongMaxFunctionsIsAProblemThatNamesKeyValueAndRange(String value) throws IOException {
        RuntimeRegistry r = with("max-functions: " + value + "\n");
        assertTrue(r.find("rt").isEmpty());
        String p = r.problems().get("rt");
        assertTrue(p.contains("key 'max-functions': value '") && p.contains("an integer from 1 to 10000"), p);
    }

    @Test
    void mergedIsolationIsWorkerForNodeJsSharedForJavaAndByDefault() throws IOException {
        RuntimeRegistry shipped = RuntimeRegistry.load(Path.of("runtimes"));
        assertTrue(shipped.find("nodejs").orElseThrow().unloadEndsWorkAlone());
        assertFalse(shipped.find("java").orElseThrow().unloadEndsWorkAlone());
        assertFalse(with("").find("rt").orElseThrow().unloadEndsWorkAlone());
        assertTrue(with("merged-isolation: worker\n").find("rt").orElseThrow().unloadEndsWorkAlone());
        RuntimeRegistry bad = with("merged-isolation: threads\n");
        assertTrue(bad.find("rt").isEmpty());
        String p = bad.problems().get("rt");
        assertTrue(p.contains("key 'merged-isolation': value 'threads'") && p.contains("allowed: worker"), p);
    }

    @Test
    void pipeliningIsOnForNodeJsOffForJavaAndByDefault() throws IOException {
        RuntimeRegistry shipped = RuntimeRegistry.load(Path.of("runtimes"));
        assertTrue(shipped.find("nodejs").orElseThrow().pipelining());
        assertFalse(shipped.find("java").orElseThrow().pipelining());
        assertFalse(with("").find("rt").orElseThrow().pipelining());
        assertTrue(with("pipelining: true\n").find("rt").orElseThrow().pipelining());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sometimes", "1", "\"true\"", "[true]"})
    void aPipeliningThatIsNotABooleanIsAProblemThatNamesKeyAndValues(String value) throws IOException {
        RuntimeRegistry r = with("pipelining: " + value + "\n");
        assertTrue(r.find("rt").isEmpty());
        String p = r.problems().get("rt");
        assertTrue(p.contains("key 'pipelining': value '") && p.contains("allowed: true"), p);
    }
}
