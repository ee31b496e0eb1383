package dev.nest.bench;

import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.Codec;
import dev.nest.artifact.PackageLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The start-up cost of the package check (ADR 0027, addendum): a store holding {@code packages} packages of
 * {@code files} files each is opened after a clean shutdown (file counts and sizes against each package's seal) and
 * after a simulated host crash (every file hashed), {@code rounds} times each, alternating; prints the medians. The
 * page cache is warm (the files were just written), so the crash figure is a lower bound: after a real reboot every
 * byte comes from the disk.
 *
 * <p>Knobs (environment): NEST_BENCH_CHECK_PACKAGES (100), NEST_BENCH_CHECK_FILES (300), NEST_BENCH_CHECK_FILE_KIB
 * (4), NEST_BENCH_CHECK_ROUNDS (3). Writes nothing but its temporary directory, which it deletes.
 */
public final class PackageCheckBenchmark {
    private PackageCheckBenchmark() {
    }

    private static int knob(String env, int dflt) {
        String v = System.getenv(env);
        return v == null || v.isBlank() ? dflt : Integer.parseInt(v);
    }

    public static void main(String[] args) throws Exception {
        int packages = knob("NEST_BENCH_CHECK_PACKAGES", 100);
        int files = knob("NEST_BENCH_CHECK_FILES", 300);
        int kib = knob("NEST_BENCH_CHECK_FILE_KIB", 4);
        int rounds = knob("NEST_BENCH_CHECK_ROUNDS", 3);
        Path tmp = Files.createTempDirectory("nest-check-");
        Path root = tmp.resolve("artifacts");
        PackageLimits limits = new PackageLimits(4L << 30, 1_000_000);
        try {
            SplittableRandom r = new SplittableRandom(11);
            try (ArtifactStore s = new ArtifactStore(root, limits, Long.MAX_VALUE, java.util.Set::of)) {
                for (int p = 0; p < packages; p++) {
                    Path dir = tmp.resolve("content");
                    for (int f = 0; f < files; f++) {
                        Path file = dir.resolve("lib/d" + (f % 20) + "/f" + f + ".js");
                        Files.createDirectories(file.getParent());
                        byte[] b = new byte[kib * 1024];
                        r.nextBytes(b);
                        Files.write(file, b);
                    }
                    s.ingestChunked(dir, Codec.LZ4, 4 << 20, d -> { });
                    new ProcessBuilder("rm", "-rf", dir.toString()).inheritIO().start().waitFor();
                }
            }
            List<Double> clean = new ArrayList<>();
            List<Double> crash = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                clean.add(open(root, limits, packages, false));
                crash.add(open(root, limits, packages, true));
            }
            System.out.printf(Locale.ROOT, "%d packages of %d files of %d KiB (%.0f MiB, %d files); load average %s%n", packages,
                    files, kib, packages * (double) files * kib / 1024, packages * files, Machine.loadAverage());
            System.out.printf(Locale.ROOT, "start after a clean shutdown (sizes): median %.0f ms of %s%n", Stats.median(clean), clean);
            System.out.printf(Locale.ROOT, "start after a host crash (every file hashed, warm page cache): median %.0f ms of %s%n",
                    Stats.median(crash), crash);
        } finally {
            new ProcessBuilder("rm", "-rf", tmp.toString()).inheritIO().start().waitFor();
        }
    }

    /** Opens the store as after a clean shutdown, or as after a host crash; returns the milliseconds the open took. */
    private static double open(Path root, PackageLimits limits, int packages, boolean crashed) throws Exception {
        if (crashed) {
            Files.deleteIfExists(root.resolve("clean-shutdown"));
            Files.writeString(root.resolve("run"), "another-boot\n");
        }
        long t0 = System.nanoTime();
        try (ArtifactStore s = new ArtifactStore(root, limits, Long.MAX_VALUE, java.util.Set::of)) {
            double ms = (System.nanoTime() - t0) / 1e6;
            if (s.digests().size() != packages) {
                throw new IllegalStateException("the check removed " + (packages - s.digests().size()) + " intact packages");
            }
            return ms;
        }
    }
}
