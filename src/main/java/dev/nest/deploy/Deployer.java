package dev.nest.deploy;

import dev.nest.artifact.Artifact;
import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.Codec;
import dev.nest.common.NestException;
import dev.nest.function.AsyncSpec;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import dev.nest.function.FunctionSpec;
import dev.nest.function.SpecCheck;
import dev.nest.function.SpecException;
import dev.nest.function.SpecProblem;
import dev.nest.function.FunctionVersion;
import dev.nest.namespace.NamespaceQuota;
import dev.nest.namespace.NamespaceUsage;
import dev.nest.namespace.QuotaCheck;
import dev.nest.namespace.QuotaExceeded;
import dev.nest.namespace.Quotas;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.store.AuditEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Deploys, updates, rolls back and deletes functions. Each operation checks what a user can get wrong
 * (runtime not installed, code not uploaded, Java sources not compiled) before it writes, and is one atomic
 * write to the registry, so a new version or a rollback is live as soon as the call returns.
 * Deploying exactly the live version's code and spec again creates no new version.
 *
 * <p>In a cluster a deploy first has its package copied to {@code cluster.artifact-replicas} nodes (see
 * {@link ArtifactReplicator}); only then is the version written, so an acknowledged deploy never points at code
 * that a single node's loss would take away.
 *
 * <p>Ownership: a function defined by a file of the functions directory (origin {@code file:<path>}) is changed
 * only by that file: an update, rollback or delete from the API is refused with 409 naming the file (a file that
 * defines a function the API created takes it over). A create of a
 * function that exists is refused with 409 in the same atomic write that would have made version 1, so concurrent
 * creates of one name make exactly one version 1.
 *
 * <p>Errors name the package entry or the key at fault and never an absolute path of this server (see
 * {@link ServerPaths}). Node.js handlers are syntax-checked before they are written (see
 * {@link RuntimeRegistry#check}).
 */
public final class Deployer {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Deployer.class.getName());
    /** The origin of changes made through the admin API (and the CLI). */
    public static final String API = "api";
    private static final String FILE = "file:";
    private final FunctionRegistry registry;
    private final ArtifactStore artifacts;
    private final RuntimeRegistry runtimes;
    private final Consumer<AuditEntry> audit;
    private final Clock clock;
    private final ArtifactReplicator replicator;
    private final Quotas quotas;
    private final SpecCheck specCheck;

    /** Refuses HTTP destinations: the check of a deployer made without the node's {@code async.destinations.allow}. */
    public static final SpecCheck NO_HTTP_DESTINATIONS = spec -> {
        List<SpecProblem> out = new java.util.ArrayList<>();
        spec.async().onSuccess().filter(AsyncSpec::isUrl).ifPresent(url -> out.add(new SpecProblem("async.on-success",
                url, "a function name (HTTP destinations need their host on async.destinations.allow in nest.yaml)")));
        spec.async().onFailure().filter(AsyncSpec::isUrl).ifPresent(url -> out.add(new SpecProblem("async.on-failure",
                url, "a function name (HTTP destinations need their host on async.destinations.allow in nest.yaml)")));
        return out;
    };

    /** The outcome of a deploy. */
    public record Deployed(FunctionRecord record, FunctionVersion version, boolean changed) {
    }

    public Deployer(FunctionRegistry registry, ArtifactStore artifacts, RuntimeRegistry runtimes,
                    Consumer<AuditEntry> audit, Clock clock) {
        this(registry, artifacts, runtimes, audit, clock, new ArtifactReplicator(artifacts, ArtifactHolders.SINGLE_NODE, 1));
    }

    /** A deployer whose deploys return only once {@code replicator} has the package on enough nodes. */
    public Deployer(FunctionRegistry registry, ArtifactStore artifacts, RuntimeRegistry runtimes,
                    Consumer<AuditEntry> audit, Clock clock, ArtifactReplicator replicator) {
        this(registry, artifacts, runtimes, audit, clock, replicator, Quotas.NONE, NO_HTTP_DESTINATIONS);
    }

    /**
     * As above; also refuses (409) a version whose {@code scaling.min} instances do not fit its namespace's quota
     * next to the {@code scaling.min} of the namespace's other functions, and (400) a spec in which
     * {@code specCheck} finds problems: a trigger's settings, an HTTP destination whose host is not on
     * {@code async.destinations.allow}.
     */
    public Deployer(FunctionRegistry registry, ArtifactStore artifacts, RuntimeRegistry runtimes,
                    Consumer<AuditEntry> audit, Clock clock, ArtifactReplicator replicator, Quotas quotas,
                    SpecCheck specCheck) {
        this.quotas = quotas;
        this.specCheck = specCheck;
        this.replicator = replicator;
        this.registry = registry;
        this.artifacts = artifacts;
        this.runtimes = runtimes;
        this.audit = audit;
        this.clock = clock;
    }

    /** Stores an uploaded zip; {@code runtime} (when given) prepares it, e.g. compiles Java sources. */
    public Artifact upload(InputStream zip, Optional<String> runtime) {
        return upload(zip, runtime, Optional.empty());
    }

    /** {@link #upload(InputStream, Optional)}, keeping its chunks compressed with {@code codec} (empty: by size). */
    public Artifact upload(InputStream zip, Optional<String> runtime, Optional<Codec> codec) {
        runtime.ifPresent(runtimes::require);
        return withoutServerPaths(List.of(), () -> artifacts.ingestZip(zip, codec,
                dir -> runtime.ifPresent(r -> runtimes.prepare(r, dir))));
    }

    /** Stores one compressed chunk of a chunked upload after verifying its sha256 (hex). */
    public void uploadChunk(String sha256, InputStream body) {
        artifacts.putChunk(sha256, body);
    }

    /** Whether chunk {@code sha256} is stored, and where (to serve it or to skip its upload). */
    public Optional<Path> uploadedChunk(String sha256) {
        return artifacts.chunk(sha256);
    }

    /** The manifest of an uploaded package, to serve it. */
    public Optional<byte[]> uploadedManifest(String digest) {
        return artifacts.manifest(digest);
    }

    /** Completes a chunked upload: every chunk the manifest lists must be uploaded; prepared for {@code runtime}. */
    public Artifact uploadManifest(byte[] manifest, Optional<String> runtime) {
        runtime.ifPresent(runtimes::require);
        return withoutServerPaths(List.of(), () -> artifacts.ingestManifest(manifest,
                dir -> runtime.ifPresent(r -> runtimes.prepare(r, dir))));
    }

    /** Stores a directory (config-file functions) prepared for {@code runtime}. */
    public Artifact uploadDirectory(Path dir, String runtime) {
        runtimes.require(runtime);
        return withoutServerPaths(List.of(dir), () -> artifacts.ingestDirectory(dir, d -> runtimes.prepare(runtime, d)));
    }

    /**
     * Creates the function {@code spec} names with version 1 from the package {@code digest}.
     *
     * @throws NestException 409 when the function exists (also when another create of it won a race)
     */
    public Deployed create(FunctionSpec spec, String digest, String source, String origin) {
        return deploy(spec, digest, source, origin, true, true);
    }

    /**
     * Creates a version from {@code spec} and the package {@code digest} and makes it live; creates the function
     * when there is none.
     *
     * @param origin who defines the function: {@link #API} or {@code file:<path>}
     * @throws NestException 409 when the function is defined by a file and {@code origin} is not that file
     */
    public Deployed deploy(FunctionSpec spec, String digest, String source, String origin) {
        return deploy(spec, digest, source, origin, false, true);
    }

    /**
     * A new version; with {@code promote} false it is added without moving the alias {@code live} (a release can
     * then start from it), and one is added even when the live version has the same code and spec.
     */
    public Deployed deploy(FunctionSpec spec, String digest, String source, String origin, boolean promote) {
        return deploy(spec, digest, source, origin, false, promote);
    }

    private Deployed deploy(FunctionSpec spec, String digest, String source, String origin, boolean createOnly,
                            boolean promote) {
        runtimes.require(spec.runtime());
        List<SpecProblem> problems = specCheck.problems(spec);
        if (!problems.isEmpty()) {
            throw new SpecException("function " + spec.id(), problems);
        }
        Artifact a = artifacts.find(digest).orElseThrow(() -> NestException.badRequest("no package with digest "
                + digest + " is stored on this node; upload it first (POST /api/v1/artifacts)"));
        if (spec.runtime().equals("java") && hasJavaSources(a.codeDir()) && !Files.isDirectory(a.codeDir().resolve("classes"))) {
            throw NestException.badRequest("package " + digest + " holds Java sources that were not compiled; upload it "
                    + "with ?runtime=java so that Nest compiles it");
        }
        Optional<FunctionRecord> before = registry.get(spec.id());
        before.ifPresent(r -> requireOwner(r, origin, createOnly ? "create" : "change"));
        if (createOnly && before.isPresent() && !before.get().versions().isEmpty()) {
            throw exists(spec.id());
        }
        requireMinimumWithinQuota(spec);
        Optional<FunctionVersion> known = before.flatMap(FunctionRecord::liveVersion);
        boolean newCode = known.isEmpty() || !known.get().digest().equals(digest)
                || !known.get().spec().handler().equals(spec.handler());
        long t0 = System.nanoTime();
        int copies = newCode ? checkWhileCopying(spec, digest, a) : replicator.replicate(digest, spec.runtime());
        long replicated = System.nanoTime();
        FunctionVersion[] made = new FunctionVersion[1];
        FunctionRecord r = registry.update(spec.id(), origin, current -> {
            if (createOnly && !current.versions().isEmpty()) {
                throw exists(spec.id());
            }
            requireOwner(current, origin, "change");
            Optional<FunctionVersion> live = current.liveVersion();
            // a file takes over a function the API created: from now on the file alone changes it
            boolean takeOver = !origin.equals(current.origin()) && (current.versions().isEmpty() || origin.startsWith(FILE));
            if (promote && live.isPresent() && live.get().digest().equals(digest) && live.get().spec().equals(spec)) {
                made[0] = null;
                return takeOver ? current.withOrigin(origin) : current;
            }
            FunctionRecord next = current.withNewVersion(digest, spec, source, clock.instant(), promote);
            if (takeOver) {
                next = next.withOrigin(origin);
            }
            made[0] = next.version(next.latest()).orElseThrow();
            return next;
        });
        boolean changed = made[0] != null;
        FunctionVersion v = changed ? made[0] : r.liveVersion().orElseThrow();
        if (changed) {
            audit.accept(new AuditEntry(clock.instant(), spec.id().toString(), promote ? "deploy" : "deploy-unpromoted",
                    v.version(), source, digest));
            LOG.info("deployed " + spec.id() + " v" + v.version() + " (" + digest + "): package on " + copies + " node(s) in "
                    + (replicated - t0) / 1_000_000 + " ms, version written in " + (System.nanoTime() - replicated) / 1_000_000 + " ms");
        }
        return new Deployed(r, v, changed);
    }

    /**
     * Checks the new code (for Node.js a child process, about 0.1 s of CPU) while the package is copied to other
     * nodes: neither needs the other, and a deploy's answer waits for both. A failed check still refuses the deploy
     * before any version is written; copies already pushed hold a package that no version names.
     */
    private int checkWhileCopying(FunctionSpec spec, String digest, Artifact a) {
        FutureTask<Integer> copying = new FutureTask<>(() -> replicator.replicate(digest, spec.runtime()));
        Thread.ofVirtual().name("nest-deploy-copy").start(copying);
        runtimes.check(spec.runtime(), spec.handler(), a.codeDir());
        try {
            return copying.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("copying package " + digest + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw NestException.unavailable("deploy interrupted", "interrupted while package " + digest
                    + " was copied to other nodes; deploy again");
        }
    }

    /**
     * Refuses {@code spec} when its {@code scaling.min} instances, with the minimums of its namespace's other
     * functions, exceed the namespace's quota: they could never all run.
     *
     * @throws NestException 409 naming the quota, its limit and usage
     */
    private void requireMinimumWithinQuota(FunctionSpec spec) {
        String ns = spec.id().namespace();
        NamespaceQuota quota = quotas.quota(ns);
        if (!quota.limited() || spec.scaling().min() == 0) {
            return;
        }
        NamespaceUsage others = NamespaceUsage.NONE;
        for (FunctionRecord r : registry.all()) {
            if (r.id().namespace().equals(ns) && !r.id().equals(spec.id())) {
                Optional<FunctionVersion> live = r.liveVersion();
                if (live.isPresent()) {
                    others = others.plus(live.get().spec().scaling().min(), live.get().spec().memoryMb());
                }
            }
        }
        Optional<QuotaExceeded> over = QuotaCheck.admit(ns, quota, others, spec.scaling().min(), spec.memoryMb(),
                "scaling.min " + spec.scaling().min() + " of " + spec.id() + " (with the scaling.min of the "
                        + "namespace's other functions counted as in use)");
        if (over.isPresent()) {
            throw new NestException(409, QuotaExceeded.ERROR, over.get().detail() + "; or lower scaling.min");
        }
    }

    /** A new version with {@code spec} and the live version's code, made through the API. */
    public Deployed updateSpec(FunctionSpec spec, String source) {
        FunctionRecord r = registry.get(spec.id()).orElseThrow(() -> NestException.notFound("function",
                "no function " + spec.id() + "; create it with a code package first"));
        FunctionVersion live = r.liveVersion().orElseThrow(() -> NestException.conflict("function " + spec.id()
                + " has no live version to take the code from; deploy a package"));
        return deploy(spec, live.digest(), source, API);
    }

    /**
     * Points {@code live} back at {@code to}, or at the previously live version (through the API).
     *
     * @throws NestException 409 when the function is defined by a file
     */
    public FunctionRecord rollback(FunctionId id, Optional<Integer> to, String source) {
        FunctionRecord found = registry.get(id).orElseThrow(() -> NestException.notFound("function", "no function " + id));
        requireOwner(found, API, "roll back");
        FunctionRecord r = registry.update(id, API, current -> {
            requireOwner(current, API, "roll back");
            return current.rolledBack(to, clock.instant());
        });
        audit.accept(new AuditEntry(clock.instant(), id.toString(), "rollback", r.live(), source, ""));
        return r;
    }

    /**
     * Deletes a function through the API.
     *
     * @return whether it existed
     * @throws NestException 409 when the function is defined by a file
     */
    public boolean delete(FunctionId id, String source) {
        return delete(id, source, API);
    }

    /**
     * Deletes a function on behalf of {@code origin} ({@link #API} or the {@code file:<path>} that defines it).
     *
     * @throws NestException 409 when the function is defined by a file other than {@code origin}
     */
    public boolean delete(FunctionId id, String source, String origin) {
        Optional<FunctionRecord> found = registry.get(id);
        if (found.isEmpty()) {
            return false;
        }
        requireOwner(found.get(), origin, "delete");
        boolean existed = registry.delete(id);
        if (existed) {
            audit.accept(new AuditEntry(clock.instant(), id.toString(), "delete", 0, source, ""));
        }
        return existed;
    }

    /** 409 when {@code r} is defined by a file and {@code origin} is not that file. */
    private static void requireOwner(FunctionRecord r, String origin, String action) {
        if (r.origin().startsWith(FILE) && !r.origin().equals(origin) && !r.versions().isEmpty()) {
            String file = Optional.ofNullable(Path.of(r.origin().substring(FILE.length())).getFileName())
                    .map(Path::toString).orElse(r.origin());
            throw NestException.conflict("function " + r.id() + " is defined by the file " + file + " in the functions "
                    + "directory; the API cannot " + action + " it: edit that file to change it, or remove the file to "
                    + "delete it");
        }
    }

    private static NestException exists(FunctionId id) {
        return NestException.conflict("function " + id + " exists; deploy a new version with POST /api/v1/functions/"
                + id.name() + "/versions" + (id.namespace().equals(FunctionId.DEFAULT_NAMESPACE) ? ""
                : "?namespace=" + id.namespace()));
    }

    /**
     * Runs a store operation, keeping this server's paths out of its errors: the detail names the package entry
     * (or the path relative to one of {@code roots}); a 500 caused by an entry the file system refuses (a name
     * too long, a file where a folder is needed) is the package's fault, a 400.
     */
    private static Artifact withoutServerPaths(List<Path> roots, java.util.function.Supplier<Artifact> op) {
        try {
            return op.get();
        } catch (NestException e) {
            Optional<String> entry = e.status() >= 500 ? refusedEntry(e, roots) : Optional.empty();
            if (entry.isPresent()) {
                throw new NestException(400, "invalid package", entry.get(), e);
            }
            String detail = ServerPaths.scrub(e.detail(), roots);
            if (detail.equals(e.detail())) {
                throw e;
            }
            throw new NestException(e.status(), e.error(), detail, e);
        } catch (java.io.UncheckedIOException e) {
            throw new NestException(500, "artifact store error", refusedEntry(e, roots).orElse("cannot store the package: "
                    + ServerPaths.scrub(String.valueOf(e.getCause().getMessage()), roots)), e);
        }
    }

    /**
     * When {@code e} was caused by the file system refusing a package entry (a name too long, a file and a folder
     * of one name), a 400 detail that names the entry (shortened to 100 characters) and the reason.
     */
    private static Optional<String> refusedEntry(Throwable e, List<Path> roots) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (!(t instanceof java.nio.file.FileSystemException fs) || fs.getFile() == null) {
                continue;
            }
            String reason = fs.getReason() == null ? "" : fs.getReason();
            String why;
            if (t instanceof java.nio.file.FileAlreadyExistsException || t instanceof java.nio.file.DirectoryNotEmptyException
                    || reason.contains("Is a directory")) {
                why = "a file and a folder have this name";
            } else if (t instanceof java.nio.file.NotDirectoryException || reason.contains("Not a directory")) {
                why = "a file has the name of a folder in its path";
            } else if (reason.contains("File name too long")) {
                why = "a name is longer than this server's file system allows (255 bytes per name)";
            } else {
                continue;
            }
            String name = ServerPaths.scrub(fs.getFile(), roots);
            if (name.length() > 100) {
                name = name.substring(0, 100) + "...";
            }
            return Optional.of("package entry '" + name + "' cannot be unpacked: " + why + "; rename it and upload again");
        }
        return Optional.empty();
    }

    private static boolean hasJavaSources(Path dir) {
        try (Stream<Path> s = Files.walk(dir, 16)) {
            return s.anyMatch(p -> p.toString().endsWith(".java"));
        } catch (IOException e) {
            return false;
        }
    }
}
