package dev.nest.artifact;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The start-up check of committed packages (ADR 0027, addendum): the code path writes without fsync, so a host crash
 * after a package's commit (the rename) but before the page cache reached the disk can leave a committed directory
 * with short, empty or zero-filled files. At every start each package's file count and bytes are compared with its
 * {@link PackageSeal} (the walk the cache does anyway to account for the package's size, so no extra cost); after a
 * start that may follow a host crash ({@link #depth}) every file is hashed as well: the package's files must add up to
 * its content digest and the files a preparation step added to the hashes the seal recorded. A package that fails
 * is removed, so the node fetches it again when it is next needed.
 *
 * <p>Markers in the store's root: {@code run} (the boot id of the host when the store last opened) and
 * {@code clean-shutdown} (written by a clean close). Limits: a host crash within the kernel's write-back delay after a
 * clean close is not detected when the marker reached the disk and the packages did not; packages committed by a
 * version without seals are checked by their manifest's totals, or by their content digest after a crash (a
 * prepared one then fails and is fetched again). Stateless; thread-safe.
 */
final class PackageCheck {
    /** How deep the start-up check goes. */
    enum Depth {
        /** File count and bytes against the seal. */
        SIZES,
        /** Also every file's sha256 against the content digest and the seal. */
        HASHES
    }

    static final String CLEAN = "clean-shutdown";
    static final String RUN = "run";
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    private PackageCheck() {
    }

    /**
     * The check a start needs: sizes only when the last run closed cleanly, or when it did not but the host has not
     * rebooted since it started (the process died, the page cache did not); hashes otherwise (a host crash, or no
     * record of the last run: the first start of a store that predates these markers, or an unknown boot id).
     */
    static Depth depth(boolean cleanShutdown, Optional<String> lastRunBoot, Optional<String> currentBoot) {
        if (cleanShutdown) {
            return Depth.SIZES;
        }
        return lastRunBoot.isPresent() && lastRunBoot.equals(currentBoot) ? Depth.SIZES : Depth.HASHES;
    }

    /**
     * Reads the markers of the last run under {@code root}, removes the clean-shutdown one and records this run's
     * boot id; returns the depth this start's check needs. A store with no package yet needs no check either way.
     */
    static Depth begin(Path root) throws IOException {
        boolean clean = Files.exists(root.resolve(CLEAN));
        Optional<String> last = read(root.resolve(RUN));
        Optional<String> boot = read(BOOT_ID);
        Files.deleteIfExists(root.resolve(CLEAN));
        Files.writeString(root.resolve(RUN), boot.orElse("unknown") + "\n");
        return depth(clean, last.filter(s -> !s.equals("unknown")), boot);
    }

    /** Records a clean shutdown (after every write of the store finished). */
    static void end(Path root) throws IOException {
        Files.writeString(root.resolve(CLEAN), read(BOOT_ID).orElse("unknown") + "\n");
    }

    private static Optional<String> read(Path f) {
        try {
            String s = Files.readString(f, StandardCharsets.US_ASCII).trim();
            return s.isEmpty() ? Optional.empty() : Optional.of(s);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A package's check: its bytes on disk (what the cache accounts) and, when it is damaged, why. */
    record Result(long bytes, Optional<String> damage) {
    }

    /**
     * Checks package {@code hex} in {@code dir} against {@code sealText} (empty: no seal, a package committed before
     * seals existed; then against {@code manifest}'s totals when there is one) at {@code depth}.
     */
    static Result check(Path dir, String hex, Optional<String> sealText, Optional<ChunkManifest> manifest, Depth depth)
            throws IOException {
        TreeMap<String, Path> files = new TreeMap<>();
        long[] total = {0};
        // one stat per file: the walk's attributes give the kind and the size
        Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path f, java.nio.file.attribute.BasicFileAttributes a) {
                if (a.isRegularFile()) {
                    files.put(PackageSeal.relative(dir, f), f);
                    total[0] += a.size();
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
        long bytes = total[0];
        String digest = "sha256:" + hex;
        Optional<PackageSeal> seal = sealText.flatMap(PackageSeal::parse);
        if (sealText.isPresent() && seal.isEmpty()) {
            return new Result(bytes, Optional.of("its seal is damaged"));
        }
        if (seal.isPresent()) {
            PackageSeal p = seal.get();
            if (!p.digest().equals(digest)) {
                return new Result(bytes, Optional.of("its seal names " + p.digest()));
            }
            if (files.size() != p.files() || bytes != p.bytes()) {
                return new Result(bytes, Optional.of("it holds " + files.size() + " files of " + bytes + " bytes, "
                        + "committed with " + p.files() + " files of " + p.bytes() + " bytes"));
            }
        } else if (manifest.isPresent() && (files.size() < manifest.get().files() || bytes < manifest.get().bytes())) {
            return new Result(bytes, Optional.of("it holds " + files.size() + " files of " + bytes + " bytes, its "
                    + "manifest declares " + manifest.get().files() + " files of " + manifest.get().bytes() + " bytes"));
        }
        if (depth == Depth.SIZES) {
            return new Result(bytes, Optional.empty());
        }
        TreeMap<String, String> own = new TreeMap<>();
        for (var e : files.entrySet()) {
            String h = Digests.hashFile(e.getValue());
            Optional<String> added = seal.map(p -> p.extra().get(e.getKey()));
            if (added.isPresent()) {
                if (!added.get().equals(h)) {
                    return new Result(bytes, Optional.of("file '" + e.getKey() + "' differs from the one committed"));
                }
            } else {
                own.put(e.getKey(), h);
            }
        }
        String actual = Digests.digestOf(own);
        return new Result(bytes, actual.equals(digest) ? Optional.empty()
                : Optional.of("its files hash to " + actual));
    }
}
