package dev.nest.driver.docker;

import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Volume;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs each pod as a hardened container of its runtime's image, through the Docker engine API.
 *
 * <p>Every container: host networking (the host binds the loopback port the node agent assigned; no bridge,
 * no NAT), user 65534:65534, read-only root filesystem with a writable tmpfs on {@code /tmp}, all
 * capabilities dropped, no-new-privileges, memory limit = the function's memory with no swap, a CPU quota, a
 * pids limit, its own code directory ({@link PodCodeDirs}: {@code <data>/docker/pods/<container>/code}, empty at
 * the start) bind-mounted read-only at {@value #CODE_MOUNT}, the pod's labels plus {@code dev.nest.owner=nest},
 * {@code dev.nest.node=<node>} and {@code dev.nest.pod=<pod>}. Its command is the image's entrypoint (the runtime
 * host), configured by the contract's environment variables. {@link #pathInPod} links a code version into the
 * pod's code directory when the version is loaded into it, so a container sees the code of the versions it hosts
 * and no other function's.
 * With {@code host-socket: true} each pod also gets its host socket directory ({@link PodHostSockets}:
 * {@code <data>/docker/pods/<container>/host}, the container user's alone) bind-mounted read-write at
 * {@value PodHostSockets#MOUNT}, {@code NEST_HOST_SOCKET} naming the socket in it and {@link Pod#hostSocket()} its
 * node-side path; the container user's uid on the node comes from {@link #nodeUid(List, String)}.
 *
 * <p>Failures: a missing image, an engine that is down or a socket that is wrong make {@link #start} throw a
 * {@link SandboxException} naming the image or socket and what to do, and {@link #health()} report down;
 * every engine call is bounded by {@code sidecar.drivers.docker.timeout}. Leftovers of a crashed node are
 * found by their labels ({@link #removeOrphans}); containers of other nodes or of anything else are never
 * touched; the code directories of gone pods are deleted with them.
 *
 * <p>Thread-safe: pods are started and stopped from many threads at once; output and exits are reported on
 * docker-java's stream threads.
 */
final class DockerSandboxDriver implements SandboxDriver {
    private static final Logger LOG = Logger.getLogger(DockerSandboxDriver.class.getName());
    static final String CODE_MOUNT = "/nest/code";
    static final String USER = "65534:65534";
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(3);

    private final String nodeId;
    private final DockerSettings settings;
    private final DockerEngine engine;
    private final PodCodeDirs codeDirs;
    private final PodHostSockets sockets;
    /** The containers' uid as the node sees it, once the engine said whether it remaps users; null until then. */
    private volatile OptionalInt nodeUid;
    private final Map<String, DockerPod> pods = new ConcurrentHashMap<>();
    /** Images a start found missing; {@link #health()} reports them until they appear. */
    private final Set<String> missingImages = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** @param podsDir where the pods' code directories live ({@code <data>/docker/pods}) */
    DockerSandboxDriver(String nodeId, DockerSettings settings, Path podsDir) {
        this.nodeId = nodeId;
        this.settings = settings;
        this.engine = new DockerEngine(settings);
        this.codeDirs = new PodCodeDirs("docker", podsDir, CODE_MOUNT);
        this.sockets = new PodHostSockets("docker", settings.hostSocket(), PodHostSockets.processUid(),
                PodHostSockets.Owner.SYSTEM);
    }

    /**
     * The uid the containers' processes ({@value #USER}) run as on the node: asked of the engine once (whether it
     * remaps users into a user namespace, and where), not known while the engine cannot be asked.
     */
    private OptionalInt nodeUid() {
        OptionalInt known = nodeUid;
        if (known != null || !settings.hostSocket()) {
            return known == null ? OptionalInt.empty() : known;
        }
        try {
            var info = engine.call("info", HEALTH_TIMEOUT, c -> c.infoCmd().exec());
            known = nodeUid(info.getSecurityOptions() == null ? List.of() : info.getSecurityOptions(),
                    info.getDockerRootDir() == null ? "" : info.getDockerRootDir());
            nodeUid = known;
            return known;
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "cannot ask the Docker engine whether it remaps users", e);
            return OptionalInt.empty();
        }
    }

    /**
     * The node-side uid of a container process running as uid 65534, from the engine's security options and root
     * directory: 65534 without a user namespace; with {@code userns-remap} the engine's root directory ends in
     * {@code <first uid>.<first gid>} of the remapped range and the uid is that plus 65534; empty when the remapped
     * range cannot be read from it. Pure.
     */
    static OptionalInt nodeUid(List<String> securityOptions, String dockerRootDir) {
        int uid = Integer.parseInt(USER.substring(0, USER.indexOf(':')));
        boolean remapped = securityOptions.stream().anyMatch(o -> o.equals("userns") || o.contains("name=userns"));
        if (!remapped) {
            return OptionalInt.of(uid);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("/([0-9]{1,10})\\.([0-9]{1,10})/?$").matcher(dockerRootDir);
        if (!m.find()) {
            return OptionalInt.empty();
        }
        long base = Long.parseLong(m.group(1));
        return base + uid > Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of((int) (base + uid));
    }

    @Override
    public String name() {
        return "docker";
    }

    @Override
    public Pod start(PodSpec spec, PodListener listener) {
        String image = settings.image(spec.runtime()).orElse(spec.image() == null ? "" : spec.image());
        Containers.checkStart("docker", nodeId, closed, spec, image, DockerSettings.PREFIX);
        String name = containerName(spec.podId());
        Map<String, String> labels = PodLabels.of(spec, nodeId);
        List<String> env = new ArrayList<>();
        spec.env().forEach((k, v) -> env.add(k + "=" + v));
        Path codeDir = codeDirs.create(name);
        Optional<Path> socket = sockets.create(codeDir.getParent(), nodeUid());
        if (socket.isPresent()) {
            env.add(PodHostSockets.VARIABLE + "=" + PodHostSockets.IN_POD);
        }
        HostConfig host = hostConfig(settings, spec, codeDir, socket);

        String containerId;
        try {
            CreateContainerResponse created = engine.call("create container " + name, c -> c.createContainerCmd(image)
                    .withName(name).withUser(USER).withEnv(env).withLabels(labels).withHostConfig(host).exec());
            containerId = created.getId();
        } catch (RuntimeException e) {
            codeDirs.remove(name);
            throw createFailed(e, spec, name, image);
        }
        missingImages.remove(image);

        DockerPod pod = new DockerPod(spec.podId(), containerId, name, image, spec.memoryBytes(), engine, socket);
        try {
            engine.call("start container " + name, c -> c.startContainerCmd(containerId).exec());
        } catch (DockerException | SandboxException e) {
            removeQuietly(containerId, name);
            codeDirs.remove(name);
            if (e instanceof SandboxException se) {
                throw se;
            }
            throw new SandboxException("cannot start container " + name + " of pod " + spec.podId() + " (image " + image
                    + "): " + message((DockerException) e), e);
        }
        pods.put(spec.podId(), pod);
        pod.exited().whenComplete((code, error) -> {
            pods.remove(spec.podId(), pod);
            codeDirs.remove(name);
        });
        pod.watch(listener);
        return pod;
    }

    /** What a start reports when the engine would not create the container. */
    private RuntimeException createFailed(RuntimeException failure, PodSpec spec, String name, String image) {
        return switch (failure) {
            case NotFoundException e -> {
                missingImages.add(image);
                yield new SandboxException(missingImage(image, spec.runtime()), e);
            }
            case ConflictException e -> new SandboxException("a container named " + name + " already exists in the Docker "
                    + "engine at " + engine.endpoint() + " (" + e.getMessage().trim() + "); remove it (docker rm -f " + name + ")", e);
            case DockerException e -> new SandboxException("the Docker engine at " + engine.endpoint() + " refused to create "
                    + "the container of pod " + spec.podId() + " (image " + image + "): " + message(e), e);
            default -> failure;
        };
    }

    /**
     * The container's host config: the hardening, the limits, the code directory read-only at {@value #CODE_MOUNT}
     * and, when the pod has a host socket, its directory read-write at {@value PodHostSockets#MOUNT}. Pure.
     */
    static HostConfig hostConfig(DockerSettings settings, PodSpec spec, Path codeDir, Optional<Path> socket) {
        List<Bind> binds = new ArrayList<>();
        binds.add(new Bind(codeDir.toString(), new Volume(CODE_MOUNT), AccessMode.ro));
        // the socket directory itself, not the short link the node may connect through (SocketLinks)
        socket.ifPresent(s -> binds.add(new Bind(PodHostSockets.directory(codeDir.getParent()).toString(),
                new Volume(PodHostSockets.MOUNT), AccessMode.rw)));
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode("host")
                .withReadonlyRootfs(true)
                .withTmpFs(Map.of("/tmp", "rw,nosuid,nodev,size=" + settings.tmpfsSize() + ",mode=1777"))
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withMemory(spec.memoryBytes())
                .withMemorySwap(spec.memoryBytes())
                .withPidsLimit((long) spec.pids())
                .withBinds(binds)
                .withInit(settings.init())
                .withLogConfig(new LogConfig(LogConfig.LoggingType.JSON_FILE,
                        Map.of("max-size", settings.logMaxSize(), "max-file", "1")));
        if (spec.cpus() > 0) {
            host.withNanoCPUs(Math.round(spec.cpus() * 1e9));
        }
        return host;
    }

    /** {@code nest-<pod id>}, with characters Docker does not allow in names replaced. */
    static String containerName(String podId) {
        return "nest-" + podId.replaceAll("[^a-zA-Z0-9_.-]", "-");
    }

    private String missingImage(String image, String runtime) {
        return "image " + image + " (runtime " + runtime + ") is not in the Docker engine at " + engine.endpoint()
                + "; build the runtime images with distribution/images/build.sh (or distribution/setup-engines.sh), "
                + "or set " + DockerSettings.PREFIX + "image." + runtime + " to an image the engine has";
    }

    private static String message(DockerException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage().trim();
        // docker-java prefixes "Status 500: {"message":"..."}": keep the engine's own words
        int i = m.indexOf("\"message\":\"");
        if (i >= 0) {
            int end = m.lastIndexOf('"');
            if (end > i + 11) {
                m = m.substring(i + 11, end);
            }
        }
        return m;
    }

    private void removeQuietly(String containerId, String name) {
        try {
            engine.call("remove container " + name, c -> c.removeContainerCmd(containerId).withForce(true).exec());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot remove container " + name + " (left for the next orphan removal): " + e.getMessage());
        }
    }

    /** From the container's cgroup (v1 or v2), found once per pod through its main pid. */
    @Override
    public java.util.Optional<dev.nest.spi.PodUsage> usage(Pod pod) {
        return pod instanceof DockerPod d ? d.usage(dev.nest.spi.UsageReader.SYSTEM) : java.util.Optional.empty();
    }

    @Override
    public DriverHealth health() {
        try {
            engine.call("ping", HEALTH_TIMEOUT, c -> c.pingCmd().exec());
        } catch (DockerException e) {
            return DriverHealth.down("the Docker engine at " + engine.endpoint() + " answers ping with an error ("
                    + message(e) + "); check dockerd (docker info)");
        } catch (SandboxException e) {
            return DriverHealth.down(e.getMessage());
        }
        for (String image : List.copyOf(missingImages)) {
            try {
                engine.call("inspect image " + image, HEALTH_TIMEOUT, c -> c.inspectImageCmd(image).exec());
                missingImages.remove(image);
            } catch (NotFoundException e) {
                return DriverHealth.down("image " + image + " is not in the Docker engine at " + engine.endpoint()
                        + "; build the runtime images with distribution/images/build.sh");
            } catch (RuntimeException e) {
                return DriverHealth.down(e.getMessage());
            }
        }
        return DriverHealth.ok("Docker engine at " + engine.endpoint() + ", " + pods.size() + " containers of this node");
    }

    /** Removes this node's containers that no running pod of this driver owns, and the code directories of gone pods. */
    @Override
    public int removeOrphans(String nodeId) {
        codeDirs.removeOrphans();
        List<Container> found;
        try {
            found = engine.call("list the containers of node " + nodeId, c -> c.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(PodLabels.OWNER, "nest", PodLabels.NODE, nodeId)).exec());
        } catch (DockerException | SandboxException e) {
            LOG.warning("cannot look for orphaned containers of node " + nodeId + ": " + e.getMessage());
            return 0;
        }
        Set<String> running = ConcurrentHashMap.newKeySet();
        pods.values().forEach(p -> running.add(p.containerId()));
        int removed = 0;
        for (Container c : found) {
            if (running.contains(c.getId()) || !PodLabels.ownedBy(c.getLabels() == null ? Map.of() : c.getLabels(), nodeId)) {
                continue;
            }
            try {
                engine.call("remove orphaned container " + c.getId(), d -> d.removeContainerCmd(c.getId()).withForce(true)
                        .withRemoveVolumes(true).exec());
                removed++;
            } catch (NotFoundException gone) {
                // removed meanwhile
            } catch (DockerException | SandboxException e) {
                LOG.warning("cannot remove orphaned container " + c.getId() + " of node " + nodeId + ": " + e.getMessage());
            }
        }
        return removed;
    }

    @Override
    public String pathInPod(PodSpec spec, Path hostPath) {
        return codeDirs.pathInPod(spec, containerName(spec.podId()), hostPath);
    }

    @Override
    public void close() {
        closed = true;
        PodStop.all(pods.values(), Duration.ofSeconds(2), engine::close);
    }
}
