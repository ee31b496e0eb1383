package dev.nest.aot;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The server's self-applied JDK AOT cache (ADR 0033). {@code java -jar nest.jar} names no JVM option, so the jar
 * applies the cache itself: {@link #reexecIfCached()}, called first thing by the server command, replaces the process
 * (same pid, same argv, same environment plus a marker, signal mask cleared) with {@code execve("/proc/self/exe")} of the same
 * command line plus {@code -XX:AOTCache=<file>} when a cache for exactly this jar and JVM exists in the cache
 * directory; {@link #afterReady} trains one in the background when none does.
 *
 * <p>The cache directory: {@code -Dnest.aot.dir}, else {@code NEST_AOT_DIR}, else {@code $XDG_CACHE_HOME/nest}, else
 * {@code ~/.cache/nest} (where {@code distribution/nest} keeps its caches); one per user, so the nodes and the tests of
 * one jar share one cache. Opt-out: {@code -Dnest.aot=off} or {@code NEST_AOT=0}.
 *
 * <p>Failure: nothing here stops a start. A cache that cannot be applied (no foreign function API, exec refused) is
 * one line on stderr and the start goes on in this process; a JVM that cannot use the cache it was given runs
 * without it ({@code AOTMode} stays {@code auto}); a training that fails leaves {@code <cache>.failed} with its log
 * and is not retried for that jar and JVM. Limits: Linux only (/proc/self); the cache is valid for the JVM options it
 * was trained with, and a start with other options (another collector, say) runs with it rejected, not faster.
 * Threading: {@link #reexecIfCached()} on the main thread before the application starts threads.
 */
public final class SelfAotCache {
    private SelfAotCache() {
    }

    /** Re-executes this JVM with the AOT cache when one exists for it; returns when it does not (or cannot). */
    public static void reexecIfCached() {
        try {
            AotPlan.Inputs in = inputs();
            if (!(AotPlan.decide(in) instanceof AotPlan.Decision.Eligible e)) {
                return;
            }
            Path cache = cacheDir().resolve(key(e.jar()).fileName());
            if (!Files.isRegularFile(cache) || Files.size(cache) == 0) {
                return;
            }
            Optional<String> untrusted = untrusted(cache);
            if (untrusted.isPresent()) {
                System.err.println("nest: AOT cache " + cache + " not applied: " + untrusted.get());
                return;
            }
            // the JVM's threads block SIGQUIT; the new JVM starts with no signal blocked
            int rc = Exec.posix().replaceImage("/proc/self/exe", AotPlan.withCache(in.cmdline(), cache),
                    AotPlan.environment(in.env(), cache));
            System.err.println("nest: AOT cache " + cache + " not applied: execve returned " + rc + "; starting without it");
        } catch (IOException | RuntimeException e) {
            System.err.println("nest: AOT cache not applied (" + e.getMessage() + "); starting without it");
        }
    }

    /**
     * Called once the server is ready, with its public port. Returns true in the training JVM, after that JVM has
     * served its first requests ({@link #firstRequests}; the caller then stops the server: its exit writes the
     * cache). Otherwise logs that the cache is in use, or starts the training when this process is eligible and
     * no cache exists yet, and returns false.
     */
    public static boolean afterReady(Optional<Path> runtimes, int port) {
        if (Boolean.getBoolean(AotPlan.TRAINING_PROPERTY)) {
            firstRequests(port);
            return true;
        }
        try {
            AotPlan.Inputs in = inputs();
            switch (AotPlan.decide(in)) {
                case AotPlan.Decision.Applied a -> {
                    if (AotPlan.mapped(System.getProperty("java.vm.info", ""))) {
                        log().info("AOT cache in use: " + a.cache() + " (the JVM re-executed itself with -XX:AOTCache, pid "
                                + ProcessHandle.current().pid() + ")");
                    } else {
                        Files.deleteIfExists(Path.of(a.cache()));
                        log().warning("AOT cache " + a.cache() + " was rejected by the JVM (damaged, or made by another "
                                + "JVM build or with other JVM options): removed; the next start trains a new one");
                    }
                }
                case AotPlan.Decision.Eligible e when !Exec.built() -> log().info("AOT cache not trained: " + Exec.NOT_BUILT);
                case AotPlan.Decision.Eligible e -> {
                    Path dir = cacheDir();
                    AotPlan.Key key = key(e.jar());
                    if (!Files.isRegularFile(dir.resolve(key.fileName()))) {
                        AotTrainer.start(dir, key, in.cmdline(), e.jar(), runtimes);
                    }
                }
                case AotPlan.Decision.Skip s -> log().fine("AOT cache not used: " + s.reason());
            }
        } catch (IOException | RuntimeException e) {
            log().info("AOT cache: not trained (" + e.getMessage() + ")");
        }
        return false;
    }

    /**
     * Trains the server's cache for this jar and JVM now and waits ({@code nest aot-cache}, which an installer runs after
     * building the jar, so that its first {@code java -jar nest.jar} start finds a cache): the training JVM gets this
     * command's JVM options, the ones the cache is valid for. Returns the cache (kept when it exists already); throws
     * {@link IllegalStateException} saying why there is none: this process could not use a cache (its reason), another
     * process trains it, or the training failed (its log).
     */
    public static Path trainNow(Optional<Path> runtimes) {
        try {
            AotPlan.Inputs in = inputs();
            if (!(AotPlan.decide(in) instanceof AotPlan.Decision.Eligible e)) {
                throw new IllegalStateException("a start of this jar would not use an AOT cache: "
                        + ((AotPlan.decide(in) instanceof AotPlan.Decision.Skip s) ? s.reason() : "it runs with one"));
            }
            if (!Exec.built()) {
                throw new IllegalStateException("a start of this jar would not use an AOT cache: " + Exec.NOT_BUILT);
            }
            Path cache = AotTrainer.trainNow(cacheDir(), key(e.jar()), in.cmdline(), e.jar(), runtimes);
            Optional<String> untrusted = untrusted(cache);
            if (untrusted.isPresent()) {
                throw new IllegalStateException("trained " + cache + ", but a start will not apply it: " + untrusted.get());
            }
            return cache;
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** How many {@code GET /health} the training JVM serves before it stops (each on a connection of its own). */
    static final int TRAINING_REQUESTS = 3;

    /**
     * The training JVM's requests before it stops: what a start's first client does, {@code GET /health} on the public
     * port, a new connection each. The cache then holds the classes (and the method profiles) of that path: the
     * gateway's HTTP codec, its forward to the admin server, Helidon's routing and the health answer. Without them the
     * first request of every start loads about 380 classes from the jar and spins their lambdas while it waits
     * (ADR 0033). A plain socket: an HTTP client's classes in the cache would be loaded by every start for nothing.
     * Failure: a request that fails or is not answered 200 ends the requests with one line in the log; the cache is
     * still written (without that path's classes).
     */
    static void firstRequests(int port) {
        for (int i = 0; i < TRAINING_REQUESTS; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(30_000);
                s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAccept: */*\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                int status = answerStatus(s.getInputStream());
                if (status != 200) {
                    log().info("AOT cache training: GET /health answered " + status + "; the cache is written without "
                            + "the request path");
                    return;
                }
            } catch (IOException | RuntimeException e) {
                log().info("AOT cache training: GET /health failed (" + e.getMessage() + "); the cache is written "
                        + "without the request path");
                return;
            }
        }
    }

    /**
     * Reads one HTTP/1.1 answer with a {@code Content-Length} body (or none) from {@code in} and returns its status;
     * throws {@link IOException} on anything else (a cut answer, a chunked one, headers over 64 KiB).
     */
    static int answerStatus(java.io.InputStream in) throws IOException {
        byte[] head = new byte[65_536];
        int n = 0;
        while (n < 4 || head[n - 4] != '\r' || head[n - 3] != '\n' || head[n - 2] != '\r' || head[n - 1] != '\n') {
            if (n == head.length) {
                throw new IOException("answer headers over " + head.length + " bytes");
            }
            int b = in.read();
            if (b < 0) {
                throw new IOException("answer cut after " + n + " bytes");
            }
            head[n++] = (byte) b;
        }
        String[] lines = new String(head, 0, n - 4, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1 answer: " + lines[0]);
        }
        long length = 0;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                length = Long.parseLong(lines[i].substring(colon + 1).trim());
            } else if (colon > 0 && lines[i].substring(0, colon).trim().equalsIgnoreCase("transfer-encoding")) {
                throw new IOException("a " + lines[i].substring(colon + 1).trim() + " answer");
            }
        }
        in.skipNBytes(length); // EOFException when the body is cut
        return Integer.parseInt(statusLine[1]);
    }

    /** Not a static field: the re-execution happens before logging is configured, and without its classes. */
    private static Logger log() {
        return Logger.getLogger(SelfAotCache.class.getName());
    }

    private static AotPlan.Inputs inputs() throws IOException {
        return new AotPlan.Inputs(Runtime.version().feature(), System.getProperty("os.name", ""), System.getenv(),
                Optional.ofNullable(System.getProperty(AotPlan.PROPERTY_SWITCH)), Boolean.getBoolean(AotPlan.TRAINING_PROPERTY),
                cmdline(), jar());
    }

    /** This process's argv, from {@code /proc/self/cmdline} (empty where there is no such file). */
    private static List<String> cmdline() throws IOException {
        Path file = Path.of("/proc/self/cmdline");
        if (!Files.isReadable(file)) {
            return List.of();
        }
        String all = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        return Arrays.asList((all.endsWith("\0") ? all.substring(0, all.length() - 1) : all).split("\0", -1));
    }

    /** The jar this class was loaded from, absolute and normalised. */
    private static Optional<Path> jar() {
        try {
            var source = SelfAotCache.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return Optional.empty();
            }
            Path p = Path.of(source.getLocation().toURI()).toAbsolutePath().normalize();
            return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? Optional.of(p) : Optional.empty();
        } catch (URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static AotPlan.Key key(Path jar) throws IOException {
        return new AotPlan.Key(jar.toString(), Files.size(jar), Files.getLastModifiedTime(jar).to(TimeUnit.SECONDS),
                System.getProperty("java.vm.version", "unknown"));
    }

    /** {@code -Dnest.aot.dir}, {@code NEST_AOT_DIR}, {@code $XDG_CACHE_HOME/nest} or {@code ~/.cache/nest}. */
    static Path cacheDir() {
        return cacheDir(Optional.ofNullable(System.getProperty("nest.aot.dir")), System.getenv(),
                System.getProperty("user.home", "."));
    }

    /**
     * Why a cache must not be loaded, if it must not: the JVM maps its classes into this process, so the file and its
     * folder must belong to this process's user and be writable by no one else (a cache another user could replace
     * would run their code as this node).
     */
    static Optional<String> untrusted(Path cache) throws IOException {
        String me = System.getProperty("user.name", "");
        for (Path p : List.of(cache, cache.toAbsolutePath().getParent())) {
            String owner = Files.getOwner(p, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName();
            if (!owner.equals(me)) {
                return Optional.of(p + " belongs to " + owner + ", not to " + me + "; remove it or set NEST_AOT_DIR");
            }
            var perms = Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (perms.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                    || perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
                return Optional.of(p + " is writable by other users (" + java.nio.file.attribute.PosixFilePermissions
                        .toString(perms) + "); chmod go-w it");
            }
        }
        return Optional.empty();
    }

    /** The cache directory's rule, pure. */
    static Path cacheDir(Optional<String> property, Map<String, String> env, String home) {
        // if/else, not Optional's lambdas: this runs before the exec, where each lambda's class is spun for nothing
        String nestDir = env.getOrDefault("NEST_AOT_DIR", "");
        String xdg = env.getOrDefault("XDG_CACHE_HOME", "");
        Path dir = property.isPresent() && !property.get().isBlank() ? Path.of(property.get())
                : !nestDir.isBlank() ? Path.of(nestDir)
                : !xdg.isBlank() ? Path.of(xdg, "nest")
                : Path.of(home, ".cache", "nest");
        return dir.toAbsolutePath();
    }
}
