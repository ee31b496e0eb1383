package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** What a package may not do: leave its directory through a link, expand beyond its declared sizes, hold bad entries. */
class PackageSafetyTest {
    private static final Consumer<Path> NOTHING = p -> { };
    private static final PackageLimits SMALL = new PackageLimits(1 << 20, 10);
    private static final int S_IFLNK = 0120000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFREG = 0100000;

    @TempDir
    Path tmp;

    // ---- the packer and links ---------------------------------------------------------------------------

    private Path fn() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("fn"));
        Files.writeString(dir.resolve("index.js"), "exports.handler = () => 1;\n");
        return dir;
    }

    private static ArtifactException packRefused(Path dir) {
        ArtifactException chunked = assertThrows(ArtifactException.class,
                () -> ChunkedPackage.write(dir, p -> true, Optional.empty(), 4096, (sha, b) -> { }));
        ArtifactException zipped = assertThrows(ArtifactException.class,
                () -> PackageWriter.zip(dir, new ByteArrayOutputStream()));
        assertEquals(400, chunked.status());
        assertEquals(chunked.detail(), zipped.detail(), "both package forms refuse alike");
        return chunked;
    }

    @Test
    void thePackerRefusesALinkToAFileOutsideNamingTheLinkAndItsTarget() throws IOException {
        Path dir = fn();
        Files.createDirectories(dir.resolve("lib"));
        Files.createSymbolicLink(dir.resolve("lib/passwd"), Path.of("/etc/passwd"));
        ArtifactException e = packRefused(dir);
        assertTrue(e.detail().contains("'lib/passwd'") && e.detail().contains("'/etc/passwd'")
                && e.detail().contains("outside"), e.detail());
    }

    @Test
    void thePackerRefusesARelativeLinkAndALinkedFolderLeavingTheDirectory() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "do not ship");
        Path dir = fn();
        Files.createSymbolicLink(dir.resolve("up.txt"), Path.of("../outside/secret.txt"));
        assertTrue(packRefused(dir).detail().contains("'up.txt' points to '../outside/secret.txt'"));
        Files.delete(dir.resolve("up.txt"));
        Files.createSymbolicLink(dir.resolve("linked"), outside);
        assertTrue(packRefused(dir).detail().contains("'linked'"));
    }

    @Test
    void aLinkToAFileLeftOutOfThePackageIsNeverRead() throws IOException {
        Path shared = tmp.resolve("shared.yaml");
        Files.writeString(shared, "name: fn\n");
        Path dir = fn();
        Files.createSymbolicLink(dir.resolve("function.yaml"), shared);
        ChunkManifest m = ChunkedPackage.write(dir, p -> !p.equals("function.yaml"), Optional.empty(), 4096, (sha, b) -> { });
        assertEquals(1, m.files());
    }

    @Test
    void thePackerRefusesBrokenAndLoopingLinks() throws IOException {
        Path dir = fn();
        Files.createSymbolicLink(dir.resolve("gone.txt"), Path.of("missing.txt"));
        assertTrue(packRefused(dir).detail().contains("'gone.txt'"));
        Files.delete(dir.resolve("gone.txt"));
        Files.createDirectories(dir.resolve("sub"));
        Files.createSymbolicLink(dir.resolve("sub/loop"), Path.of(".."));
        assertTrue(packRefused(dir).detail().contains("'sub/loop'"));
    }

    @Test
    void aLinkInsideIsPackedAsWhatItPointsToAlikeByEveryPath() throws IOException {
        Path dir = fn();
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("lib/real.js"), "module.exports = 42;\n");
        Files.createSymbolicLink(dir.resolve("alias.js"), Path.of("lib/real.js"));
        Files.createSymbolicLink(dir.resolve("shared"), Path.of("lib"));

        ArtifactStore zipStore = new ArtifactStore(tmp.resolve("z"), PackageLimits.DEFAULT);
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        assertEquals(4, PackageWriter.zip(dir, zip));
        Artifact fromZip = zipStore.ingestZip(new ByteArrayInputStream(zip.toByteArray()), NOTHING);

        ArtifactStore chunkStore = new ArtifactStore(tmp.resolve("c"), PackageLimits.DEFAULT);
        Map<String, byte[]> chunks = new LinkedHashMap<>();
        ChunkManifest m = ChunkedPackage.write(dir, p -> true, Optional.empty(), 4096, chunks::put);
        chunks.forEach((sha, b) -> chunkStore.putChunk(sha, new ByteArrayInputStream(b)));
        Artifact fromChunks = chunkStore.ingestManifest(m.toJson(), NOTHING);

        Artifact fromDir = new ArtifactStore(tmp.resolve("d"), PackageLimits.DEFAULT).ingestDirectory(dir, NOTHING);
        assertEquals(fromZip.digest(), fromChunks.digest());
        assertEquals(fromZip.digest(), fromDir.digest());
        for (Artifact a : List.of(fromZip, fromChunks, fromDir)) {
            for (String f : List.of("alias.js", "shared/real.js", "lib/real.js")) {
                Path p = a.codeDir().resolve(f);
                assertTrue(Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS), f);
                assertEquals("module.exports = 42;\n", Files.readString(p));
            }
            assertFalse(Files.isSymbolicLink(a.codeDir().resolve("shared")));
        }
    }

    // ---- zip bombs --------------------------------------------------------------------------------------

    /** One entry of a hand-made zip: its name bytes, content, how it is stored, the size it declares, its mode. */
    record Entry(byte[] name, byte[] data, boolean deflate, long declared, int unixMode) {
        static Entry file(String name, String content) {
            byte[] d = content.getBytes(StandardCharsets.UTF_8);
            return new Entry(name.getBytes(StandardCharsets.UTF_8), d, false, d.length, 0);
        }

        static Entry dir(String name) {
            return new Entry(name.getBytes(StandardCharsets.UTF_8), new byte[0], false, 0, 0);
        }

        Entry mode(int m) {
            return new Entry(name, data, deflate, declared, m);
        }
    }

    /** A zip written byte by byte, so that its names, declared sizes and modes can be anything. */
    static byte[] zip(List<Entry> entries) {
        ByteBuffer out = ByteBuffer.allocate(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer cen = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (Entry e : entries) {
            byte[] stored = e.data();
            if (e.deflate()) {
                Deflater d = new Deflater(9, true);
                d.setInput(e.data());
                d.finish();
                byte[] buf = new byte[e.data().length + 1024];
                int n = d.deflate(buf);
                stored = java.util.Arrays.copyOf(buf, n);
            }
            CRC32 crc = new CRC32();
            crc.update(e.data());
            int offset = out.position();
            int method = e.deflate() ? 8 : 0;
            out.putInt(0x04034b50).putShort((short) 20).putShort((short) 0x0800).putShort((short) method)
                    .putShort((short) 0).putShort((short) 0x21).putInt((int) crc.getValue()).putInt(stored.length)
                    .putInt((int) e.declared()).putShort((short) e.name().length).putShort((short) 0).put(e.name()).put(stored);
            cen.putInt(0x02014b50).putShort((short) (e.unixMode() != 0 ? (3 << 8) | 20 : 20)).putShort((short) 20)
                    .putShort((short) 0x0800).putShort((short) method).putShort((short) 0).putShort((short) 0x21)
                    .putInt((int) crc.getValue()).putInt(stored.length).putInt((int) e.declared())
                    .putShort((short) e.name().length).putShort((short) 0).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putInt(e.unixMode() << 16).putInt(offset).put(e.name());
        }
        int cenAt = out.position();
        out.put(cen.flip());
        int cenSize = out.position() - cenAt;
        out.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) entries.size())
                .putShort((short) entries.size()).putInt(cenSize).putInt(cenAt).putShort((short) 0);
        return java.util.Arrays.copyOf(out.array(), out.position());
    }

    private long bytesUnder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private ArtifactException unzipRefused(byte[] zip, Path stage, PackageLimits limits) throws IOException {
        Files.createDirectories(stage);
        ArtifactException e = assertThrows(ArtifactException.class, () -> ZipUnpacker.unpack(
                new ByteArrayInputStream(zip), stage, tmp.resolve("upload.zip"), limits));
        assertEquals(400, e.status(), e.detail());
        assertFalse(e.detail().contains(tmp.toString()), e.detail());
        return e;
    }

    @Test
    void aZipWhoseDeclaredSizesPassTheLimitIsRefusedBeforeAnyByteIsWritten() throws IOException {
        byte[] zeros = new byte[600_000];
        List<Entry> entries = new ArrayList<>();
        entries.add(Entry.file("index.js", "x"));
        for (int i = 0; i < 3; i++) {
            entries.add(new Entry(("blob" + i).getBytes(StandardCharsets.UTF_8), zeros, true, zeros.length, 0));
        }
        byte[] bomb = zip(entries);
        assertTrue(bomb.length < 10_000, "a few KB upload: " + bomb.length);
        Path stage = tmp.resolve("stage");
        ArtifactException e = unzipRefused(bomb, stage, SMALL);
        assertTrue(e.detail().contains("more than " + SMALL.maxBytes() + " bytes"), e.detail());
        try (Stream<Path> s = Files.list(stage)) {
            assertEquals(List.of(), s.toList(), "nothing was written to the stage");
        }
        // one entry declaring 4 GB on a few bytes
        Path stage2 = tmp.resolve("stage2");
        unzipRefused(zip(List.of(new Entry("big".getBytes(StandardCharsets.UTF_8), new byte[10], false, 0xFFFF_FFF0L, 0))),
                stage2, PackageLimits.DEFAULT);
        assertEquals(0, bytesUnder(stage2));
    }

    @Test
    void aZipWhoseDeclaredSizesLieIsStoppedAtTheDeclaredSize() throws IOException {
        byte[] zeros = new byte[2_000_000];
        byte[] liar = zip(List.of(Entry.file("index.js", "x"),
                new Entry("blob".getBytes(StandardCharsets.UTF_8), zeros, true, 100, 0)));
        Path stage = tmp.resolve("stage");
        ArtifactException e = unzipRefused(liar, stage, SMALL);
        assertTrue(e.detail().contains("'blob'") && e.detail().contains("100 bytes it declares"), e.detail());
        assertTrue(bytesUnder(stage) <= 101, "written: " + bytesUnder(stage));
    }

    // ---- bad zip entries --------------------------------------------------------------------------------

    static Stream<Object[]> badEntries() {
        String longName = "n".repeat(256) + ".js";
        return Stream.of(
                new Object[] {"a file and a folder of one name", List.of(Entry.file("a", "x"), Entry.file("a/b", "y")), "'a'"},
                new Object[] {"a folder, then a file of its name", List.of(Entry.file("a/b", "y"), Entry.file("a", "x")), "'a'"},
                new Object[] {"a directory entry over a file", List.of(Entry.file("a", "x"), Entry.dir("a/")), "'a'"},
                new Object[] {"a name over 255 bytes", List.of(Entry.file("lib/" + longName, "x")), longName},
                new Object[] {"an absolute name", List.of(Entry.file("/etc/cron.d/x", "x")), "'/etc/cron.d/x'"},
                new Object[] {"a name with ..", List.of(Entry.file("lib/../../x", "x")), "'lib/../../x'"},
                new Object[] {"a name with a NUL byte", List.of(Entry.file("a\0.js", "x")), "'a\\0.js'"},
                new Object[] {"a device", List.of(Entry.file("index.js", "x"), Entry.file("dev/tty", "").mode(S_IFCHR | 0666)), "'dev/tty'"},
                new Object[] {"a symbolic link", List.of(Entry.file("index.js", "x"), Entry.file("passwd", "/etc/passwd").mode(S_IFLNK | 0777)),
                        "'passwd'"},
                new Object[] {"an entry twice", List.of(Entry.file("x.js", "1"), Entry.file("x.js", "2")), "'x.js'"},
                new Object[] {"an entry twice under two spellings", List.of(Entry.file("x.js", "1"), Entry.file("./x.js", "2")), "x.js'"});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badEntries")
    void aBadZipEntryIsA400NamingItWithoutServerPaths(String what, List<Entry> entries, String named) throws IOException {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"), PackageLimits.DEFAULT);
        ArtifactException e = assertThrows(ArtifactException.class,
                () -> store.ingestZip(new ByteArrayInputStream(zip(entries)), NOTHING));
        assertEquals(400, e.status(), what + ": " + e.detail());
        assertTrue(e.detail().contains(named), what + ": " + e.detail());
        assertFalse(e.detail().contains(tmp.toString()), what + ": " + e.detail());
        // and nothing was written before the refusal
        Path stage = tmp.resolve("stage");
        unzipRefused(zip(entries), stage, PackageLimits.DEFAULT);
        assertEquals(0, bytesUnder(stage), what);
    }

    @Test
    void aRegularFileMadeOnUnixAndAGoodZipStillUnpack() throws IOException {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"), PackageLimits.DEFAULT);
        Artifact a = store.ingestZip(new ByteArrayInputStream(zip(List.of(Entry.dir("lib/"),
                Entry.file("lib/a.js", "a").mode(S_IFREG | 0644), Entry.file("./index.js", "x")))), NOTHING);
        assertEquals(2, a.files());
        assertEquals("a", Files.readString(a.codeDir().resolve("lib/a.js")));
    }

    @Test
    void storageErrorsNameTheFileInThePackageNotTheServerPath() {
        Path root = tmp.resolve("store");
        var e = new FileSystemException(root.resolve("staging/0b0e7d4e-4c43-4f8a-9d6f-2a8a3b1c9e10/lib/a.js").toString(),
                null, "Read-only file system");
        assertEquals("lib/a.js: Read-only file system", ArtifactStore.withoutPaths(e, root));
        var other = new FileSystemException(root.resolve("chunks/abc").toString(), null, "No space left on device");
        assertEquals("<artifacts>/chunks/abc: No space left on device", ArtifactStore.withoutPaths(other, root));
    }

    // ---- chunked packages -------------------------------------------------------------------------------

    static Stream<Object[]> oversizedManifests() {
        List<ChunkManifest.Chunk> one = List.of(new ChunkManifest.Chunk("2".repeat(64), 10, 1000));
        return Stream.of(
                new Object[] {new ChunkManifest("sha256:" + "1".repeat(64), Codec.ZSTD, 1, SMALL.maxBytes() + 1, one), "bytes"},
                new Object[] {new ChunkManifest("sha256:" + "1".repeat(64), Codec.ZSTD, SMALL.maxEntries() + 1, 1000, one), "entries"},
                new Object[] {new ChunkManifest("sha256:" + "1".repeat(64), Codec.ZSTD, 1, 10, List.of(
                        new ChunkManifest.Chunk("2".repeat(64), 10, 60 << 20))), "uncompressed bytes"});
    }

    @ParameterizedTest
    @MethodSource("oversizedManifests")
    void aManifestWithOversizedDeclarationsIsRefusedBeforeAnyWork(ChunkManifest m, String named) throws IOException {
        ArtifactException direct = assertThrows(ArtifactException.class, () -> ChunkUnpacker.checkDeclared(m, SMALL));
        assertTrue(direct.detail().contains(named), direct.detail());
        ArtifactStore store = new ArtifactStore(tmp.resolve("c"), SMALL);
        ArtifactException e = assertThrows(ArtifactException.class, () -> store.ingestManifest(m.toJson(), NOTHING));
        assertEquals(400, e.status());
        assertEquals(0, bytesUnder(tmp.resolve("c/staging")));
    }

    private static byte[] record(String path, byte[] data) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(25 + p.length + data.length);
        b.put((byte) 'F').putShort((short) p.length).put(p).putShort((short) 0644).putLong(data.length).putLong(0)
                .putInt(data.length).put(data);
        return b.array();
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = "STORED", mode = EnumSource.Mode.EXCLUDE)
    void aChunkThatDecompressesBeyondItsDeclaredSizeIsRefusedAtOnce(Codec codec) {
        byte[] raw = record("zeros", new byte[1_000_000]);
        byte[] c = codec.compress(raw, raw.length);
        ArtifactException e = assertThrows(ArtifactException.class, () -> codec.decompress(c, 4096, "chunk 0"));
        assertEquals(400, e.status());
        assertTrue(e.detail().contains("chunk 0 does not decompress to the 4096 bytes"), e.detail());
    }

    @Test
    void aRecordDeclaringMoreThanTheManifestIsRefusedBeforeItIsWritten() throws IOException {
        Path stage = Files.createDirectories(tmp.resolve("stage"));
        PackageArchive.Unpacked u = new PackageArchive.Unpacked(stage, PackageLimits.DEFAULT, 1000);
        ArtifactException e = assertThrows(ArtifactException.class,
                () -> PackageArchive.unpack(record("a.bin", new byte[5000]), "chunk 0", u));
        assertTrue(e.detail().contains("more than the 1000 bytes the manifest declares"), e.detail());
        assertEquals(0, bytesUnder(stage));
    }
}
