package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArtifactStoreTest {
    private static final Consumer<Path> NOTHING = p -> { };
    private static final PackageLimits SMALL = new PackageLimits(1024 * 1024, 10);

    @TempDir
    Path tmp;

    private Path root;
    private ArtifactStore store;

    @BeforeEach
    void open() {
        root = tmp.resolve("artifacts");
        store = new ArtifactStore(root, SMALL);
    }

    // ---- zip helpers -----------------------------------------------------------------------------------

    private static Map<String, byte[]> files(String... namesAndTexts) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndTexts.length; i += 2) {
            m.put(namesAndTexts[i], namesAndTexts[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return m;
    }

    /** A zip of {@code entries} in their order; names ending in '/' are directories. */
    private static byte[] zip(Map<String, byte[]> entries, long time, boolean stored) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setTime(time);
                if (stored) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    ze.setMethod(ZipEntry.STORED);
                    ze.setSize(e.getValue().length);
                    ze.setCompressedSize(e.getValue().length);
                    ze.setCrc(crc.getValue());
                }
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    private static byte[] zip(Map<String, byte[]> entries) {
        return zip(entries, 0, false);
    }

    private Artifact ingest(byte[] zip) {
        return store.ingestZip(new ByteArrayInputStream(zip), NOTHING);
    }

    private ArtifactException refused(byte[] zip) {
        ArtifactException e = assertThrows(ArtifactException.class, () -> ingest(zip));
        assertEquals(400, e.status(), e.getMessage());
        assertStoreEmpty();
        return e;
    }

    private void assertStoreEmpty() {
        assertEquals(List.of(), list(root.resolve("code")), "nothing in code/");
        assertEquals(List.of(), staging(), "nothing in staging/");
    }

    /** What staging/ holds once the background seal and chunk-cache writes handed off so far have finished. */
    private List<String> staging() {
        store.close();
        return list(root.resolve("staging"));
    }

    private static List<String> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path f, String text) throws IOException {
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
    }

    // ---- digests ---------------------------------------------------------------------------------------

    @Test
    void theDigestDependsOnContentNotOnEntryOrderTimestampsOrCompression() {
        Map<String, byte[]> forward = files("index.js", "exports.handler = () => 1;", "lib/util.js", "x", "README", "");
        Map<String, byte[]> backward = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(forward.keySet());
        for (int i = names.size() - 1; i >= 0; i--) {
            backward.put(names.get(i), forward.get(names.get(i)));
        }
        Map<String, byte[]> withDirsAndDots = new LinkedHashMap<>();
        withDirsAndDots.put("lib/", new byte[0]);
        withDirsAndDots.put("./README", new byte[0]);
        withDirsAndDots.put("./lib/util.js", "x".getBytes());
        withDirsAndDots.put("index.js", forward.get("index.js"));

        Artifact a = ingest(zip(forward, 0, false));
        Artifact b = ingest(zip(backward, 1_700_000_000_000L, true));
        Artifact c = ingest(zip(withDirsAndDots, 946_684_800_000L, false));
        assertTrue(a.digest().matches("sha256:[0-9a-f]{64}"), a.digest());
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        assertEquals(3, a.files());
        assertEquals(26 + 1, a.bytes());
    }

    @Test
    void differentContentGivesDifferentDigests() {
        String base = ingest(zip(files("a.txt", "hello"))).digest();
        assertNotEquals(base, ingest(zip(files("a.txt", "hellO"))).digest(), "other bytes");
        assertNotEquals(base, ingest(zip(files("b.txt", "hello"))).digest(), "other name");
        assertNotEquals(base, ingest(zip(files("a.txt", "hello", "b.txt", ""))).digest(), "one more file");
        assertNotEquals(base, ingest(zip(files("d/a.txt", "hello"))).digest(), "other folder");
    }

    @Test
    void theSameContentTwiceIsStoredOnceAndPreparedOnce() throws IOException {
        AtomicInteger prepared = new AtomicInteger();
        Consumer<Path> prepare = p -> prepared.incrementAndGet();
        Artifact first = store.ingestZip(new ByteArrayInputStream(zip(files("a.txt", "one", "b/c.txt", "two"))), prepare);
        Artifact second = store.ingestZip(new ByteArrayInputStream(
                zip(files("b/c.txt", "two", "a.txt", "one"), 123_000, true)), prepare);
        assertEquals(first, second);
        assertEquals(1, prepared.get());
        assertEquals(List.of(first.digest().substring(7)), list(root.resolve("code")));
        assertEquals(List.of(), staging());
        assertEquals("one", Files.readString(first.codeDir().resolve("a.txt")));
        assertEquals("two", Files.readString(first.codeDir().resolve("b/c.txt")));
        assertEquals(Optional.of(first.codeDir()), store.find(first.digest()).map(Artifact::codeDir));
    }

    @Test
    void findKnowsOnlyStoredDigestsAndRefusesMalformedOnes() {
        assertEquals(Optional.empty(), store.find("sha256:" + "0".repeat(64)));
        ArtifactException e = assertThrows(ArtifactException.class, () -> store.find("../../etc"));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("'../../etc'"), e.getMessage());
    }

    // ---- refusals --------------------------------------------------------------------------------------

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"../evil.txt", "a/../../evil.txt", "a/../b.txt", "..", "../", "..\\evil.txt",
            "a\\..\\..\\evil.txt", "/etc/evil.txt", "/evil.txt", "\\evil.txt", "C:/evil.txt", "c:\\evil.txt"})
    void entriesThatEscapeOrAreAbsoluteAreRefusedNamingTheEntry(String name) {
        byte[] z = zip(files("ok.txt", "fine", name, "evil"));
        ArtifactException e = refused(z);
        assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("evil.txt")));
        assertFalse(Files.exists(root.resolve("evil.txt")));
    }

    @Test
    void moreEntriesThanTheLimitAreRefused() {
        Map<String, byte[]> many = new LinkedHashMap<>();
        for (int i = 0; i < SMALL.maxEntries() + 1; i++) {
            many.put("f" + i, new byte[] {(byte) i});
        }
        ArtifactException e = refused(zip(many));
        assertTrue(e.getMessage().contains("more than " + SMALL.maxEntries() + " entries"), e.getMessage());

        many.remove("f0");
        assertEquals(SMALL.maxEntries(), ingest(zip(many)).files(), "exactly the limit is fine");
    }

    @Test
    void aZipBombIsRefusedAtTheByteLimit() {
        Map<String, byte[]> bomb = new LinkedHashMap<>();
        bomb.put("zeros.bin", new byte[10 * 1024 * 1024]);
        byte[] z = zip(bomb);
        assertTrue(z.length < 100 * 1024, "the bomb is small: " + z.length);
        ArtifactException e = refused(z);
        assertTrue(e.getMessage().contains("more than " + SMALL.maxBytes() + " bytes"), e.getMessage());
    }

    @Test
    void theByteLimitCountsAllEntriesTogether() {
        Map<String, byte[]> two = new LinkedHashMap<>();
        two.put("a.bin", new byte[600 * 1024]);
        two.put("b.bin", new byte[600 * 1024]);
        refused(zip(two));
        two.remove("b.bin");
        assertEquals(600 * 1024, ingest(zip(two)).bytes());
    }

    @Test
    void notAZipIsRefused() {
        ArtifactException text = refused("this is not a zip archive".getBytes());
        assertTrue(text.getMessage().contains("zip"), text.getMessage());
        refused(new byte[0]);
        refused(zip(Map.of()));
        refused(zip(files("empty-dir/", "")));
    }

    /** A two-entry zip and the offset of its second entry's local header. */
    private static byte[] twoEntries() {
        return zip(files("a.txt", "x".repeat(10_000) + "y".repeat(10_000), "b.txt", "b"));
    }

    private static int secondHeader(byte[] z) {
        for (int i = 4; i < z.length - 3; i++) {
            if (z[i] == 'P' && z[i + 1] == 'K' && z[i + 2] == 3 && z[i + 3] == 4) {
                return i;
            }
        }
        throw new AssertionError("no second entry");
    }

    @Test
    void aZipCutInItsFirstHeaderIsRefused() {
        refused(Arrays.copyOf(twoEntries(), 20));
    }

    @Test
    void aZipCutBetweenEntriesIsRefusedNotStoredPartly() {
        byte[] whole = twoEntries();
        byte[] cut = Arrays.copyOf(whole, secondHeader(whole) + 10);
        ArtifactException e = assertThrows(ArtifactException.class, () -> ingest(cut));
        assertEquals(400, e.status(), e.getMessage());
        assertStoreEmpty();
    }

    @Test
    void aZipCutInsideAnEntryIsRefusedAsTheUploadersMistake() {
        byte[] whole = twoEntries();
        byte[] cut = Arrays.copyOf(whole, secondHeader(whole) - 20);
        ArtifactException e = assertThrows(ArtifactException.class, () -> ingest(cut));
        assertEquals(400, e.status(), e.getMessage());
        assertStoreEmpty();
    }

    @Test
    void anEntryThatAppearsTwiceIsRefused() {
        Map<String, byte[]> twice = new LinkedHashMap<>();
        twice.put("a.txt", "1".getBytes());
        twice.put("./a.txt", "2".getBytes());
        ArtifactException e = refused(zip(twice));
        assertTrue(e.getMessage().contains("'a.txt' appears twice"), e.getMessage());
    }

    // ---- prepare ---------------------------------------------------------------------------------------

    @Test
    void aFailedPrepareLeavesNothingBehind() {
        RuntimeException boom = new IllegalStateException("compile error in Hello.java");
        RuntimeException e = assertThrows(RuntimeException.class, () -> store.ingestZip(
                new ByteArrayInputStream(zip(files("Hello.java", "class Hello {"))), stage -> {
                    try {
                        Files.writeString(stage.resolve("half-done.class"), "x");
                    } catch (IOException io) {
                        throw new UncheckedIOException(io);
                    }
                    throw boom;
                }));
        assertEquals(boom, e);
        assertStoreEmpty();
        // and the same content can be ingested afterwards
        assertTrue(Files.isDirectory(ingest(zip(files("Hello.java", "class Hello {"))).codeDir()));
    }

    @Test
    void prepareRunsOnTheStagedFilesAndItsOutputIsStored() throws IOException {
        Artifact a = store.ingestZip(new ByteArrayInputStream(zip(files("src/A.java", "class A {}"))), stage -> {
            assertTrue(Files.isRegularFile(stage.resolve("src/A.java")));
            try {
                Files.writeString(stage.resolve("A.class"), "compiled");
            } catch (IOException io) {
                throw new UncheckedIOException(io);
            }
        });
        assertEquals("compiled", Files.readString(a.codeDir().resolve("A.class")));
        assertEquals("class A {}", Files.readString(a.codeDir().resolve("src/A.java")));
        assertEquals(1, a.files(), "the digest and counts are of the uploaded content");
    }

    @Test
    void aNewStoreCleansLeftoverStaging() throws IOException {
        write(root.resolve("staging/crashed-ingest/file.txt"), "left over");
        new ArtifactStore(root, SMALL);
        assertEquals(List.of(), staging());
    }

    // ---- directories -----------------------------------------------------------------------------------

    @Test
    void aDirectoryAndItsZipHaveTheSameDigest() throws IOException {
        Path dir = tmp.resolve("fn");
        write(dir.resolve("index.js"), "exports.handler = async () => 'hi';");
        write(dir.resolve("lib/a.js"), "module.exports = 1;");
        write(dir.resolve("lib/deep/b.json"), "{}");
        write(dir.resolve(".git/HEAD"), "ref: refs/heads/main");
        Files.createDirectories(dir.resolve("empty"));

        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        assertEquals(3, PackageWriter.zip(dir, bos));
        Artifact fromZip = ingest(bos.toByteArray());
        Artifact fromDir = store.ingestDirectory(dir, NOTHING);
        assertEquals(fromDir.digest(), fromZip.digest());
        assertEquals(fromDir.codeDir(), fromZip.codeDir());
        assertEquals(3, fromDir.files());
        assertEquals(fromZip.bytes(), fromDir.bytes());
        assertFalse(Files.exists(fromZip.codeDir().resolve(".git")), ".git is not packed");
        for (String f : List.of("index.js", "lib/a.js", "lib/deep/b.json")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve(f)), Files.readAllBytes(fromZip.codeDir().resolve(f)));
        }
        assertEquals(1, list(root.resolve("code")).size());
    }

    @Test
    void packageWriterZipsOnlyIncludedFilesAndDeterministically() throws IOException {
        Path dir = tmp.resolve("fn");
        write(dir.resolve("a.txt"), "a");
        write(dir.resolve("node_modules/x/index.js"), "x");
        ByteArrayOutputStream one = new ByteArrayOutputStream();
        ByteArrayOutputStream two = new ByteArrayOutputStream();
        assertEquals(1, PackageWriter.zip(dir, one, p -> !p.startsWith("node_modules/")));
        PackageWriter.zip(dir, two, p -> !p.startsWith("node_modules/"));
        assertArrayEquals(one.toByteArray(), two.toByteArray(), "same directory, same bytes");
        assertEquals(1, ingest(one.toByteArray()).files());
    }

    @Test
    void aDirectoryWithALinkPointingOutsideIsRefused() throws IOException {
        Path secret = tmp.resolve("secret.txt");
        write(secret, "do not ship");
        Path dir = tmp.resolve("fn");
        write(dir.resolve("index.js"), "x");
        Files.createSymbolicLink(dir.resolve("stolen.txt"), secret);
        ArtifactException e = assertThrows(ArtifactException.class, () -> store.ingestDirectory(dir, NOTHING));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("stolen.txt") && e.getMessage().contains("outside"), e.getMessage());
        assertStoreEmpty();
    }

    @Test
    void aDirectoryWithALinkedFolderPointingOutsideIsRefused() throws IOException {
        Path outside = tmp.resolve("outside");
        write(outside.resolve("secret.txt"), "do not ship");
        Path dir = tmp.resolve("fn");
        write(dir.resolve("index.js"), "x");
        Files.createSymbolicLink(dir.resolve("linked"), outside);
        ArtifactException e = assertThrows(ArtifactException.class, () -> store.ingestDirectory(dir, NOTHING));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("linked") && e.getMessage().contains("outside"), e.getMessage());
        assertStoreEmpty();
    }

    @Test
    void aLinkInsideTheDirectoryIsStoredAsAFile() throws IOException {
        Path dir = tmp.resolve("fn");
        write(dir.resolve("real.txt"), "content");
        Files.createSymbolicLink(dir.resolve("alias.txt"), dir.resolve("real.txt"));
        Artifact a = store.ingestDirectory(dir, NOTHING);
        assertEquals(2, a.files());
        assertTrue(Files.isRegularFile(a.codeDir().resolve("alias.txt"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertEquals("content", Files.readString(a.codeDir().resolve("alias.txt")));
    }

    @Test
    void directoryIngestRefusesMissingEmptyAndOversizedDirectories() throws IOException {
        assertEquals(400, assertThrows(ArtifactException.class,
                () -> store.ingestDirectory(tmp.resolve("missing"), NOTHING)).status());
        Path empty = Files.createDirectories(tmp.resolve("empty/sub"));
        assertEquals(400, assertThrows(ArtifactException.class,
                () -> store.ingestDirectory(empty.getParent(), NOTHING)).status());
        Path many = tmp.resolve("many");
        for (int i = 0; i <= SMALL.maxEntries(); i++) {
            write(many.resolve("f" + i), "x");
        }
        ArtifactException e = assertThrows(ArtifactException.class, () -> store.ingestDirectory(many, NOTHING));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("more than " + SMALL.maxEntries() + " files"), e.getMessage());
        assertStoreEmpty();
    }

    @Test
    void aDirectoryAlreadyStoredIsOnlyHashed() throws IOException {
        Path dir = tmp.resolve("fn");
        write(dir.resolve("a.txt"), "a");
        AtomicInteger prepared = new AtomicInteger();
        Artifact first = store.ingestDirectory(dir, p -> prepared.incrementAndGet());
        Artifact second = store.ingestDirectory(dir, p -> prepared.incrementAndGet());
        assertEquals(first, second);
        assertEquals(1, prepared.get());
        assertEquals(List.of(), staging());
    }

    // ---- chunk files served to peers -------------------------------------------------------------------

    @Test
    void opensAStoredChunkForServingAndNothingElse() throws IOException {
        byte[] bytes = "chunk bytes".getBytes(StandardCharsets.UTF_8);
        String sha = java.util.HexFormat.of().formatHex(Digests.sha256().digest(bytes));
        store.putChunk(sha, new ByteArrayInputStream(bytes));
        try (java.nio.channels.FileChannel ch = store.openChunk(sha).orElseThrow()) {
            assertEquals(bytes.length, ch.size());
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(bytes.length);
            ch.read(b, 0);
            assertArrayEquals(bytes, b.array());
        }
        assertEquals(Optional.empty(), store.openChunk("0".repeat(64)), "not stored");
        ArtifactException e = assertThrows(ArtifactException.class, () -> store.openChunk("../" + "0".repeat(61)));
        assertEquals(400, e.status());
        assertThrows(ArtifactException.class, () -> store.openChunk("A".repeat(64)));
        // a link in a chunk's place is not followed out of the chunk directory; a directory is not a chunk
        Path outside = Files.writeString(tmp.resolve("secret"), "not a chunk");
        Files.createSymbolicLink(root.resolve("chunks").resolve("1".repeat(64)), outside);
        assertEquals(Optional.empty(), store.openChunk("1".repeat(64)));
        Files.createDirectory(root.resolve("chunks").resolve("2".repeat(64)));
        assertEquals(Optional.empty(), store.openChunk("2".repeat(64)));
    }
}
