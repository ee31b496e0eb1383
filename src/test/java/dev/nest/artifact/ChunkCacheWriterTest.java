package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The background chunk-cache writer with a manual executor and in-memory files: order, bound, failure. */
class ChunkCacheWriterTest {
    private static final String DIGEST = "sha256:" + "d".repeat(64);

    /** Runs tasks only when the test says so. */
    static final class ManualExecutor implements Executor {
        final Queue<Runnable> tasks = new ArrayDeque<>();
        boolean rejecting;

        @Override
        public void execute(Runnable r) {
            if (rejecting) {
                throw new RejectedExecutionException("closed");
            }
            tasks.add(r);
        }

        void runAll() {
            while (!tasks.isEmpty()) {
                tasks.poll().run();
            }
        }
    }

    /** Files in memory, with the order of writes and a switch to fail chunk writes. */
    static final class InMemoryFiles implements ChunkCacheWriter.Files {
        final Map<String, byte[]> chunks = new ConcurrentHashMap<>();
        final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
        final List<String> writes = new ArrayList<>();
        boolean failChunks;

        @Override
        public boolean has(String sha256) {
            return chunks.containsKey(sha256);
        }

        @Override
        public synchronized void writeChunk(String sha256, byte[] compressed) throws IOException {
            if (failChunks) {
                throw new IOException("disk full");
            }
            writes.add("chunk " + sha256);
            chunks.put(sha256, compressed);
        }

        @Override
        public synchronized void writeManifest(String digest, byte[] json) {
            writes.add("manifest " + digest);
            manifests.put(digest, json);
        }
    }

    private final ManualExecutor executor = new ManualExecutor();
    private final InMemoryFiles files = new InMemoryFiles();

    @Test
    void chunksAreHeldUntilTheCommitThenWrittenBeforeTheManifestAndThenAccounted() throws IOException {
        ChunkCacheWriter w = new ChunkCacheWriter(files, executor, 100);
        AtomicInteger accounted = new AtomicInteger();
        ChunkCacheWriter.Batch b = w.open(DIGEST);
        b.add("a", new byte[10]);
        b.add("b", new byte[20]);
        assertEquals(30, w.pendingBytes());
        assertTrue(files.writes.isEmpty(), "nothing written on the fetch's path");
        CompletableFuture<Boolean> done = b.commit(new byte[] {'{', '}'}, accounted::incrementAndGet);
        assertFalse(done.isDone());
        assertEquals(1, executor.tasks.size(), "one background task per package");
        executor.runAll();
        assertEquals(List.of("chunk a", "chunk b", "manifest " + DIGEST), files.writes);
        assertTrue(done.join());
        assertEquals(1, accounted.get());
        assertEquals(0, w.pendingBytes());
    }

    @Test
    void aChunkBeyondTheBoundIsWrittenAtOnceSoNothingIsDroppedAndMemoryStaysBounded() throws IOException {
        ChunkCacheWriter w = new ChunkCacheWriter(files, executor, 25);
        ChunkCacheWriter.Batch b = w.open(DIGEST);
        b.add("a", new byte[20]);
        b.add("b", new byte[10]);
        assertEquals(List.of("chunk b"), files.writes, "b would pass the bound: written by the caller");
        assertEquals(20, w.pendingBytes());
        b.commit(new byte[0], () -> { });
        executor.runAll();
        assertEquals(List.of("chunk b", "chunk a", "manifest " + DIGEST), files.writes);
        assertEquals(0, w.pendingBytes());
    }

    @Test
    void aBoundOfZeroWritesEverythingOnTheCallersThread() throws IOException {
        ChunkCacheWriter w = new ChunkCacheWriter(files, executor, 0);
        ChunkCacheWriter.Batch b = w.open(DIGEST);
        b.add("a", new byte[5]);
        assertTrue(b.commit(new byte[0], () -> { }).isDone());
        assertTrue(executor.tasks.isEmpty());
        assertEquals(List.of("chunk a", "manifest " + DIGEST), files.writes);
    }

    @Test
    void aFailedWriteIsOnlyReportedAndTheManifestIsNotWritten() throws IOException {
        ChunkCacheWriter w = new ChunkCacheWriter(files, executor, 100);
        AtomicInteger accounted = new AtomicInteger();
        ChunkCacheWriter.Batch b = w.open(DIGEST);
        b.add("a", new byte[10]);
        files.failChunks = true;
        CompletableFuture<Boolean> done = b.commit(new byte[0], accounted::incrementAndGet);
        executor.runAll();
        assertFalse(done.join(), "not servable: the manifest is not written without its chunks");
        assertTrue(files.manifests.isEmpty());
        assertEquals(1, accounted.get(), "the package is still accounted");
        assertEquals(0, w.pendingBytes());
    }

    @Test
    void anAbandonedBatchReleasesItsMemoryAndWritesNothing() throws IOException {
        ChunkCacheWriter w = new ChunkCacheWriter(files, executor, 100);
        ChunkCacheWriter.Batch b = w.open(DIGEST);
        b.add("a", new byte[10]);
        b.abandon();
        assertEquals(0, w.pendingBytes());
        b.add("late", new byte[10]);
        assertEquals(0, w.pendingBytes(), "a chunk arriving after the abandon is not held");
        assertTrue(files.writes.isEmpty());
    }

    @Test
    void aClosedExecutorMakesTheCommitWriteOnTheCallersThread() throws IOException {
        ChunkCacheWriter w = new ChunkCacheWriter(files, executor, 100);
        ChunkCacheWriter.Batch b = w.open(DIGEST);
        b.add("a", new byte[10]);
        executor.rejecting = true;
        assertTrue(b.commit(new byte[0], () -> { }).join());
        assertEquals(List.of("chunk a", "manifest " + DIGEST), files.writes);
    }

    @Test
    void aChunkAlreadyStoredIsNotWrittenAgain() throws IOException {
        files.chunks.put("a", new byte[1]);
        ChunkCacheWriter w = new ChunkCacheWriter(files, executor, 0);
        w.open(DIGEST).add("a", new byte[1]);
        assertTrue(files.writes.isEmpty());
    }

    @Test
    void aNegativeBoundIsRefused() {
        assertThrows(ArtifactException.class, () -> new ChunkCacheWriter(files, executor, -1));
    }

    @Test
    void heldArraysAreHandedBackOnlyOnceTheBackgroundWroteThem() throws IOException {
        List<byte[]> handed = new ArrayList<>();
        ChunkCacheWriter w = new ChunkCacheWriter(files, executor, 25, handed::add);
        byte[] a = new byte[10];
        byte[] known = new byte[5];
        byte[] big = new byte[20];
        files.chunks.put("k", new byte[5]);
        ChunkCacheWriter.Batch b = w.open(DIGEST);
        b.add("a", a);
        b.add("k", known);
        b.add("big", big); // beyond the bound: written at once by the fetching thread, which may still use it
        assertTrue(handed.isEmpty());
        b.commit(new byte[] {'{', '}'}, () -> { });
        assertTrue(handed.isEmpty(), "nothing before the background write");
        executor.runAll();
        assertEquals(2, handed.size());
        assertTrue(handed.get(0) == a && handed.get(1) == known, "the written chunk and the one found written");

        handed.clear();
        ChunkCacheWriter.Batch dropped = w.open(DIGEST);
        dropped.add("c", new byte[10]);
        dropped.abandon();
        executor.runAll();
        assertTrue(handed.isEmpty(), "an abandoned fetch's arrays may still be in use by its unpack");

        files.failChunks = true;
        ChunkCacheWriter.Batch failing = w.open(DIGEST);
        failing.add("d", new byte[10]);
        failing.commit(new byte[] {'{', '}'}, () -> { });
        executor.runAll();
        assertTrue(handed.isEmpty(), "a chunk whose write failed is not handed back");
    }
}
