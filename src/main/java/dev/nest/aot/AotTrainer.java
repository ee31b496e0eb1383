package dev.nest.aot;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Trains the server's AOT cache once per jar and JVM, in the background: a child JVM at the lowest CPU priority
 * ({@code nice -n 19}) with the same JVM options and {@code -XX:AOTCacheOutput} starts a server on a scratch data
 * directory to ready and stops; its exit writes the cache to a temporary name, which a small shell wrapper then
 * renames into place ({@code mv}, atomic in one directory), so a reader sees a whole cache or none. The wrapper, not
 * this JVM, finishes the job: a node stopped while its training runs does not lose it (so the tests, which start and
 * stop many nodes, train once).
 *
 * <p>Concurrency: {@code <cache>.training}, created exclusively, is the claim; a second start sees it and trains
 * nothing; a claim older than {@link #CLAIM_EXPIRY} is taken over (the trainer was killed). Caches of the same jar path
 * for another jar or JVM (and their leftovers) are removed by the one that trains. Failure: the training's log becomes
 * {@code <cache>.failed} and that key is not trained again (delete the file to retry); this node runs on unchanged.
 */
final class AotTrainer {
    private static final Logger LOG = Logger.getLogger(AotTrainer.class.getName());
    static final Duration CLAIM_EXPIRY = Duration.ofMinutes(10);
    private static final String WRAPPER = """
            tmp=$1 final=$2 claim=$3 scratch=$4 niceness=$5; shift 5
            if command -v nice >/dev/null 2>&1; then nice -n "$niceness" "$@"; else "$@"; fi > "$scratch/train.log" 2>&1 </dev/null
            if [ -s "$tmp" ]; then mv -f "$tmp" "$final" && rm -rf "$scratch"
            else cp "$scratch/train.log" "$final.failed" 2>/dev/null || echo "no log in $scratch" > "$final.failed"; fi
            rm -f "$claim" "$tmp" "$tmp.config"
            """;

    private AotTrainer() {
    }

    /** Starts the training unless another process claims it or an earlier one failed; returns at once. */
    static void start(Path dir, AotPlan.Key key, List<String> cmdline, Path jar, Optional<Path> runtimes) throws IOException {
        Path target = dir.resolve(key.fileName());
        Path failed = dir.resolve(key.fileName() + ".failed");
        if (Files.exists(failed)) {
            LOG.info("AOT cache: an earlier training of " + target + " failed (its log: " + failed
                    + "); delete that file to train again");
            return;
        }
        Optional<Path> log = launch(dir, key, cmdline, jar, runtimes, true);
        log.ifPresent(l -> LOG.info("AOT cache: training " + target + " in the background (nice 19; its log: " + l
                + "); later starts of this jar use it"));
    }

    /**
     * Trains the cache now, in the foreground, and waits (the {@code aot-cache} command, which an installer runs so
     * that the first start of the installed jar finds it): an earlier failure is retried, a cache that exists is kept.
     * Returns the cache; throws {@link IOException} saying why there is none (another process holds the claim, or the
     * training failed: its log is {@code <cache>.failed}).
     */
    static Path trainNow(Path dir, AotPlan.Key key, List<String> cmdline, Path jar, Optional<Path> runtimes)
            throws IOException {
        Path target = dir.resolve(key.fileName());
        if (Files.isRegularFile(target) && Files.size(target) > 0) {
            return target;
        }
        Path failed = dir.resolve(key.fileName() + ".failed");
        Files.deleteIfExists(failed); // asked for explicitly: try again
        if (launch(dir, key, cmdline, jar, runtimes, false).isEmpty()) {
            throw new IOException("another process is training " + target + " (its claim: " + target + ".training, "
                    + "taken over after " + CLAIM_EXPIRY.toMinutes() + " minutes); run this again once it is done");
        }
        if (Files.isRegularFile(target) && Files.size(target) > 0) {
            return target;
        }
        throw new IOException("the training of " + target + " failed; its log: " + failed);
    }

    /**
     * Claims the key, removes this jar path's stale caches and runs the training JVM under the wrapper: in the
     * background in its own session at nice 19 (returns at once), or in the foreground at the caller's priority
     * (returns when the wrapper has moved the cache into place or written {@code .failed}). Empty when another process
     * holds the claim; otherwise the training's log.
     */
    private static Optional<Path> launch(Path dir, AotPlan.Key key, List<String> cmdline, Path jar,
                                         Optional<Path> runtimes, boolean background) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(key.fileName());
        Path claim = dir.resolve(key.fileName() + ".training");
        if (!claim(claim, Instant.now())) {
            return Optional.empty(); // another start trains it
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (key.isStale(name) && !name.endsWith(".training")) {
                    Files.deleteIfExists(p); // another build or JVM of this jar path
                }
            }
        }
        Path scratch = Files.createTempDirectory("nest-aot-train");
        Path tmp = dir.resolve(key.fileName() + "." + ProcessHandle.current().pid() + ".tmp");
        List<String> argv = new ArrayList<>();
        if (background && Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            argv.add("/usr/bin/setsid"); // its own session: a Ctrl-C meant for the node does not end the training
        }
        argv.addAll(List.of("/bin/sh", "-c", WRAPPER, "nest-aot-train", tmp.toString(),
                target.toString(), claim.toString(), scratch.toString(), background ? "19" : "0"));
        argv.addAll(AotPlan.training(cmdline, Files.readSymbolicLink(Path.of("/proc/self/exe")).toString(), jar, tmp,
                scratch, runtimes.filter(Files::isDirectory), freePort()));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(scratch.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove(AotPlan.EXEC_MARKER);
        Process wrapper;
        try {
            wrapper = pb.start();
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(claim);
            throw e;
        }
        if (!background) {
            try {
                wrapper.waitFor();
            } catch (InterruptedException e) {
                wrapper.descendants().forEach(ProcessHandle::destroy);
                wrapper.destroy();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while training " + target, e);
            }
        }
        return Optional.of(scratch.resolve("train.log"));
    }

    /** Creates the claim file, or takes over one older than {@link #CLAIM_EXPIRY}; false when another holds it. */
    static boolean claim(Path claim, Instant now) throws IOException {
        try {
            Files.createFile(claim);
            return true;
        } catch (FileAlreadyExistsException e) {
            FileTime t;
            try {
                t = Files.getLastModifiedTime(claim);
            } catch (IOException gone) {
                return false; // finished meanwhile
            }
            if (t.toInstant().plus(CLAIM_EXPIRY).isAfter(now)) {
                return false;
            }
            Files.deleteIfExists(claim);
            try {
                Files.createFile(claim);
                return true;
            } catch (FileAlreadyExistsException raced) {
                return false;
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
