package dev.nest.driver.containerd;

import com.fasterxml.jackson.databind.node.ObjectNode;
import containerd.types.Mount;
import dev.nest.spi.CodeViews;
import dev.nest.spi.PodCodeDirs;
import dev.nest.spi.PodHostSockets;
import dev.nest.spi.PodLabels;
import dev.nest.spi.PodSpec;
import dev.nest.spi.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Makes and removes the containerd driver's {@link Prepared} containers: the steps of a start up to and including
 * the task's creation (lease, snapshot on the image, container record, output FIFOs, task), for a pod not known yet.
 * The container is named {@code nest-prep-<node>-<random>} and labelled with the node's owner labels and
 * {@value Prepared#LABEL}; its spec is the pod spec of its {@link PreparedContainers.Shape} (image, limits, the
 * driver's hardening) without the pod's environment, which {@link Prepared#writeEnv} gives at the start. Its host
 * socket directory ({@link PodHostSockets}) is made and mounted here, so a pod started in it has one as any other.
 *
 * <p>A make that fails removes what it made (left for orphan removal if that fails too) and throws. Called on the
 * driver's preparing thread; {@link #discard} from any thread.
 */
final class ContainerdPreparer implements PreparedContainers.Maker<Prepared> {
    private static final Logger LOG = Logger.getLogger(ContainerdPreparer.class.getName());

    private final String nodeId;
    private final ContainerdSettings settings;
    private final Path stateDir;
    private final ContainerdEngine engine;
    private final ImageStore images;
    private final PodCodeDirs codeDirs;
    private final PodHostSockets sockets;
    private final Optional<Path> init;
    private final Optional<String> shimGroup;

    ContainerdPreparer(String nodeId, ContainerdSettings settings, Path stateDir, ContainerdEngine engine, ImageStore images,
                       PodCodeDirs codeDirs, PodHostSockets sockets, Optional<Path> init, Optional<String> shimGroup) {
        this.sockets = sockets;
        this.nodeId = nodeId;
        this.settings = settings;
        this.stateDir = stateDir;
        this.engine = engine;
        this.images = images;
        this.codeDirs = codeDirs;
        this.init = init;
        this.shimGroup = shimGroup;
    }

    @Override
    public Prepared make(PreparedContainers.Shape shape) {
        String id = ContainerdSandboxDriver.containerId("prep-" + nodeId + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
        Resources res = new Resources(id, settings.snapshotter());
        Map<String, String> ours = Map.of(PodLabels.OWNER, "nest", PodLabels.NODE, nodeId);
        Map<String, String> labels = new LinkedHashMap<>(ours);
        labels.put(Prepared.LABEL, "true");
        PodOutput output = null;
        boolean leased = false;
        try {
            ContainerSteps.lease(engine, id, ours);
            leased = true;
            ImageStore.Resolved img = images.resolve(shape.image(), "?");
            List<Mount> mounts = ContainerSteps.snapshot(engine, settings, id, img.chainId(), ours);
            Path code = codeDirs.create(id);
            Optional<Path> socket = sockets.create(code.getParent(), java.util.OptionalInt.of(OciSpec.UID));
            Prepared.Forwarding listener = new Prepared.Forwarding();
            output = PodOutput.create(id, stateDir.resolve(id), listener);
            Path envDir = Files.createDirectories(stateDir.resolve(id).resolve("env"));
            EnvAccess access = EnvAccess.of((Integer) Files.getAttribute(envDir, "unix:uid"),
                    (Integer) Files.getAttribute(envDir, "unix:gid"));
            PodSpec spec = new PodSpec(id, "", shape.image(), List.of(), Map.of(), envDir, envDir, "127.0.0.1", 0,
                    shape.memoryBytes(), shape.cpus(), shape.pids(), Map.of(), envDir);
            ObjectNode oci = OciSpec.build(id, spec, code, img.config(), settings.tmpfsBytes(), init, shimGroup);
            Prepared.lateEnvironment(oci, envDir, init.isPresent(), access);
            socket.ifPresent(s -> OciSpec.hostSocket(oci, PodHostSockets.directory(code.getParent())));
            ContainerSteps.container(engine, settings, res, shape.image(), labels, OciSpec.bytes(oci));
            PodOutput out = output;
            out.open();
            var created = ContainerSteps.task(engine, id, mounts, out);
            return new Prepared(res, img.chainId(), out, listener, envDir, access, created.getPid(), socket);
        } catch (IOException | RuntimeException e) {
            if (output != null) {
                output.close();
            }
            codeDirs.remove(id);
            if (leased) {
                try {
                    res.remove(engine);
                } catch (SandboxException cleanup) {
                    LOG.warning("cannot remove what the failed preparation of container " + id + " made (left for the "
                            + "next orphan removal): " + cleanup.getMessage());
                }
            }
            if (e instanceof SandboxException se) {
                throw se;
            }
            throw new SandboxException("containerd refused to prepare a container of image " + shape.image() + " ("
                    + engine.where() + "): " + (e instanceof IOException ? e.getMessage() : ContainerdEngine.reason(e)), e);
        }
    }

    @Override
    public String id(Prepared p) {
        return p.containerId();
    }

    @Override
    public String imageContent(Prepared p) {
        return p.imageContent();
    }

    @Override
    public void discard(Prepared p) {
        try {
            p.resources().remove(engine);
        } catch (SandboxException e) {
            LOG.warning("cannot remove prepared container " + p.containerId() + " (left for the next orphan removal): "
                    + e.getMessage());
        }
        p.output().release();
        p.output().close();
        codeDirs.remove(p.containerId());
        try {
            CodeViews.deleteTree(stateDir.resolve(p.containerId()));
        } catch (IOException e) {
            LOG.log(Level.FINE, "cannot delete " + stateDir.resolve(p.containerId()), e);
        }
    }
}
