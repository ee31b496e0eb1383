package dev.nest.artifact;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Arrays for the chunk bodies a node receives from peers, reused across fetches. A fetch holds every chunk it
 * received until its package is committed and the chunk cache has written them ({@link ChunkCacheWriter}), so each
 * fetch used to allocate its whole compressed package afresh: 4 MiB arrays, humongous for G1, in regions the heap had
 * often given back since the last fetch, so every page of every body was faulted in and zeroed again (about half of
 * the fetch's CPU in the code-path benchmark's profile, ADR 0027). Once the chunk cache has written a chunk, its array
 * comes back here and the next fetch receives a chunk of the same length into it.
 *
 * <p>Only arrays of exactly the requested length are reused (every caller relies on a body's array being the body:
 * its hash, its decompression and its write all use the array's length): the middle parts of large files are full
 * chunks, so most stored chunks have one length. An array is only given back once nothing else refers to it. The pool
 * keeps at most {@code maxBytes} in {@link SoftReference}s: the collector frees them under memory pressure, or when
 * they have not been used for a while ({@code -XX:SoftRefLRUPolicyMSPerMB}). A reused array holds another chunk's
 * bytes until the body read overwrites every byte of it (a short body fails and its array is dropped). Thread-safe.
 */
final class ChunkBodies {
    /**
     * The pool of this process: the heap is the process's, so the stores in it (one per node; tests and the code-path
     * benchmark make several) share it, with the chunk cache's bound on pending bytes.
     */
    static final ChunkBodies SHARED = new ChunkBodies(ArtifactStore.CHUNK_CACHE_PENDING_BYTES);

    private record Kept(SoftReference<byte[]> array, int length) {
    }

    private final long maxBytes;
    private final ArrayDeque<Kept> free = new ArrayDeque<>();
    private long keptBytes;

    /** @param maxBytes the most bytes kept for reuse (0: nothing is kept, every body is a new array) */
    ChunkBodies(long maxBytes) {
        if (maxBytes < 0) {
            throw new ArtifactException(500, "chunk body pool bytes " + maxBytes + " is out of range; use 0 or more");
        }
        this.maxBytes = maxBytes;
    }

    /** An array of exactly {@code length} bytes: a kept one (holding old bytes) when there is one, else a new one. */
    byte[] take(int length) {
        synchronized (this) {
            for (Iterator<Kept> it = free.iterator(); it.hasNext(); ) {
                Kept k = it.next();
                byte[] a = k.array().get();
                if (a == null || k.length() == length) {
                    it.remove();
                    keptBytes -= k.length();
                    if (a != null) {
                        return a;
                    }
                }
            }
        }
        return new byte[length];
    }

    /** Keeps {@code array} for a later {@link #take} of its length, if the bound allows; the caller no longer uses it. */
    synchronized void give(byte[] array) {
        if (keptBytes + array.length <= maxBytes) {
            free.push(new Kept(new SoftReference<>(array), array.length));
            keptBytes += array.length;
        }
    }

    /** Bytes kept now (including arrays the collector may have freed since). */
    synchronized long keptBytes() {
        return keptBytes;
    }
}
