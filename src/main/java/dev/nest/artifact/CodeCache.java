package dev.nest.artifact;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The node's package cache on disk: accounts each stored package's size (its unpacked code under {@code code/}
 * plus its chunks) in an {@link ArtifactCache}, and after each new package removes the least recently used ones
 * beyond the bound, except the pinned ones and the new one.
 *
 * <p>Failure: a package that cannot be measured counts as far as it could be read; one that cannot be removed is
 * left on disk and accounted for again at the next start. Thread-safe: the bookkeeping is synchronized, and a
 * removal first moves the package's directory away atomically.
 */
final class CodeCache {
    private final Path code;
    private final Path staging;
    private final ChunkStore chunks;
    private final long cacheBytes;
    private final Supplier<Set<String>> pinned;
    private final ArtifactCache cache = new ArtifactCache();

    CodeCache(Path code, Path staging, ChunkStore chunks, long cacheBytes, Supplier<Set<String>> pinned) {
        this.code = code;
        this.staging = staging;
        this.chunks = chunks;
        this.cacheBytes = cacheBytes;
        this.pinned = pinned;
    }

    /** Accounts for every package already under {@code code/} (at start). */
    void load() throws IOException {
        try (var s = Files.list(code)) {
            for (Path d : s.toList()) {
                account(d.getFileName().toString(), -1);
            }
        }
    }

    /** Marks package {@code hex} used now. */
    void touch(String hex) {
        cache.touch(hex);
    }

    /**
     * Records the size of a stored package (code dir plus its chunks) and marks it used now; {@code codeBytes}
     * when known (no preparation step added files), else measured by walking the directory.
     */
    void account(String h, long codeBytes) {
        long size = Math.max(0, codeBytes);
        List<String> own = List.of();
        if (codeBytes < 0) {
            try (var s = Files.walk(code.resolve(h))) {
                size += s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
            } catch (IOException | java.io.UncheckedIOException ignored) {
                // counted as far as it could be read
            }
        }
        Path mf = chunks.manifestFile(h);
        if (Files.exists(mf)) {
            try {
                ChunkManifest m = ChunkManifest.parse(Files.readAllBytes(mf));
                own = m.chunks().stream().map(ChunkManifest.Chunk::sha256).distinct().toList();
                size += m.compressedBytes();
            } catch (IOException | ArtifactException ignored) {
                // a damaged manifest: the package is still usable here, only not servable
            }
        }
        cache.put(h, size, own);
    }

    /** The digests ({@code sha256:<hex>}) of the packages accounted for, from memory. */
    Set<String> digests() {
        Set<String> out = new HashSet<>();
        for (String h : cache.hexes()) {
            out.add("sha256:" + h);
        }
        return out;
    }

    /** Bytes of unpacked code and chunks accounted for. */
    long bytes() {
        return cache.total();
    }

    /** Removes least recently used packages not pinned and not {@code keep} until the cache fits its bound. */
    void evict(String keep) {
        Set<String> given = pinned.get();
        if (given == ArtifactStore.PIN_ALL) {
            return;
        }
        Set<String> pins = new HashSet<>();
        for (String d : given) {
            pins.add(d.startsWith("sha256:") ? d.substring(7) : d);
        }
        pins.add(keep);
        for (ArtifactCache.Victim v : cache.evict(cacheBytes, pins)) {
            try {
                Path dir = code.resolve(v.hex());
                Path trash = staging.resolve("evict-" + UUID.randomUUID());
                Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
                ArtifactStore.quietDelete(trash);
                chunks.remove(v.hex(), v.orphanChunks());
            } catch (IOException e) {
                // left on disk; a later eviction or restart accounts for it again
            }
        }
    }
}
