package dev.nest.deploy;

import dev.nest.function.InMemoryFunctionRegistry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.PackageLimits;
import dev.nest.function.Alias;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.Release;
import dev.nest.release.Releases;
import dev.nest.store.AuditEntry;
import dev.nest.runtime.RuntimeRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The functions directory: each file applied or refused on its own, parsed only when it changes, within limits. */
class FunctionFilesTest {
    @TempDir
    Path tmp;
    private Path dir;
    private Path data;
    private InMemoryFunctionRegistry registry;
    private FunctionFiles files;
    private Deployer deployer;
    private final Clock clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
    private final List<AuditEntry> audits = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        Path runtimes = Files.createDirectories(tmp.resolve("runtimes/fake"));
        Files.writeString(runtimes.resolve("runtime.yaml"), "name: fake\nlaunch: [fake-host]\ndefault-handler: index.handler\n");
        data = Files.createDirectories(tmp.resolve("data"));
        dir = Files.createDirectories(tmp.resolve("functions"));
        registry = new InMemoryFunctionRegistry();
        deployer = new Deployer(registry, new ArtifactStore(data.resolve("artifacts"), PackageLimits.DEFAULT),
                RuntimeRegistry.load(tmp.resolve("runtimes")), audit -> { }, clock);
        files = new FunctionFiles(dir, deployer, registry, 60_000, List.of(data),
                new Releases(registry, audits::add, clock)::startFromFile);
    }

    private void function(String name, String yaml) throws IOException {
        Path code = Files.createDirectories(dir.resolve(name));
        Files.writeString(code.resolve("index.js"), "exports.handler = async () => '" + name + "';\n");
        Files.writeString(dir.resolve(name + ".yaml"), yaml);
    }

    private Map<String, String> problems() {
        return files.problems().stream().collect(Collectors.toMap(FileProblem::name, FileProblem::error));
    }

    private boolean deployed(String name) {
        return registry.get(FunctionId.of("default", name)).isPresent();
    }

    @Test
    void anEditOfAFileWithAReleaseBlockStartsACanaryInsteadOfSwitching() throws IOException {
        String release = "release: {steps: [10, 50, 100], interval: 2m, max-error-rate: 0.5%, max-p99: 300ms, min-requests: 50}\n";
        function("a", "runtime: fake\ncode: a\n" + release);
        files.scan();
        FunctionId id = FunctionId.of("default", "a");
        assertEquals(1, registry.get(id).orElseThrow().live(), "a function's first version is live at once");
        assertTrue(registry.get(id).orElseThrow().release().isEmpty());
        Files.writeString(dir.resolve("a/index.js"), "exports.handler = async () => 'the second version';\n");
        files.scan();
        FunctionRecord r = registry.get(id).orElseThrow();
        assertEquals(1, r.live(), "the edit does not switch at once");
        Release rel = r.release().orElseThrow();
        assertEquals(List.of(1, 2, List.of(10, 50, 100)), List.of(rel.from(), rel.to(), rel.steps()));
        assertEquals(new Release.Settings(Duration.ofMinutes(2), 0.005, Duration.ofMillis(300), 1.25, 50), rel.settings());
        assertEquals(Map.of(1, 90, 2, 10), r.alias(Alias.LIVE).orElseThrow().weights());
        assertEquals(List.of("release-start"), audits.stream().map(AuditEntry::action).toList());
        assertEquals("file:" + dir.resolve("a.yaml").toAbsolutePath().normalize(), audits.getFirst().source());

        // a restart reads the same file again: neither a third version nor a second release
        try (FunctionFiles again = new FunctionFiles(dir, deployer, registry, 60_000, List.of(data),
                new Releases(registry, audits::add, clock)::startFromFile)) {
            again.scan();
        }
        assertEquals(2, registry.get(id).orElseThrow().versions().size());
        assertEquals(1, audits.size());
        assertTrue(problems().isEmpty(), problems().toString());

        // the edit taken back: the release is rolled back, no version is added
        Files.writeString(dir.resolve("a/index.js"), "exports.handler = async () => 'a';\n");
        Files.setLastModifiedTime(dir.resolve("a/index.js"), FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
        files.scan();
        r = registry.get(id).orElseThrow();
        assertEquals(Release.State.ROLLED_BACK, r.release().orElseThrow().state());
        assertEquals(Map.of(1, 100), r.alias(Alias.LIVE).orElseThrow().weights());
        assertEquals(2, r.versions().size());
        assertEquals(List.of("release-start", "release-abort"), audits.stream().map(AuditEntry::action).toList());
    }

    @Test
    void withoutAReleaseBlockAnEditSwitchesAtOnce() throws IOException {
        function("a", "runtime: fake\ncode: a\n");
        files.scan();
        Files.writeString(dir.resolve("a/index.js"), "exports.handler = async () => 'the second version';\n");
        files.scan();
        FunctionRecord r = registry.get(FunctionId.of("default", "a")).orElseThrow();
        assertEquals(2, r.live());
        assertTrue(r.release().isEmpty());
    }

    @Test
    void aBadReleaseBlockIsReportedWithTheKeyTheValueAndTheAllowedForm() throws IOException {
        function("b", "runtime: fake\ncode: b\nrelease: {steps: [50, 10], interval: 1m}\n");
        function("c", "runtime: fake\ncode: c\nrelease: {max-p99: soon, memory: 128}\n");
        files.scan();
        assertFalse(deployed("b") || deployed("c"));
        assertEquals("b.yaml: key 'release.steps': value '[50,10]' is not valid; allowed: 1 to 20 percents, each 1 to 100,"
                + " increasing (e.g. [10, 25, 50, 100])", problems().get("b"));
        assertTrue(problems().get("c").startsWith("c.yaml: key 'release.memory' is not known; allowed: [interval, "
                + "max-error-rate, max-p99, max-p99-ratio, min-requests, steps]"), problems().get("c"));
    }

    @Test
    void aBadFileFailsAloneAndTheFilesAfterItAreApplied() throws IOException {
        function("a", "runtime: fake\ncode: a\n");
        function("b", "runtime: fake\ncode: /\n");
        function("c", "runtime: fake\ncode: c\n");
        files.scan();
        assertTrue(deployed("a") && deployed("c"), "the good files are applied: " + registry.all());
        assertFalse(deployed("b"));
        assertEquals(Map.of("b", "b.yaml: key 'code': value '/' is not valid (an absolute path); allowed: a directory "
                + "relative to b.yaml, outside system directories, Nest's data directory and not holding the functions "
                + "directory"), problems());
    }

    @Test
    void aCodeDirectoryInTheDataDirectoryIsRefused() throws IOException {
        function("a", "runtime: fake\ncode: ../data\n");
        files.scan();
        assertFalse(deployed("a"));
        assertTrue(problems().get("a").contains("it overlaps Nest's data directory"), problems().toString());
        assertFalse(problems().get("a").contains(tmp.toString()), "no server path: " + problems());
    }

    @Test
    void unchangedFilesAreNotParsedAgain() throws IOException {
        function("a", "runtime: fake\ncode: a\n");
        function("b", "runtime: fake\ncode: b\nmemory: lots\n");
        files.scan();
        assertEquals(2, files.parses());
        files.scan();
        files.scan();
        assertEquals(2, files.parses(), "neither the good nor the broken file is parsed again");
        assertTrue(problems().containsKey("b"));

        Files.writeString(dir.resolve("b.yaml"), "runtime: fake\ncode: b\nmemory: 256\n");
        files.scan();
        assertEquals(3, files.parses(), "a changed file is parsed again");
        assertTrue(deployed("b") && problems().isEmpty(), problems().toString());

        Files.setLastModifiedTime(dir.resolve("a.yaml"), FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
        files.scan();
        assertEquals(4, files.parses(), "a touched file is parsed again");
    }

    @Test
    void aFileOverTheLimitIsRefusedUnread() throws IOException {
        function("a", "runtime: fake\ncode: a\n# " + "x".repeat(FunctionFiles.MAX_FILE_BYTES) + "\n");
        function("b", "runtime: fake\ncode: b\n");
        files.scan();
        assertEquals(1, files.parses(), "only the small file is parsed");
        long size = Files.size(dir.resolve("a.yaml"));
        assertEquals("a.yaml: the file is " + size + " bytes; a function file may hold at most 262144 bytes (256 KiB): it "
                + "holds only the spec, the code belongs in the 'code' directory", problems().get("a"));
        assertTrue(deployed("b"));
    }

    @Test
    void everyProblemOfAFileIsReportedAtOnce() throws IOException {
        function("a", "runtime: fake\ncode: /\nmemory: lots\ntimeout: forever\ncolour: blue\n"
                + "scaling: {min: -1, keep-alive: never, metrics: [{type: heat, target: 1}]}\nqueue: {size: many}\n");
        files.scan();
        String error = problems().get("a");
        for (String expected : List.of("key 'colour': unknown key", "key 'memory': value 'lots'",
                "key 'timeout': value 'forever'", "key 'code': value '/'", "key 'scaling.min': value '-1'",
                "key 'scaling.keep-alive': value 'never'", "key 'scaling.metrics[0].type'", "key 'queue.size'")) {
            assertTrue(error.contains(expected), expected + " in " + error);
        }
    }

    @Test
    void duplicateKeysAreRefusedWithTheirLines() throws IOException {
        function("a", "runtime: fake\ncode: a\nmemory: 128\nmemory: 256\n");
        files.scan();
        assertEquals("a.yaml: key 'memory' appears twice (lines 3 and 4); keep one", problems().get("a"));
    }

    @Test
    void hostileYamlIsRefusedFast() throws IOException {
        StringBuilder laughs = new StringBuilder("runtime: fake\ncode: a\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 12; i++) {
            laughs.append("x").append(i).append(": &x").append(i).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(8, "*x" + (i - 1)))).append("]\n");
        }
        function("a", laughs.toString());
        function("b", "runtime: fake\ncode: b\nenv: " + "{a: ".repeat(50_000) + "1" + "}".repeat(50_000) + "\n");
        assertTimeoutPreemptively(Duration.ofSeconds(5), files::scan);
        assertTrue(problems().get("a").contains("YAML aliases (*x0) are not allowed"), problems().toString());
        assertTrue(problems().get("b").contains("nested deeper than"), problems().toString());
    }

    @Test
    void aSyntaxErrorNamesItsLineAndColumn() throws IOException {
        function("a", "runtime: fake\ncode: [a\n");
        files.scan();
        assertTrue(problems().get("a").matches("a\\.yaml: line \\d+, column \\d+: not valid YAML: .+"), problems().toString());
    }

    @Test
    void theShippedFunctionFilesAreValid() throws IOException {
        Path shipped = Path.of("config/functions").toAbsolutePath();
        try (var list = Files.list(shipped)) {
            for (Path f : list.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                var tree = FunctionFileReader.read(Files.readAllBytes(f));
                String base = f.getFileName().toString().replace(".yaml", "");
                dev.nest.function.SpecParser.parse(tree, f.getFileName().toString(), base,
                        dev.nest.function.SpecParser.Defaults.STANDARD);
                assertTrue(Files.isDirectory(CodeLocations.resolve(java.util.Optional.of(tree.path("code").asText()), f,
                        shipped, List.of(data))), f.toString());
            }
        }
    }

    @Test
    void aRemovedFileRemovesItsFunction() throws IOException {
        function("a", "runtime: fake\ncode: a\n");
        files.scan();
        assertTrue(deployed("a"));
        Files.delete(dir.resolve("a.yaml"));
        files.scan();
        assertFalse(deployed("a"));
    }
}
