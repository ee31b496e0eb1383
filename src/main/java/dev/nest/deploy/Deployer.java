package dev.nest.deploy;

import dev.nest.artifact.Artifact;
import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.Codec;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.store.AuditEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
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
 */
public final class Deployer {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Deployer.class.getName());
    private final FunctionRegistry registry;
    private final ArtifactStore artifacts;
    private final RuntimeRegistry runtimes;
    private final Consumer<AuditEntry> audit;
    private final Clock clock;
    private final ArtifactReplicator replicator;

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
        return artifacts.ingestZip(zip, codec, dir -> runtime.ifPresent(r -> runtimes.prepare(r, dir)));
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
        return artifacts.ingestManifest(manifest, dir -> runtime.ifPresent(r -> runtimes.prepare(r, dir)));
    }

    /** Stores a directory (config-file functions) prepared for {@code runtime}. */
    public Artifact uploadDirectory(Path dir, String runtime) {
        runtimes.require(runtime);
        return artifacts.ingestDirectory(dir, d -> runtimes.prepare(runtime, d));
    }

    /** Creates a version from {@code spec} and the package {@code digest} and makes it live. */
    public Deployed deploy(FunctionSpec spec, String digest, String source, String origin) {
        runtimes.require(spec.runtime());
        Artifact a = artifacts.find(digest).orElseThrow(() -> NestException.badRequest("no package with digest "
                + digest + " is stored on this node; upload it first (POST /api/v1/artifacts)"));
        if (spec.runtime().equals("java") && hasJavaSources(a.codeDir()) && !Files.isDirectory(a.codeDir().resolve("classes"))) {
            throw NestException.badRequest("package " + digest + " holds Java sources that were not compiled; upload it "
                    + "with ?runtime=java so that Nest compiles it");
        }
        long t0 = System.nanoTime();
        int copies = replicator.replicate(digest, spec.runtime());
        long replicated = System.nanoTime();
        FunctionVersion[] made = new FunctionVersion[1];
        FunctionRecord r = registry.update(spec.id(), origin, current -> {
            Optional<FunctionVersion> live = current.liveVersion();
            if (live.isPresent() && live.get().digest().equals(digest) && live.get().spec().equals(spec)) {
                made[0] = null;
                return current;
            }
            FunctionRecord next = current.withNewVersion(digest, spec, source, clock.instant(), true);
            if (!origin.equals(current.origin()) && current.versions().isEmpty()) {
                next = next.withOrigin(origin);
            }
            made[0] = next.liveVersion().orElseThrow();
            return next;
        });
        boolean changed = made[0] != null;
        FunctionVersion v = changed ? made[0] : r.liveVersion().orElseThrow();
        if (changed) {
            audit.accept(new AuditEntry(clock.instant(), spec.id().toString(), "deploy", v.version(), source, digest));
            LOG.info("deployed " + spec.id() + " v" + v.version() + " (" + digest + "): package on " + copies + " node(s) in "
                    + (replicated - t0) / 1_000_000 + " ms, version written in " + (System.nanoTime() - replicated) / 1_000_000 + " ms");
        }
        return new Deployed(r, v, changed);
    }

    /** A new version with {@code spec} and the live version's code. */
    public Deployed updateSpec(FunctionSpec spec, String source) {
        FunctionRecord r = registry.get(spec.id()).orElseThrow(() -> NestException.notFound("function",
                "no function " + spec.id() + "; create it with a code package first"));
        FunctionVersion live = r.liveVersion().orElseThrow(() -> NestException.conflict("function " + spec.id()
                + " has no live version to take the code from; deploy a package"));
        return deploy(spec, live.digest(), source, r.origin());
    }

    /** Points {@code live} back at {@code to}, or at the previously live version. */
    public FunctionRecord rollback(FunctionId id, Optional<Integer> to, String source) {
        if (registry.get(id).isEmpty()) {
            throw NestException.notFound("function", "no function " + id);
        }
        FunctionRecord r = registry.update(id, "api", current -> current.rolledBack(to, clock.instant()));
        audit.accept(new AuditEntry(clock.instant(), id.toString(), "rollback", r.live(), source, ""));
        return r;
    }

    public boolean delete(FunctionId id, String source) {
        boolean existed = registry.delete(id);
        if (existed) {
            audit.accept(new AuditEntry(clock.instant(), id.toString(), "delete", 0, source, ""));
        }
        return existed;
    }

    private static boolean hasJavaSources(Path dir) {
        try (Stream<Path> s = Files.walk(dir, 16)) {
            return s.anyMatch(p -> p.toString().endsWith(".java"));
        } catch (IOException e) {
            return false;
        }
    }
}
