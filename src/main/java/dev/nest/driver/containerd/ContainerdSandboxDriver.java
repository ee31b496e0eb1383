package dev.nest.driver.containerd;

import com.google.protobuf.Empty;
import containerd.services.containers.v1.Container;
import containerd.services.containers.v1.ListContainersRequest;
import containerd.services.leases.v1.Lease;
import containerd.services.leases.v1.ListRequest;
import containerd.services.tasks.v1.StartRequest;
import containerd.services.version.v1.VersionResponse;
import containerd.types.Mount;
import dev.nest.spi.CodeViews;
import dev.nest.spi.Containers;
import dev.nest.spi.DriverHealth;
import dev.nest.spi.Pod;
import dev.nest.spi.PodCodeDirs;
import dev.nest.spi.PodHostSockets;
import dev.nest.spi.PodLabels;
import dev.nest.spi.PodListener;
import dev.nest.spi.PodSpec;
import dev.nest.spi.PodStop;
import dev.nest.spi.SandboxDriver;
import dev.nest.spi.SandboxException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs each pod as a hardened container of its runtime's image, through containerd's gRPC API.
 *
 * <p>A start: create a lease named after the container (so that containerd's garbage collector keeps what
 * the start makes until the container references it) -> resolve the image ({@link ImageStore}: config and
 * top snapshot, kept per image) -> an active snapshot on top of the image ({@code Prepare}) giving the root filesystem mounts -> the container record, with the OCI runtime spec
 * ({@link OciSpec}: the docker driver's hardening), the runtime, the snapshot and the labels -> the task,
 * with the rootfs mounts and two FIFOs for its output ({@link PodOutput}, made on a helper thread while the
 * calls before run) -> a {@code Wait} on the task ->
 * start. The pod's own code directory ({@link PodCodeDirs}: {@code <data>/containerd/pods/<container>/code}, empty
 * at the start) is its {@value OciSpec#CODE_MOUNT}; {@link #pathInPod} links a code version into it when the version
 * is loaded into the pod, so a container sees the code of the versions it hosts and no other function's. With
 * {@code host-socket: true} the pod's host socket directory ({@link PodHostSockets}: {@code <pod dir>/host}, uid
 * 65534's alone: no user namespace) is mounted at {@value PodHostSockets#MOUNT} ({@link OciSpec#hostSocket}; made
 * when a prepared container is prepared, named in the environment written when it is claimed). Every
 * container carries the pod's labels plus {@code dev.nest.owner=nest},
 * {@code dev.nest.node=<node>} and {@code dev.nest.pod=<pod>}; the lease and the snapshot carry the first two.
 *
 * <p>With {@code prepared: N} ({@link PreparedContainers}, ADR 0031) a start first resolves the image and takes a
 * prepared container of its image and limits (made up to the task by {@link ContainerdPreparer}); it then writes the
 * pod's environment file ({@link Prepared}), starts the exit watch and starts the task. A prepared container that
 * fails to start is removed and the start makes its own container as above.
 *
 * <p>Failures: a missing image, a containerd that is down or a wrong socket make {@link #start} throw a
 * {@link SandboxException} naming the image or socket and what to do (after removing what the start had
 * made), and {@link #health()} report down. Every call but the exit watch has the deadline
 * {@code sidecar.drivers.containerd.timeout}. Leftovers of a crashed node are found by their labels
 * ({@link #removeOrphans}); containers, leases and snapshots of other nodes are never touched.
 *
 * <p>Thread-safe: pods are started and stopped from many threads at once; exits are reported on the gRPC
 * callback threads, output on a thread per stream.
 */
final class ContainerdSandboxDriver implements SandboxDriver {
    private static final Logger LOG = Logger.getLogger(ContainerdSandboxDriver.class.getName());
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(3);
    /**
     * How long after a start takes a prepared container its replacement is begun: making one (shim, {@code runc create})
     * costs CPU the started host needs for its own start (100 ms made Node.js pods slower to ready on 2 cores).
     */
    static final Duration REFILL_DELAY = Duration.ofSeconds(1);

    private final String nodeId;
    private final ContainerdSettings settings;
    private final Path stateDir;
    private final ContainerdEngine engine;
    private final ImageStore images;
    private final PodCodeDirs codeDirs;
    private final PodHostSockets sockets;
    private final Map<String, ContainerdPod> pods = new ConcurrentHashMap<>();
    /** Images a start found missing; {@link #health()} reports them until they appear. */
    private final Map<String, String> missingImages = new ConcurrentHashMap<>();
    private final Optional<Path> init;
    private final Optional<String> shimGroup;
    /** Runs the start's side work (making the output FIFOs) next to its calls. */
    private final ExecutorService helpers = Executors.newCachedThreadPool(
            r -> Thread.ofPlatform().daemon().name("containerd-start-helper").unstarted(r));
    /** Prepares containers ahead of starts and sweeps the expired ones (one thread: one make at a time). */
    private final ScheduledExecutorService preparing = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("containerd-prepare").unstarted(r));
    /** Pod id to container id, for pods in prepared containers (named otherwise than {@link #containerId}). */
    private final Map<String, String> containerOfPod = new ConcurrentHashMap<>();
    private final Optional<PreparedContainers<Prepared>> prepared;
    private volatile boolean closed;

    ContainerdSandboxDriver(String nodeId, ContainerdSettings settings, Path stateDir) {
        this.nodeId = nodeId;
        this.settings = settings;
        this.stateDir = stateDir;
        this.engine = new ContainerdEngine(settings);
        this.images = new ImageStore(engine);
        this.codeDirs = new PodCodeDirs("containerd", stateDir.resolve("pods"), OciSpec.CODE_MOUNT);
        this.sockets = new PodHostSockets("containerd", settings.hostSocket(), PodHostSockets.processUid(),
                PodHostSockets.Owner.SYSTEM);
        this.init = settings.init().filter(Files::isExecutable);
        this.shimGroup = settings.sharedShim() ? Optional.of(containerId("shim-" + nodeId)) : Optional.empty();
        if (settings.prepared() > 0) {
            PreparedContainers<Prepared> p = new PreparedContainers<>(settings.prepared(), settings.preparedMaxAge(),
                    REFILL_DELAY, Clock.systemUTC(), new ContainerdPreparer(nodeId, settings, stateDir, engine, images,
                    codeDirs, sockets, init, shimGroup), (work, delay) -> preparing.schedule(work, delay.toMillis(),
                    TimeUnit.MILLISECONDS));
            long sweep = Math.max(1000, Math.min(settings.preparedMaxAge().toMillis() / 2, 60_000));
            preparing.scheduleWithFixedDelay(p::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
            this.prepared = Optional.of(p);
        } else {
            this.prepared = Optional.empty();
        }
        if (settings.init().isPresent() && init.isEmpty()) {
            LOG.warning("init binary " + settings.init().get() + " is not on this machine; containerd pods run their host "
                    + "as PID 1 (install docker-init/tini, or set " + ContainerdSettings.PREFIX + "init: none)");
        }
        // the pods as a group weigh what the node's cores do, not one process (ADR 0025, addendum)
        PodsCgroup.weigh(Path.of("/sys/fs/cgroup"), OciSpec.PODS_CGROUP, Runtime.getRuntime().availableProcessors());
    }

    @Override
    public String name() {
        return "containerd";
    }

    /** A containerd id for a pod: {@code nest-<pod id>} with characters containerd does not allow replaced. */
    static String containerId(String podId) {
        String id = ("nest-" + podId).replaceAll("[^A-Za-z0-9._-]", "-").replaceAll("[._-]{2,}", "-");
        id = id.replaceAll("[._-]+$", "");
        return id.length() <= 76 ? id : id.substring(0, 60) + "-" + ImageConfig.sha256Hex(podId).substring(0, 15);
    }

    @Override
    public Pod start(PodSpec spec, PodListener listener) {
        String image = settings.image(spec.runtime(), spec.image());
        Containers.checkStart("containerd", nodeId, closed, spec, image, ContainerdSettings.PREFIX);
        String id = containerId(spec.podId());
        Resources res = new Resources(id, settings.snapshotter());
        Map<String, String> ours = Map.of(PodLabels.OWNER, "nest", PodLabels.NODE, nodeId);
        Timings t = new Timings();
        if (prepared.isPresent()) {
            ImageStore.Resolved img = resolve(image, spec);
            t.lap("image");
            PreparedContainers.Shape shape = new PreparedContainers.Shape(image, spec.memoryBytes(), spec.cpus(), spec.pids());
            Optional<Prepared> p = prepared.get().take(shape, img.chainId());
            t.lap("take");
            if (p.isPresent()) {
                try {
                    return claim(p.get(), spec, image, listener, t);
                } catch (RuntimeException e) {
                    LOG.warning("prepared container " + p.get().containerId() + " could not start pod " + spec.podId()
                            + " (" + (e instanceof StatusRuntimeException s ? ContainerdEngine.reason(s) : e.getMessage())
                            + "); making a container for it instead");
                }
            }
        }
        // mkfifo is a child process: made on another thread while the calls below run
        CompletableFuture<PodOutput> fifos = CompletableFuture.supplyAsync(
                () -> PodOutput.create(spec.podId(), stateDir.resolve(id), listener), helpers);
        PodOutput output = null;
        boolean leased = false;
        boolean codeDir = false;
        try {
            ContainerSteps.lease(engine, id, ours);
            leased = true;
            t.lap("lease");
            ImageStore.Resolved img = resolve(image, spec);
            t.lap("image");
            List<Mount> mounts = snapshot(id, img, ours, spec);
            t.lap("snapshot");

            Map<String, String> labels = PodLabels.of(spec, nodeId);
            Path code = codeDirs.create(id);
            codeDir = true;
            // no user namespace: the container's uid is the node's
            Optional<Path> socket = sockets.create(code.getParent(), java.util.OptionalInt.of(OciSpec.UID));
            var ociSpec = OciSpec.build(id, PodHostSockets.withSocket(spec, socket), code, img.config(),
                    settings.tmpfsBytes(), init, shimGroup);
            socket.ifPresent(s -> OciSpec.hostSocket(ociSpec, PodHostSockets.directory(code.getParent())));
            byte[] oci = OciSpec.bytes(ociSpec);
            try {
                ContainerSteps.container(engine, settings, res, image, labels, oci);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
                    throw new SandboxException("a container " + id + " already exists in " + engine.where() + "; remove it "
                            + "(ctr -a " + settings.address() + " -n " + settings.namespace() + " task kill -s 9 " + id
                            + "; ctr ... container rm " + id + ") or restart the node (its orphan removal does)", e);
                }
                throw e;
            }
            t.lap("container");

            PodOutput out = join(fifos);
            output = out;
            out.open();
            t.lap("fifos");
            var created = ContainerSteps.task(engine, id, mounts, out);
            t.lap("task");
            ContainerdPod pod = new ContainerdPod(spec.podId(), res, image, spec.memoryBytes(), t, engine, out, socket);
            pod.watch(listener);
            engine.call("start task " + id, () -> engine.tasks().start(StartRequest.newBuilder().setContainerId(id).build()));
            t.lap("start");
            pod.started(created.getPid());
            pods.put(spec.podId(), pod);
            pod.exited().whenComplete((exit, error) -> {
                pods.remove(spec.podId(), pod);
                codeDirs.remove(id);
            });
            LOG.fine(() -> "pod " + spec.podId() + ": " + pod.describe());
            return pod;
        } catch (RuntimeException e) {
            if (output != null) {
                output.close();
            } else {
                fifos.whenComplete((o, error) -> {
                    if (o != null) {
                        o.close();
                    }
                });
            }
            if (codeDir) {
                codeDirs.remove(id);
            }
            if (leased) {
                try {
                    res.remove(engine);
                } catch (SandboxException cleanup) {
                    e.addSuppressed(cleanup);
                    LOG.warning("cannot remove what the failed start of pod " + spec.podId() + " made (left for the next "
                            + "orphan removal): " + cleanup.getMessage());
                }
            }
            if (e instanceof SandboxException se) {
                throw se;
            }
            throw new SandboxException("containerd refused to start pod " + spec.podId() + " (image " + image + ", "
                    + engine.where() + "): " + ContainerdEngine.reason(e) + "; its log (e.g. /var/log/nest-containerd.log) "
                    + "says more", e);
        }
    }

    private ImageStore.Resolved resolve(String image, PodSpec spec) {
        try {
            ImageStore.Resolved img = images.resolve(image, spec.runtime());
            missingImages.remove(image);
            return img;
        } catch (SandboxException e) {
            if (e.getMessage().startsWith("image " + image + " (runtime")) {
                missingImages.put(image, e.getMessage());
            }
            throw e;
        }
    }

    /**
     * Starts pod {@code spec} in a prepared container: its environment written where the container's process reads
     * it, the exit watch, then only the task's start. The container keeps the labels it was prepared with (the
     * node's, and {@value Prepared#LABEL}); {@link Pod#describe()} names it. A failure removes the prepared container and throws (the caller then makes a container).
     */
    private Pod claim(Prepared p, PodSpec spec, String image, PodListener listener, Timings t) {
        String id = p.containerId();
        ContainerdPod pod = new ContainerdPod(spec.podId(), p.resources(), image, spec.memoryBytes(), t, engine, p.output(),
                p.hostSocket());
        boolean watching = false;
        try {
            p.writeEnv(PodHostSockets.env(spec.env(), p.hostSocket()));
            p.listener().attach(spec.podId(), listener);
            t.lap("env");
            pod.watch(listener);
            watching = true;
            engine.call("start task " + id, () -> engine.tasks().start(StartRequest.newBuilder().setContainerId(id).build()));
            t.lap("start");
        } catch (RuntimeException e) {
            if (watching) {
                pod.stop(Duration.ZERO);
            } else {
                try {
                    p.resources().remove(engine);
                } catch (SandboxException cleanup) {
                    e.addSuppressed(cleanup);
                }
                p.output().close();
            }
            codeDirs.remove(id);
            deleteState(id);
            throw e;
        }
        pod.started(p.pid());
        pods.put(spec.podId(), pod);
        containerOfPod.put(spec.podId(), id);
        pod.exited().whenComplete((exit, error) -> {
            pods.remove(spec.podId(), pod);
            containerOfPod.remove(spec.podId(), id);
            codeDirs.remove(id);
        });
        LOG.fine(() -> "pod " + spec.podId() + ": " + pod.describe());
        return pod;
    }

    private static PodOutput join(CompletableFuture<PodOutput> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    /**
     * The pod's active snapshot on top of the image. Active, not a read-only view: runc makes the mount points
     * ({@value OciSpec#CODE_MOUNT}, ...) in it before it makes the root read-only.
     */
    private List<Mount> snapshot(String id, ImageStore.Resolved img, Map<String, String> labels, PodSpec spec) {
        try {
            return ContainerSteps.snapshot(engine, settings, id, img.chainId(), labels);
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
                throw new SandboxException("a snapshot " + id + " for pod " + spec.podId() + " already exists in "
                        + engine.where() + "; restart the node (its orphan removal removes it) or remove it: ctr -a "
                        + settings.address() + " -n " + settings.namespace() + " snapshots rm " + id, e);
            }
            throw e;
        }
    }

    /** From the task's cgroup (v1 or v2), found once per pod through the task's pid. */
    @Override
    public java.util.Optional<dev.nest.spi.PodUsage> usage(Pod pod) {
        return pod instanceof ContainerdPod c ? c.usage(dev.nest.spi.UsageReader.SYSTEM) : java.util.Optional.empty();
    }

    @Override
    public DriverHealth health() {
        engine.resetBackoff();
        VersionResponse v;
        try {
            v = engine.call("version", () -> engine.version(HEALTH_TIMEOUT).version(Empty.getDefaultInstance()));
        } catch (StatusRuntimeException e) {
            return DriverHealth.down(engine.where() + " answers the version call with an error (" + ContainerdEngine.reason(e)
                    + "); check containerd's log (e.g. /var/log/nest-containerd.log)");
        } catch (SandboxException e) {
            return DriverHealth.down(e.getMessage());
        }
        for (Map.Entry<String, String> missing : List.copyOf(missingImages.entrySet())) {
            try {
                images.resolve(missing.getKey(), "?");
                missingImages.remove(missing.getKey());
            } catch (SandboxException e) {
                return DriverHealth.down(missing.getValue());
            }
        }
        return DriverHealth.ok("containerd " + v.getVersion() + " at " + settings.address() + ", namespace "
                + settings.namespace() + ", " + pods.size() + " containers of this node"
                + prepared.map(p -> ", " + p.size() + " prepared").orElse(""));
    }

    /** Removes this node's containers, leases and snapshots that no running pod owns, and the code directories of gone pods. */
    @Override
    public int removeOrphans(String nodeId) {
        codeDirs.removeOrphans();
        String filter = "labels.\"" + PodLabels.OWNER + "\"==nest,labels.\"" + PodLabels.NODE + "\"==" + quoted(nodeId);
        List<Container> found;
        List<Lease> leases;
        try {
            found = engine.call("list the containers of node " + nodeId, () -> engine.containers()
                    .list(ListContainersRequest.newBuilder().addFilters(filter).build())).getContainersList();
            leases = engine.call("list the leases of node " + nodeId, () -> engine.leases()
                    .list(ListRequest.newBuilder().addFilters(filter).build())).getLeasesList();
        } catch (StatusRuntimeException | SandboxException e) {
            LOG.warning("cannot look for orphaned containers of node " + nodeId + " in " + engine.where() + ": "
                    + (e instanceof StatusRuntimeException s ? ContainerdEngine.reason(s) : e.getMessage()));
            return 0;
        }
        Set<String> running = ConcurrentHashMap.newKeySet();
        pods.values().forEach(p -> running.add(p.containerId()));
        prepared.ifPresent(p -> running.addAll(p.ids()));
        int removed = 0;
        Set<String> done = new java.util.HashSet<>();
        for (String orphan : orphans(found, running, nodeId)) {
            Container c = found.stream().filter(x -> x.getId().equals(orphan)).findFirst().orElseThrow();
            done.add(c.getId());
            try {
                new Resources(c.getId(), c.getSnapshotter().isEmpty() ? settings.snapshotter() : c.getSnapshotter()).remove(engine);
                removed++;
            } catch (SandboxException e) {
                LOG.warning("cannot remove orphaned container " + c.getId() + " of node " + nodeId + ": " + e.getMessage());
            }
            deleteState(c.getId());
        }
        // a start that crashed before its container record: the lease (and the snapshot it holds) only
        for (Lease l : leases) {
            if (running.contains(l.getId()) || done.contains(l.getId()) || !nodeId.equals(l.getLabelsMap().get(PodLabels.NODE))) {
                continue;
            }
            try {
                new Resources(l.getId(), settings.snapshotter()).remove(engine);
            } catch (SandboxException e) {
                LOG.warning("cannot remove orphaned lease " + l.getId() + " of node " + nodeId + ": " + e.getMessage());
            }
            deleteState(l.getId());
        }
        return removed;
    }

    /**
     * The containers of {@code found} that node {@code nodeId} owns and that no live pod or prepared container of
     * this driver ({@code live}) uses: those of pods of a previous run of the node, and its prepared containers,
     * never used. Pure.
     */
    static List<String> orphans(List<Container> found, Set<String> live, String nodeId) {
        return found.stream().filter(c -> !live.contains(c.getId()) && PodLabels.ownedBy(c.getLabelsMap(), nodeId))
                .map(Container::getId).toList();
    }

    /** A filter value in containerd's filter syntax: quoted unless it is a plain word. */
    static String quoted(String value) {
        if (value.matches("[A-Za-z0-9_]+")) {
            return value;
        }
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private void deleteState(String id) {
        try {
            CodeViews.deleteTree(stateDir.resolve(id));
        } catch (IOException e) {
            LOG.log(Level.FINE, "cannot delete " + stateDir.resolve(id), e);
        }
    }

    @Override
    public String pathInPod(PodSpec spec, Path hostPath) {
        return codeDirs.pathInPod(spec, containerOfPod.getOrDefault(spec.podId(), containerId(spec.podId())), hostPath);
    }

    @Override
    public void close() {
        closed = true;
        preparing.shutdownNow();
        prepared.ifPresent(PreparedContainers::close);
        PodStop.all(pods.values(), Duration.ofSeconds(2), () -> {
            helpers.shutdownNow();
            engine.close();
        });
    }

    /** Milliseconds per phase of one start, for {@link Pod#describe()} and profiling. */
    static final class Timings {
        private final StringBuilder sb = new StringBuilder();
        private long last = System.nanoTime();

        void lap(String phase) {
            long now = System.nanoTime();
            sb.append(sb.isEmpty() ? "" : ", ").append(phase).append(' ')
                    .append(String.format(Locale.ROOT, "%.1f", (now - last) / 1e6)).append(" ms");
            last = now;
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }
}
