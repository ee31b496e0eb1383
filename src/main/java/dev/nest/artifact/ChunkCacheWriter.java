package dev.nest.artifact;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the chunks of a fetched package in the node's chunk cache off the fetch's critical path: while a fetch
 * unpacks, each chunk it downloaded is held in memory ({@link Batch#add}); once the package is committed,
 * {@link Batch#commit} hands the held chunks and then the manifest to the executor, which writes them (each
 * atomically, through {@link Files}) and then runs the caller's follow-up (the cache accounting).
 *
 * <p>Bounded: at most {@code maxPendingBytes} of chunks are held across all fetches; a chunk that would pass the bound
 * is written at once by the fetching thread, so nothing is dropped and memory stays bounded (a bound of 0 writes every
 * chunk at once: the synchronous design). The manifest is written only after every chunk of its package, so a node
 * never serves a manifest whose chunks it lacks. A failed write is only logged: the package is committed and usable
 * on this node, it is just not served to peers (the returned future completes with {@code false}); chunks already
 * written stay and are reused. Thread-safe: batches are confined to one fetch, the pending count is atomic.
 */
final class ChunkCacheWriter {
    private static final Logger LOG = Logger.getLogger(ChunkCacheWriter.class.getName());

    /** Where the chunks and manifests go (the node's {@link ChunkStore}). */
    interface Files {
        boolean has(String sha256);

        void writeChunk(String sha256, byte[] compressed) throws IOException;

        void writeManifest(String digest, byte[] json) throws IOException;
    }

    private final Files files;
    private final Executor executor;
    private final long maxPendingBytes;
    private final AtomicLong pending = new AtomicLong();
    private final java.util.function.Consumer<byte[]> written;

    /**
     * @param executor        runs the writes of committed batches (one task per batch)
     * @param maxPendingBytes the most chunk bytes held in memory at once, across fetches; 0: write every chunk at once
     */
    ChunkCacheWriter(Files files, Executor executor, long maxPendingBytes) {
        this(files, executor, maxPendingBytes, bytes -> { });
    }

    /**
     * @param written receives each held chunk's array once the background write is done with it (written, or found
     *                written already), when nothing else refers to it any more: the batch was committed, so its
     *                fetch's unpack is over ({@link ChunkBodies#give})
     */
    ChunkCacheWriter(Files files, Executor executor, long maxPendingBytes, java.util.function.Consumer<byte[]> written) {
        this.written = written;
        if (maxPendingBytes < 0) {
            throw new ArtifactException(500, "chunk cache pending bytes " + maxPendingBytes + " is out of range; use 0 or more");
        }
        this.files = files;
        this.executor = executor;
        this.maxPendingBytes = maxPendingBytes;
    }

    /** Chunk bytes held in memory now, waiting for their package's commit. */
    long pendingBytes() {
        return pending.get();
    }

    /** A new batch for the chunks of package {@code digest}. */
    Batch open(String digest) {
        return new Batch(digest);
    }

    /** The chunks of one fetch. Used by one fetch; {@link #add} may be called from several of its threads. */
    final class Batch {
        private final String digest;
        private final List<Held> held = new ArrayList<>();
        private long heldBytes;
        private boolean closed;

        private record Held(String sha256, byte[] bytes) {
        }

        private Batch(String digest) {
            this.digest = digest;
        }

        /** Keeps chunk {@code sha256}: held for the background when the bound allows, else written now. */
        void add(String sha256, byte[] compressed) throws IOException {
            long n = compressed.length;
            if (maxPendingBytes > 0 && pending.addAndGet(n) <= maxPendingBytes) {
                synchronized (this) {
                    if (!closed) {
                        held.add(new Held(sha256, compressed));
                        heldBytes += n;
                        return;
                    }
                }
                pending.addAndGet(-n);
                return;
            }
            if (maxPendingBytes > 0) {
                pending.addAndGet(-n);
            }
            if (!files.has(sha256)) {
                files.writeChunk(sha256, compressed);
            }
        }

        /**
         * Writes the held chunks and then the manifest on the executor, then runs {@code after}. With nothing held (a
         * bound of 0, or every chunk written at once) the manifest is written on the calling thread. The future
         * completes with whether the package is servable (chunks and manifest written); it never fails.
         */
        CompletableFuture<Boolean> commit(byte[] manifestJson, Runnable after) {
            List<Held> todo;
            long bytes;
            synchronized (this) {
                closed = true;
                todo = List.copyOf(held);
                bytes = heldBytes;
                held.clear();
                heldBytes = 0;
            }
            CompletableFuture<Boolean> done = new CompletableFuture<>();
            Runnable write = () -> {
                boolean ok = false;
                try {
                    for (Held h : todo) {
                        if (!files.has(h.sha256())) {
                            files.writeChunk(h.sha256(), h.bytes());
                        }
                        written.accept(h.bytes());
                    }
                    files.writeManifest(digest, manifestJson);
                    ok = true;
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "cannot keep the chunks of package " + digest + " in the chunk cache (it is "
                            + "unpacked and usable here, but not served to peers): " + e.getMessage());
                } finally {
                    pending.addAndGet(-bytes);
                }
                try {
                    after.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "cannot account package " + digest + " in the cache: " + e.getMessage());
                }
                done.complete(ok);
            };
            if (todo.isEmpty()) {
                write.run();
            } else {
                try {
                    executor.execute(write);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    write.run(); // the store is closing: write on this thread rather than lose the chunks
                }
            }
            return done;
        }

        /** Drops what is held (the fetch failed; nothing of it is committed). */
        void abandon() {
            synchronized (this) {
                closed = true;
                pending.addAndGet(-heldBytes);
                held.clear();
                heldBytes = 0;
            }
        }
    }
}
