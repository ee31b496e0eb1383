package dev.nest.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import dev.nest.function.FunctionVersion;
import dev.nest.function.Release;
import dev.nest.function.SpecParser;
import dev.nest.function.SpecException;
import dev.nest.function.SpecProblem;
import dev.nest.release.Releases;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Keeps functions defined in {@code <functions-dir>/*.yaml} (one function per file) in step with their files:
 * applied at start, re-applied when a file or its code directory changes, removed when the file goes.
 *
 * <p>A file with a mistake affects only its own function: the error (file, key, value, what is allowed) is
 * logged and published through {@link #problems()}, and a function that was running keeps its last good
 * version. Changes are seen through the file system's watch service and, as a fallback (and for edits
 * inside code directories), a scan every {@code interval}; a code directory is re-hashed only when its file
 * sizes or modification times changed.
 *
 * <p>Limits: a file over {@link #MAX_FILE_BYTES} is refused unread; its YAML is read by
 * {@link FunctionFileReader} (no aliases, nesting, duplicate keys or second documents), every problem of a
 * file (YAML, spec keys, {@code code}) is reported at once, and a file whose size, modification time and content
 * hash are unchanged is not parsed again. Its {@code code} directory must be allowed by {@link CodeLocations}
 * (relative, not a system directory, not Nest's data directory). A file that failed with a user's mistake (4xx) is
 * not retried until it or its code changes; any other failure is retried on the next scan.
 *
 * <p>Releases: a file with a {@code release:} block ({@link Releases#plan}: steps, interval, max-error-rate, max-p99,
 * max-p99-ratio, min-requests) does not switch its function at once when it changes: the new version is added
 * unpromoted and a canary release to it starts with those settings ({@link ReleaseStarter}); an edit during a release
 * supersedes it (the new release goes from the stable version), and an edit back to the stable version's code and
 * spec rolls it back. The first version of a function, and every change of
 * a file without the block, is live at once. Reading an unchanged file again (a restart) neither adds a version nor
 * starts a release twice: the latest version with the file's code and spec is reused.
 *
 * <p>Threads: one daemon thread applies changes; {@link #problems()} may be called from any thread.
 */
public final class FunctionFiles implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FunctionFiles.class.getName());
    /** The largest function file applied: 256 KiB (a spec is a few hundred bytes; its code is in its directory). */
    public static final int MAX_FILE_BYTES = 256 * 1024;

    private final Path dir;
    private final Deployer deployer;
    private final FunctionRegistry registry;
    private final long intervalMillis;
    private final Map<Path, FileProblem> problems = new ConcurrentHashMap<>();
    private final Map<Path, String> applied = new HashMap<>();
    private final Map<Path, FunctionId> owners = new HashMap<>();
    private final Map<Path, Read> reads = new HashMap<>();
    private final Map<Path, String> failed = new HashMap<>();
    private final List<Path> protectedDirs;
    private final ReleaseStarter releases;
    private int parses;
    private volatile boolean closed;
    private Thread thread;
    private WatchService watch;

    /** Starts the canary release a file's {@code release:} block asks for ({@code Releases::startFromFile}). */
    @FunctionalInterface
    public interface ReleaseStarter {
        /** Starts a release of {@code id} to its version {@code to}; empty when there was nothing to start. */
        Optional<FunctionRecord> start(FunctionId id, int to, Releases.Plan plan, String origin);
    }

    /**
     * @param protectedDirs directories no function's code directory may be in or hold (Nest's data directory)
     * @param releases      starts the releases of files with a {@code release:} block
     */
    public FunctionFiles(Path dir, Deployer deployer, FunctionRegistry registry, long intervalMillis,
                         List<Path> protectedDirs, ReleaseStarter releases) {
        this.dir = dir.toAbsolutePath().normalize();
        this.deployer = deployer;
        this.registry = registry;
        this.intervalMillis = intervalMillis;
        this.protectedDirs = List.copyOf(protectedDirs);
        this.releases = releases;
    }

    /** Applies every file once (so that the node is ready with its functions), then watches. */
    public void start() {
        scan();
        try {
            if (Files.isDirectory(dir)) {
                watch = FileSystems.getDefault().newWatchService();
                dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
            }
        } catch (IOException e) {
            LOG.warning("cannot watch " + dir + " (" + e.getMessage() + "); changes are picked up by periodic scans");
        }
        thread = Thread.ofPlatform().name("nest-function-files").daemon().start(this::loop);
    }

    private void loop() {
        while (!closed) {
            try {
                if (watch != null) {
                    var key = watch.poll(intervalMillis, TimeUnit.MILLISECONDS);
                    if (key != null) {
                        key.pollEvents();
                        key.reset();
                        Thread.sleep(50); // let an editor finish writing the file
                    }
                } else {
                    Thread.sleep(intervalMillis);
                }
                scan();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "scanning " + dir + " failed", e);
            }
        }
    }

    /** Current problems, one per broken file. */
    public Collection<FileProblem> problems() {
        return List.copyOf(problems.values());
    }

    public Optional<FileProblem> problem(FunctionId id) {
        return problems.values().stream()
                .filter(p -> p.name().equals(id.name()) && p.namespace().equals(id.namespace())).findFirst();
    }

    /**
     * One pass over the directory: each file is applied on its own, so a file that cannot be read, parsed or
     * deployed is reported through {@link #problems()} and the files after it are still applied. Synchronized: the
     * watcher thread and tests may both call it.
     */
    public synchronized void scan() {
        List<Path> files;
        if (!Files.isDirectory(dir)) {
            files = List.of();
        } else {
            try (Stream<Path> s = Files.list(dir)) {
                files = s.filter(p -> {
                    String n = p.getFileName().toString();
                    return (n.endsWith(".yaml") || n.endsWith(".yml")) && !n.startsWith(".") && Files.isRegularFile(p);
                }).sorted().toList();
            } catch (IOException | UncheckedIOException e) {
                LOG.warning("cannot list the functions directory " + dir + ": " + e.getMessage());
                return;
            }
        }
        for (Path f : files) {
            try {
                apply(f);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "function file " + f.getFileName() + " not applied", e);
                fail(f, baseName(f), FunctionId.DEFAULT_NAMESPACE, e.getClass().getSimpleName() + ": "
                        + ServerPaths.scrub(String.valueOf(e.getMessage()), List.of(dir)));
            }
        }
        for (Path gone : List.copyOf(applied.keySet())) {
            if (!files.contains(gone)) {
                remove(gone);
            }
        }
        problems.keySet().removeIf(p -> !files.contains(p));
        reads.keySet().removeIf(p -> !files.contains(p));
        failed.keySet().removeIf(p -> !files.contains(p));
    }

    /** How many times a file's YAML was parsed since start: unchanged files are not parsed again. */
    synchronized int parses() {
        return parses;
    }

    private void apply(Path file) {
        Parse parse;
        try {
            parse = read(file);
        } catch (IOException | UncheckedIOException e) {
            fail(file, baseName(file), FunctionId.DEFAULT_NAMESPACE, "cannot be read: " + e.getMessage());
            return;
        }
        List<String> errors = new ArrayList<>(parse.problems());
        Path codeDir = null;
        try {
            codeDir = CodeLocations.resolve(parse.code(), file, dir, protectedDirs);
        } catch (CodeLocations.Refused e) {
            if (parse.readable()) {
                errors.add(e.getMessage());
            }
        }
        if (!errors.isEmpty() || parse.parsed().isEmpty() || codeDir == null) {
            fail(file, parse.name(), parse.namespace(), String.join("; ", errors));
            return;
        }
        SpecParser.Parsed parsed = parse.parsed().get();
        String fingerprint;
        try {
            fingerprint = parse.sha256() + "\n" + treeFingerprint(codeDir);
        } catch (IOException | UncheckedIOException e) {
            fail(file, parse.name(), parse.namespace(), "key 'code': value '" + parse.code().orElse("")
                    + "' is not valid; the directory cannot be read (" + e.getClass().getSimpleName() + ")");
            return;
        }
        if (fingerprint.equals(applied.get(file)) && !problems.containsKey(file)
                || fingerprint.equals(failed.get(file))) {
            return;
        }
        FunctionId id = parsed.spec().id();
        try {
            FunctionId previous = owners.get(file);
            String origin = "file:" + file;
            Optional<FunctionRecord> existing = registry.get(id);
            if (existing.isPresent() && !existing.get().origin().equals(origin) && existing.get().origin().startsWith("file:")) {
                throw NestException.conflict("function " + id + " is already defined by "
                        + Path.of(existing.get().origin().substring(5)).getFileName() + "; give one of them another name");
            }
            var artifact = deployer.uploadDirectory(codeDir, parsed.spec().runtime());
            Optional<FunctionRecord> released = existing.filter(x -> x.origin().equals(origin) && x.liveVersion().isPresent());
            if (parse.release().isPresent() && released.isPresent()) {
                release(file, released.get(), parsed, artifact.digest(), origin, parse.release().get());
            } else {
                var d = deployer.deploy(parsed.spec(), artifact.digest(), origin, origin);
                if (d.changed()) {
                    LOG.info("applied " + file.getFileName() + ": " + id + " version " + d.version().version() + " is live");
                }
            }
            applied.put(file, fingerprint);
            owners.put(file, id);
            problems.remove(file);
            failed.remove(file);
            if (previous != null && !previous.equals(id)) {
                deleteIfOwned(previous, file);
            }
        } catch (NestException e) {
            fail(file, id.name(), id.namespace(), ServerPaths.scrub(e.detail(), List.of(codeDir, dir)));
            if (e.status() >= 400 && e.status() < 500 && e.status() != 409) {
                failed.put(file, fingerprint); // the same file and code would fail the same way: wait for a change
            }
        }
    }

    /**
     * A changed file with a {@code release:} block: its version added unpromoted (or the latest version with the
     * same code and spec reused) and a release to it started, unless that version is live already.
     */
    private void release(Path file, FunctionRecord current, SpecParser.Parsed parsed, String digest, String origin,
                         Releases.Plan plan) {
        FunctionId id = parsed.spec().id();
        Optional<Release> active = current.release().filter(r -> r.state().active());
        FunctionVersion stable = current.version(active.map(Release::from).orElse(current.live())).orElseThrow();
        if (stable.digest().equals(digest) && stable.spec().equals(parsed.spec())) {
            if (active.isPresent() && releases.start(id, stable.version(), plan, origin).isPresent()) {
                LOG.info("applied " + file.getFileName() + ": the file returns to " + id + " version " + stable.version()
                        + "; the release to version " + active.get().to() + " is rolled back");
            }
            return;
        }
        Optional<FunctionVersion> latest = current.version(current.latest())
                .filter(v -> v.digest().equals(digest) && v.spec().equals(parsed.spec()));
        int to = latest.isPresent() ? latest.get().version()
                : deployer.deploy(parsed.spec(), digest, origin, origin, false).version().version();
        if (releases.start(id, to, plan, origin).isPresent()) {
            LOG.info("applied " + file.getFileName() + ": " + id + " version " + to + " added; a canary release to it "
                    + "started (steps " + plan.steps() + ")");
        }
    }

    /**
     * The file's spec, parsed only when its size, modification time or content changed since the last scan. A file
     * over {@link #MAX_FILE_BYTES} is refused before it is read.
     */
    private Parse read(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        String base = baseName(file);
        if (a.size() > MAX_FILE_BYTES) {
            reads.remove(file);
            return Parse.unreadable(base, tooLarge(file, a.size()));
        }
        byte[] text;
        try (InputStream in = Files.newInputStream(file)) {
            text = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        if (text.length > MAX_FILE_BYTES) {
            reads.remove(file);
            return Parse.unreadable(base, tooLarge(file, text.length));
        }
        String sha = sha256(text);
        Read last = reads.get(file);
        if (last != null && last.size() == a.size() && last.modified().equals(a.lastModifiedTime())
                && last.sha256().equals(sha)) {
            return last.parse();
        }
        parses++;
        Parse parse = Parse.of(text, sha, base, file.getFileName().toString());
        reads.put(file, new Read(a.size(), a.lastModifiedTime(), sha, parse));
        return parse;
    }

    private static String tooLarge(Path file, long size) {
        return "the file is " + size + " bytes; a function file may hold at most " + MAX_FILE_BYTES + " bytes ("
                + MAX_FILE_BYTES / 1024 + " KiB): it holds only the spec, the code belongs in the 'code' directory";
    }

    private static String baseName(Path file) {
        return file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
    }

    private static String sha256(byte[] text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** What the last read of a file found, kept to skip parsing it again while it does not change. */
    private record Read(long size, FileTime modified, String sha256, Parse parse) {
    }

    /**
     * A file's parse: the spec when it is valid, else every problem found; the name and namespace it gives (or its
     * base name) so that a broken file is listed under its function.
     *
     * @param readable whether the YAML could be read (only then is {@code code} checked too)
     */
    record Parse(Optional<SpecParser.Parsed> parsed, List<String> problems, String name, String namespace,
                 Optional<String> code, String sha256, boolean readable, Optional<Releases.Plan> release) {
        /** The key of a file's release block (read here, not by the spec parser: it is how a change rolls out). */
        static final String RELEASE = "release";

        static Parse unreadable(String base, String problem) {
            return new Parse(Optional.empty(), List.of(problem), base, FunctionId.DEFAULT_NAMESPACE, Optional.empty(), "",
                    false, Optional.empty());
        }

        static Parse of(byte[] text, String sha256, String base, String fileName) {
            JsonNode tree;
            try {
                tree = FunctionFileReader.read(text);
            } catch (FunctionFileReader.Unreadable e) {
                return new Parse(Optional.empty(), e.problems(), base, FunctionId.DEFAULT_NAMESPACE, Optional.empty(),
                        sha256, false, Optional.empty());
            }
            List<String> problems = new ArrayList<>();
            Optional<Releases.Plan> release = Optional.empty();
            if (tree instanceof ObjectNode o && o.has(RELEASE)) {
                ObjectNode copy = o.deepCopy();
                JsonNode block = copy.remove(RELEASE);
                tree = copy;
                try {
                    release = Optional.of(Releases.plan(block, RELEASE));
                } catch (NestException e) {
                    problems.add(e.detail());
                }
            }
            String defaultName = FunctionId.LABEL.matcher(base).matches() ? base : "";
            String name = label(tree, "name").orElse(base);
            String namespace = label(tree, "namespace").orElse(FunctionId.DEFAULT_NAMESPACE);
            Optional<String> code = tree.path("code").isValueNode() && !tree.path("code").isNull()
                    ? Optional.of(tree.path("code").asText().trim()) : Optional.empty();
            try {
                SpecParser.Parsed parsed = SpecParser.parse(tree, fileName, defaultName, SpecParser.Defaults.STANDARD);
                return problems.isEmpty()
                        ? new Parse(Optional.of(parsed), List.of(), parsed.spec().id().name(),
                                parsed.spec().id().namespace(), code, sha256, true, release)
                        : new Parse(Optional.empty(), problems, parsed.spec().id().name(), parsed.spec().id().namespace(),
                                code, sha256, true, Optional.empty());
            } catch (SpecException e) {
                e.problems().stream().map(SpecProblem::toString).forEach(problems::add);
                return new Parse(Optional.empty(), problems, name, namespace, code, sha256, true, Optional.empty());
            }
        }

        private static Optional<String> label(JsonNode tree, String key) {
            JsonNode v = tree.path(key);
            return v.isTextual() && FunctionId.LABEL.matcher(v.asText().trim()).matches()
                    ? Optional.of(v.asText().trim()) : Optional.empty();
        }
    }

    private void fail(Path file, String name, String namespace, String error) {
        FileProblem p = new FileProblem(file.toString(), namespace, name, file.getFileName() + ": " + error);
        if (!p.equals(problems.put(file, p))) {
            LOG.warning("function file not applied: " + p.error());
        }
        applied.remove(file);
    }

    private void remove(Path file) {
        applied.remove(file);
        FunctionId id = owners.remove(file);
        if (id != null) {
            deleteIfOwned(id, file);
        }
    }

    private void deleteIfOwned(FunctionId id, Path file) {
        Optional<FunctionRecord> r = registry.get(id);
        if (r.isPresent() && r.get().origin().equals("file:" + file)) {
            deployer.delete(id, "file:" + file, "file:" + file);
            LOG.info("removed " + id + ": its file " + file.getFileName() + " is gone");
        }
    }

    /** Paths, sizes and modification times of a code directory: cheap to compute, changes when files do. */
    private static String treeFingerprint(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(dir, 32)) {
            for (Path p : s.sorted().toList()) {
                if (p.toString().contains("/.git/")) {
                    continue;
                }
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                if (a.isRegularFile()) {
                    sb.append(dir.relativize(p)).append(':').append(a.size()).append(':')
                            .append(a.lastModifiedTime().toMillis()).append('\n');
                }
            }
        }
        return Integer.toHexString(sb.toString().hashCode()) + ":" + sb.length();
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
        try {
            if (watch != null) {
                watch.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }
}
