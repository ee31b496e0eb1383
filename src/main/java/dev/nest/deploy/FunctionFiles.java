package dev.nest.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import dev.nest.function.SpecParser;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collection;
import java.util.HashMap;
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
 * <p>Threads: one daemon thread applies changes; {@link #problems()} may be called from any thread.
 */
public final class FunctionFiles implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FunctionFiles.class.getName());

    private final Path dir;
    private final Deployer deployer;
    private final FunctionRegistry registry;
    private final long intervalMillis;
    private final Map<Path, FileProblem> problems = new ConcurrentHashMap<>();
    private final Map<Path, String> applied = new HashMap<>();
    private final Map<Path, FunctionId> owners = new HashMap<>();
    private volatile boolean closed;
    private Thread thread;
    private WatchService watch;

    public FunctionFiles(Path dir, Deployer deployer, FunctionRegistry registry, long intervalMillis) {
        this.dir = dir.toAbsolutePath().normalize();
        this.deployer = deployer;
        this.registry = registry;
        this.intervalMillis = intervalMillis;
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

    /** One pass over the directory. Synchronized: the watcher thread and tests may both call it. */
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
            } catch (IOException e) {
                LOG.warning("cannot list " + dir + ": " + e.getMessage());
                return;
            }
        }
        for (Path f : files) {
            apply(f);
        }
        for (Path gone : List.copyOf(applied.keySet())) {
            if (!files.contains(gone)) {
                remove(gone);
            }
        }
        problems.keySet().removeIf(p -> !files.contains(p));
    }

    private void apply(Path file) {
        String base = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        String fingerprint;
        SpecParser.Parsed parsed;
        Path codeDir;
        try {
            byte[] text = Files.readAllBytes(file);
            JsonNode tree;
            try {
                tree = Json.yaml().readTree(text);
            } catch (IOException e) {
                throw NestException.badRequest("not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
            }
            String defaultName = FunctionId.LABEL.matcher(base).matches() ? base : "";
            parsed = SpecParser.parse(tree, file.getFileName().toString(), defaultName, SpecParser.Defaults.STANDARD);
            if (parsed.code().isEmpty()) {
                throw NestException.badRequest("key 'code': required: the function's code directory, relative to " + file.getFileName());
            }
            codeDir = file.getParent().resolve(parsed.code().get()).normalize();
            if (!Files.isDirectory(codeDir)) {
                throw NestException.badRequest("key 'code': value '" + parsed.code().get() + "' is not valid; allowed: "
                        + "an existing directory relative to " + file.getFileName() + " (" + codeDir + " does not exist)");
            }
            fingerprint = new String(text, java.nio.charset.StandardCharsets.UTF_8) + "\n" + treeFingerprint(codeDir);
        } catch (NestException | IOException e) {
            fail(file, base, e instanceof NestException ne ? ne.detail() : e.getMessage());
            return;
        }
        if (fingerprint.equals(applied.get(file)) && !problems.containsKey(file)) {
            return;
        }
        FunctionId id = parsed.spec().id();
        try {
            FunctionId previous = owners.get(file);
            String origin = "file:" + file;
            Optional<FunctionRecord> existing = registry.get(id);
            if (existing.isPresent() && !existing.get().origin().equals(origin) && existing.get().origin().startsWith("file:")) {
                throw NestException.conflict("function " + id + " is already defined by " + existing.get().origin().substring(5)
                        + "; give one of them another name");
            }
            var artifact = deployer.uploadDirectory(codeDir, parsed.spec().runtime());
            var d = deployer.deploy(parsed.spec(), artifact.digest(), origin, origin);
            if (d.changed()) {
                LOG.info("applied " + file.getFileName() + ": " + id + " version " + d.version().version() + " is live");
            }
            applied.put(file, fingerprint);
            owners.put(file, id);
            problems.remove(file);
            if (previous != null && !previous.equals(id)) {
                deleteIfOwned(previous, file);
            }
        } catch (NestException e) {
            fail(file, id.name(), id.namespace(), e.detail());
        } catch (RuntimeException e) {
            fail(file, id.name(), id.namespace(), e.toString());
        }
    }

    private void fail(Path file, String base, String error) {
        fail(file, base, FunctionId.DEFAULT_NAMESPACE, error);
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
            deployer.delete(id, "file:" + file);
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
