package dev.nest.artifact;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The node's package cache on disk: accounts each stored package's size (its unpacked code under {@code code/}
 * plus its chunks) in an {@link ArtifactCache}, and after each new package removes the least recently used ones
 * beyond the bound, except the pinned ones and the new one.
 *
 * <p>At start every package is checked against its seal ({@link PackageCheck}); one that fails is removed.
 *
 * <p>Failure: a package that cannot be measured counts as far as it could be read; one that cannot be removed is
 * left on disk and accounted for again at the next start. Thread-safe: the bookkeeping is synchronized, and a
 * removal first moves the package's directory away atomically.
 */
final class CodeCache {
    private final Path code;
    private final Path staging;
    private final Path seals;
    private final ChunkStore chunks;
    private final long cacheBytes;
    private final Supplier<Set<String>> pinned;
    private final ArtifactCache cache = new ArtifactCache();
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(CodeCache.class.getName());

    CodeCache(Path code, Path staging, Path seals, ChunkStore chunks, long cacheBytes, Supplier<Set<String>> pinned)
            throws IOException {
        this.code = code;
        this.staging = staging;
        this.seals = Files.createDirectories(seals);
        this.chunks = chunks;
        this.cacheBytes = cacheBytes;
        this.pinned = pinned;
    }

    /**
     * Checks ({@link PackageCheck}, at {@code depth}) and accounts for every package already under {@code code/} (at
     * start); removes those whose files do not match what was committed, so they are fetched again. Returns how many
     * were removed.
     */
    int load(PackageCheck.Depth depth) throws IOException {
        int removed = 0;
        try (var s = Files.list(code)) {
            for (Path d : s.toList()) {
                String h = d.getFileName().toString();
                Optional<String> damage;
                long bytes;
                try {
                    Path seal = seals.resolve(h);
                    Optional<String> sealText = Files.exists(seal) ? Optional.of(Files.readString(seal,
                            java.nio.charset.StandardCharsets.ISO_8859_1)) : Optional.empty();
                    Optional<ChunkManifest> m = Optional.empty();
                    try {
                        m = Optional.of(ChunkManifest.parse(Files.readAllBytes(chunks.manifestFile(h))));
                    } catch (IOException | ArtifactException ignored) {
                        // no manifest, or a damaged one: the package is checked by its seal alone
                    }
                    PackageCheck.Result r = PackageCheck.check(d, h, sealText, m, depth);
                    damage = r.damage();
                    bytes = r.bytes();
                } catch (IOException | java.io.UncheckedIOException e) {
                    damage = Optional.of("it cannot be read (" + e.getMessage() + ")");
                    bytes = 0;
                }
                if (damage.isPresent()) {
                    LOG.warning("package sha256:" + h + " is removed at start, it is fetched again when needed: "
                            + damage.get());
                    remove(h);
                    removed++;
                } else {
                    account(h, bytes);
                }
            }
        }
        return removed;
    }

    /** Computes a seal; may read the committed directory. */
    interface SealSource {
        PackageSeal get() throws IOException;
    }

    /**
     * Records what package {@code hex} holds as committed (read by the next start's check): on {@code background} (a
     * seal that walks the directory and hashes the files a preparation step added, off the commit's critical path),
     * or at once when that executor is closed. A failure is logged; without a seal the next start checks the package
     * against its manifest's totals, or after a host crash against its content digest.
     */
    void seal(String hex, SealSource seal, java.util.concurrent.Executor background) {
        Runnable write = () -> {
            Path tmp = staging.resolve(UUID.randomUUID() + ".seal");
            try {
                byte[] text = seal.get().bytesUtf8();
                if (Files.isDirectory(code.resolve(hex))) {
                    Files.write(tmp, text);
                    Files.move(tmp, seals.resolve(hex), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warning("cannot write the seal of package sha256:" + hex + ": " + e.getMessage());
                ArtifactStore.quietDelete(tmp);
            }
        };
        try {
            background.execute(write);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            write.run();
        }
    }

    private void remove(String hex) throws IOException {
        Path trash = staging.resolve("evict-" + UUID.randomUUID());
        Files.move(code.resolve(hex), trash, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(seals.resolve(hex));
        ArtifactStore.quietDelete(trash);
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
                remove(v.hex());
                chunks.remove(v.hex(), v.orphanChunks());
            } catch (IOException e) {
                // left on disk; a later eviction or restart accounts for it again
            }
        }
    }
}
