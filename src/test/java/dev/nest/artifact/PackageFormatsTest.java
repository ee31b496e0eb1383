package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The package format gate: the pure decision, what a node advertised, and the store following the decision. */
class PackageFormatsTest {
    private static final PackageFormats.Node NEW_A = new PackageFormats.Node("a", Set.of(1, 2));
    private static final PackageFormats.Node NEW_B = new PackageFormats.Node("b", Set.of(1, 2));
    private static final PackageFormats.Node OLD_C = new PackageFormats.Node("c", Set.of(1), "an older release");

    @TempDir
    Path tmp;

    static Stream<Arguments> decisions() {
        var auto = PackageFormats.Setting.AUTO;
        var one = PackageFormats.Setting.FORMAT_1;
        var two = PackageFormats.Setting.FORMAT_2;
        return Stream.of(
                // setting, live nodes, ratcheted, expected format, ratchet to record, words in the reason
                Arguments.of(auto, List.of(NEW_A), false, 2, true, "every live node (1)"),
                Arguments.of(auto, List.of(NEW_A, NEW_B), false, 2, true, "every live node (2)"),
                Arguments.of(auto, List.of(NEW_A, NEW_B), true, 2, false, "recorded in ZooKeeper"),
                Arguments.of(auto, List.of(NEW_A, OLD_C), false, 1, false, "c (an older release) do not read"),
                Arguments.of(auto, List.of(OLD_C), false, 1, false, "do not read"),
                Arguments.of(auto, List.of(), false, 1, false, "no registered node is known yet"),
                Arguments.of(auto, List.of(), true, 2, false, "recorded in ZooKeeper"),
                // the ratchet holds when an older node joins later: no flapping, the old node is named
                Arguments.of(auto, List.of(NEW_A, OLD_C), true, 2, false, "joined since"),
                Arguments.of(one, List.of(NEW_A, NEW_B), false, 1, false, "artifacts.package-format is 1"),
                Arguments.of(one, List.of(NEW_A, NEW_B), true, 1, false, "artifacts.package-format is 1"),
                Arguments.of(two, List.of(NEW_A, OLD_C), false, 2, true, "c (an older release) do not read it"),
                Arguments.of(two, List.of(NEW_A), true, 2, false, "artifacts.package-format is 2"));
    }

    @ParameterizedTest(name = "[{index}] {0} {1} ratcheted={2} -> {3}")
    @MethodSource
    void decisions(PackageFormats.Setting setting, List<PackageFormats.Node> live, boolean ratcheted, int format,
                   boolean ratchet, String reason) {
        PackageFormats.Decision d = PackageFormats.decide(setting, live, ratcheted);
        assertEquals(format, d.format());
        assertEquals(format == 2 ? ChunkCodecs.Policy.FAST_LARGE : ChunkCodecs.Policy.UNIFORM, d.policy());
        assertEquals(ratchet, d.ratchet());
        assertTrue(d.reason().contains(reason), d.reason());
    }

    @Test
    void manyOldNodesAreNamedUpToFive() {
        List<PackageFormats.Node> live = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            live.add(new PackageFormats.Node("old-" + i, Set.of(1)));
        }
        String r = PackageFormats.decide(PackageFormats.Setting.AUTO, live, false).reason();
        assertTrue(r.contains("old-4") && !r.contains("old-5") && r.contains("..."), r);
    }

    static Stream<Arguments> advertisements() {
        return Stream.of(
                Arguments.of(null, Set.of(1)),
                Arguments.of("", Set.of(1)),
                Arguments.of("1,2", Set.of(1, 2)),
                Arguments.of(" 2 ", Set.of(1, 2)),
                Arguments.of("2,3,99", Set.of(1, 2)),
                Arguments.of("3", Set.of(1)),
                Arguments.of("two", Set.of(1)),
                Arguments.of("1;2", Set.of(1)),
                Arguments.of("-2", Set.of(1)),
                Arguments.of("02", Set.of(1)),
                Arguments.of("\u0000\uFFFF", Set.of(1)),
                Arguments.of("1,".repeat(40) + "2", Set.of(1)));
    }

    @ParameterizedTest(name = "[{index}] ''{0}''")
    @MethodSource
    void advertisements(String value, Set<Integer> reads) {
        assertEquals(reads, PackageFormats.advertised(value));
    }

    @Test
    void settingsParseAndAWrongOneNamesWhatIsAllowed() {
        assertEquals(PackageFormats.Setting.AUTO, PackageFormats.Setting.parse(" Auto "));
        assertEquals(PackageFormats.Setting.FORMAT_1, PackageFormats.Setting.parse("1"));
        assertEquals(PackageFormats.Setting.FORMAT_2, PackageFormats.Setting.parse("2"));
        var e = assertThrows(IllegalArgumentException.class, () -> PackageFormats.Setting.parse("3"));
        assertTrue(e.getMessage().contains("'3'") && e.getMessage().contains("auto, 1, 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PackageFormats.Setting.parse(null));
    }

    // ---- the store follows the decision --------------------------------------------------------------

    private static final PackageFormats.Decision ONE = PackageFormats.decide(PackageFormats.Setting.AUTO,
            List.of(NEW_A, OLD_C), false);

    /** Small text files and one large random file: format 2 stores the random chunks. */
    private byte[] zip() throws IOException {
        var out = new ByteArrayOutputStream();
        Random r = new Random(3);
        try (var z = new ZipOutputStream(out)) {
            for (int i = 0; i < 20; i++) {
                z.putNextEntry(new ZipEntry("lib/f" + i + ".js"));
                z.write(("exports.v" + i + " = 1;\n").repeat(30).getBytes(StandardCharsets.UTF_8));
            }
            byte[] media = new byte[6 << 20];
            r.nextBytes(media);
            z.putNextEntry(new ZipEntry("media.bin"));
            z.write(media);
        }
        return out.toByteArray();
    }

    private static String format(ArtifactStore s, String digest) {
        String json = new String(s.manifest(digest).orElseThrow(), StandardCharsets.UTF_8);
        return json.substring(0, json.indexOf(',')) + "}";
    }

    @Test
    void anUploadIsStoredInTheFormatTheClusterDecided() throws IOException {
        byte[] zip = zip();
        ArtifactStore alone = new ArtifactStore(tmp.resolve("alone"), PackageLimits.DEFAULT);
        Artifact a = alone.ingestZip(new ByteArrayInputStream(zip), p -> { });
        assertEquals("{\"format\":\"" + ChunkManifest.FORMAT_PER_CHUNK + "\"}", format(alone, a.digest()));

        ArtifactStore mixed = new ArtifactStore(tmp.resolve("mixed"), PackageLimits.DEFAULT);
        mixed.useFormats(() -> ONE);
        Artifact b = mixed.ingestZip(new ByteArrayInputStream(zip), p -> { });
        assertEquals(a.digest(), b.digest(), "the format changes the chunks, never the content digest");
        assertEquals("{\"format\":\"" + ChunkManifest.FORMAT + "\"}", format(mixed, b.digest()));
    }

    @Test
    void aFormat2UploadIsRefusedWhileTheClusterWritesFormat1AndTakenOnceItMayBe() throws IOException {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("bundle.js"), "function f(a, b) { return a + b; }\n".repeat(200_000));
        Map<String, byte[]> chunks = new LinkedHashMap<>();
        ChunkManifest m = ChunkedPackage.write(src, p -> true, Optional.of(Codec.ZSTD), ChunkCodecs.Policy.FAST_LARGE,
                1 << 20, chunks::put);
        assertTrue(m.perChunk());
        AtomicReference<PackageFormats.Decision> decision = new AtomicReference<>(ONE);
        ArtifactStore s = new ArtifactStore(tmp.resolve("node"), PackageLimits.DEFAULT);
        s.useFormats(decision::get);
        chunks.forEach((sha, b) -> s.putChunk(sha, new ByteArrayInputStream(b)));
        ArtifactException e = assertThrows(ArtifactException.class, () -> s.ingestManifest(m.toJson(), p -> { }));
        assertEquals(409, e.status());
        assertTrue(e.getMessage().contains(ChunkManifest.FORMAT_PER_CHUNK) && e.getMessage().contains("c (an older release)"),
                e.getMessage());
        assertTrue(s.find(m.digest()).isEmpty(), "nothing committed");
        // a format-2 manifest whose chunks all use the package codec is refused too: its format string is what old nodes read
        String relabelled = new String(ChunkedPackage.write(src, p -> true, Optional.of(Codec.ZSTD), ChunkCodecs.Policy.UNIFORM,
                1 << 20, (sha, b) -> { }).toJson(), StandardCharsets.UTF_8).replace(ChunkManifest.FORMAT, ChunkManifest.FORMAT_PER_CHUNK);
        assertEquals(409, assertThrows(ArtifactException.class,
                () -> s.ingestManifest(relabelled.getBytes(StandardCharsets.UTF_8), p -> { })).status());

        decision.set(PackageFormats.decide(PackageFormats.Setting.AUTO, List.of(NEW_A, NEW_B), false));
        Artifact a = s.ingestManifest(m.toJson(), p -> { });
        assertArrayEquals(Files.readAllBytes(src.resolve("bundle.js")), Files.readAllBytes(a.codeDir().resolve("bundle.js")));
        assertFalse(format(s, a.digest()).contains("nest-chunks/1"));
    }
}
