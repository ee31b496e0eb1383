package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The start-up check of committed packages after a host crash (ADR 0027, addendum). */
class PackageCheckTest {
    private static final PackageLimits LIMITS = new PackageLimits(16L << 20, 1000);
    private static final Consumer<Path> NOTHING = p -> { };
    /** A preparation step that adds a file, as compiling a Java function adds its classes. */
    private static final Consumer<Path> COMPILE = dir -> {
        try {
            Files.createDirectories(dir.resolve("classes"));
            Files.writeString(dir.resolve("classes/Main.class"), "compiled bytes");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    };

    @TempDir
    Path tmp;
    private Path root;
    private Path content;

    @BeforeEach
    void content() throws IOException {
        root = tmp.resolve("artifacts");
        content = tmp.resolve("content");
        Files.createDirectories(content.resolve("lib"));
        Files.writeString(content.resolve("index.js"), "exports.handler = () => 'hello';\n".repeat(50));
        Files.write(content.resolve("lib/data.bin"), new byte[64 * 1024]);
        byte[] big = new byte[300_000];
        new java.util.Random(7).nextBytes(big);
        Files.write(content.resolve("lib/big.bin"), big);
    }

    static Stream<Arguments> depths() {
        Optional<String> none = Optional.empty();
        Optional<String> a = Optional.of("boot-a");
        Optional<String> b = Optional.of("boot-b");
        return Stream.of(
                // clean shutdown: sizes only, whatever the boots
                Arguments.of(true, a, a, PackageCheck.Depth.SIZES),
                Arguments.of(true, a, b, PackageCheck.Depth.SIZES),
                Arguments.of(true, none, none, PackageCheck.Depth.SIZES),
                // the process died, the host did not reboot: the page cache survived
                Arguments.of(false, a, a, PackageCheck.Depth.SIZES),
                // the host rebooted without a clean shutdown: a host crash
                Arguments.of(false, a, b, PackageCheck.Depth.HASHES),
                // no record of the last run, or no boot id to compare
                Arguments.of(false, none, a, PackageCheck.Depth.HASHES),
                Arguments.of(false, a, none, PackageCheck.Depth.HASHES),
                Arguments.of(false, none, none, PackageCheck.Depth.HASHES));
    }

    @ParameterizedTest
    @MethodSource("depths")
    void theCheckHashesOnlyWhenTheHostMayHaveCrashed(boolean clean, Optional<String> last, Optional<String> now,
                                                     PackageCheck.Depth expected) {
        assertEquals(expected, PackageCheck.depth(clean, last, now));
    }

    @Test
    void aSealReadsBackAndACutOrZeroedOneIsNotASeal() {
        PackageSeal s = new PackageSeal("sha256:" + "a".repeat(64), 3, 1234, Map.of("classes/Main.class", "b".repeat(64)));
        assertEquals(Optional.of(s), PackageSeal.parse(s.render()));
        String text = s.render();
        for (int cut = 0; cut < text.length(); cut++) {
            assertTrue(PackageSeal.parse(text.substring(0, cut)).isEmpty(), "cut at " + cut);
        }
        assertTrue(PackageSeal.parse("\0".repeat(text.length())).isEmpty());
        assertTrue(PackageSeal.parse("nest-seal/1 sha256:" + "a".repeat(64) + " -1 5\nend\n").isEmpty());
    }

    private Artifact ingest(Consumer<Path> prepare) {
        try (ArtifactStore s = new ArtifactStore(root, LIMITS)) {
            return s.ingestChunked(content, Codec.ZSTD, 128 * 1024, prepare);
        }
    }

    private Optional<Artifact> reopen() {
        try (ArtifactStore s = new ArtifactStore(root, LIMITS)) {
            return s.find(lastDigest);
        }
    }

    private String lastDigest;

    private Path committed(Consumer<Path> prepare) {
        Artifact a = ingest(prepare);
        lastDigest = a.digest();
        assertTrue(Files.exists(root.resolve(PackageCheck.CLEAN)), "a clean close records it");
        assertTrue(Files.exists(root.resolve("seals").resolve(Digests.hex(a.digest()))), "the commit seals the package");
        return a.codeDir();
    }

    /** What a host crash leaves: no clean-shutdown marker, and the last run recorded another boot. */
    private void crashTheHost() throws IOException {
        Files.deleteIfExists(root.resolve(PackageCheck.CLEAN));
        Files.writeString(root.resolve(PackageCheck.RUN), "a-boot-before-the-crash\n");
    }

    private static void overwrite(Path f, byte[] bytes) throws IOException {
        f.toFile().setWritable(true, true);
        Files.write(f, bytes);
    }

    @Test
    void anIntactPackageIsKeptAfterACleanShutdownAndAfterAHostCrash() throws IOException {
        Path dir = committed(NOTHING);
        assertTrue(reopen().isPresent());
        crashTheHost();
        assertTrue(reopen().isPresent());
        assertTrue(Files.isDirectory(dir));
    }

    @Test
    void aTruncatedFileIsFoundAtEveryStartAndThePackageRemoved() throws IOException {
        Path dir = committed(NOTHING);
        overwrite(dir.resolve("lib/big.bin"), new byte[1000]);
        assertTrue(Files.exists(root.resolve(PackageCheck.CLEAN)));
        assertTrue(reopen().isEmpty(), "sizes are checked even after a clean shutdown");
        assertFalse(Files.exists(dir));
        assertFalse(Files.exists(root.resolve("seals").resolve(Digests.hex(lastDigest))));
    }

    @Test
    void anEmptyFileIsFound() throws IOException {
        Path dir = committed(NOTHING);
        overwrite(dir.resolve("index.js"), new byte[0]);
        crashTheHost();
        assertTrue(reopen().isEmpty());
    }

    @Test
    void aZeroFilledFileOfTheRightSizeIsFoundOnlyByTheHashesAfterAHostCrash() throws IOException {
        Path dir = committed(NOTHING);
        Path f = dir.resolve("lib/big.bin");
        overwrite(f, new byte[(int) Files.size(f)]);
        assertTrue(reopen().isPresent(), "after a clean shutdown only the sizes are compared");
        crashTheHost();
        assertTrue(reopen().isEmpty(), "after a host crash every file is hashed");
        assertFalse(Files.exists(dir));
    }

    @Test
    void aPreparedPackageIsCheckedWithTheFilesItsPreparationAdded() throws IOException {
        Path dir = committed(COMPILE);
        String seal = Files.readString(root.resolve("seals").resolve(Digests.hex(lastDigest)), StandardCharsets.UTF_8);
        assertTrue(seal.contains(" classes/Main.class\n"), seal);
        crashTheHost();
        assertTrue(reopen().isPresent(), "the added file is not part of the content digest, and matches its seal");
        overwrite(dir.resolve("classes/Main.class"), "compiled bytez".getBytes(StandardCharsets.UTF_8));
        crashTheHost();
        assertTrue(reopen().isEmpty());
    }

    @Test
    void aDamagedSealRemovesThePackage() throws IOException {
        committed(NOTHING);
        Path seal = root.resolve("seals").resolve(Digests.hex(lastDigest));
        Files.write(seal, new byte[(int) Files.size(seal)]);
        assertTrue(reopen().isEmpty());
    }

    @Test
    void aPackageWithoutASealIsCheckedAgainstItsManifestAndItsDigest() throws IOException {
        Path dir = committed(NOTHING);
        Files.delete(root.resolve("seals").resolve(Digests.hex(lastDigest)));
        crashTheHost();
        assertTrue(reopen().isPresent(), "an intact package committed before seals existed is kept");
        Path f = dir.resolve("lib/data.bin");
        overwrite(f, new byte[10]);
        assertTrue(reopen().isEmpty(), "fewer bytes than its manifest declares");
    }

    @Test
    void aDamagedChunkIsDeletedInsteadOfReadSoThatItIsFetchedAgain() throws IOException {
        Path dir = committed(NOTHING);
        ChunkManifest m;
        try (ArtifactStore s = new ArtifactStore(root, LIMITS)) {
            m = ChunkManifest.parse(s.manifest(lastDigest).orElseThrow());
        }
        overwrite(dir.resolve("index.js"), new byte[0]);
        String first = m.chunks().get(0).sha256();
        Path chunkFile;
        try (ArtifactStore s = new ArtifactStore(root, LIMITS)) {
            assertTrue(s.find(lastDigest).isEmpty());
            chunkFile = s.chunk(first).orElseThrow();
            Files.write(chunkFile, new byte[(int) Files.size(chunkFile)]);
            ChunkStore store = new ChunkStore(root.resolve("chunks"), root.resolve("manifests"), root.resolve("staging"));
            assertTrue(store.readVerified(first).isEmpty(), "a zeroed chunk is not returned");
            assertFalse(Files.exists(chunkFile), "and is deleted, so it is fetched again");
            assertTrue(store.readVerified(m.chunks().get(1).sha256()).isPresent());
        }
    }
}
