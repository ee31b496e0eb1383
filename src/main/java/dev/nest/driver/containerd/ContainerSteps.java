package dev.nest.driver.containerd;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import containerd.services.containers.v1.Container;
import containerd.services.containers.v1.CreateContainerRequest;
import containerd.services.leases.v1.CreateRequest;
import containerd.services.snapshots.v1.PrepareSnapshotRequest;
import containerd.services.tasks.v1.CreateTaskRequest;
import containerd.services.tasks.v1.CreateTaskResponse;
import containerd.types.Mount;
import java.util.List;
import java.util.Map;

/**
 * The containerd calls a pod start ({@link ContainerdSandboxDriver#start}) and a preparation
 * ({@link ContainerdPreparer#make}) share: the lease, the snapshot on the image, the container record and the task,
 * each under the engine's deadline. Each throws what {@link ContainerdEngine#call} throws; the caller removes what
 * the steps before made. Stateless; callable from any thread.
 */
final class ContainerSteps {
    private ContainerSteps() {
    }

    /** A lease named {@code id}, so that the garbage collector keeps what the next steps make. */
    static void lease(ContainerdEngine engine, String id, Map<String, String> labels) {
        engine.call("create lease " + id, () -> engine.leases().create(CreateRequest.newBuilder().setId(id)
                .putAllLabels(labels).build()));
    }

    /** The active snapshot {@code id} on the image's top layer {@code chainId}, under the lease; its mounts. */
    static List<Mount> snapshot(ContainerdEngine engine, ContainerdSettings settings, String id, String chainId,
                                Map<String, String> labels) {
        return engine.call("prepare snapshot " + id, () -> ContainerdEngine.leased(engine.snapshots(), id).prepare(
                PrepareSnapshotRequest.newBuilder().setSnapshotter(settings.snapshotter()).setKey(id).setParent(chainId)
                        .putAllLabels(labels).build())).getMountsList();
    }

    /** The container record {@code res} of {@code image} with the OCI spec {@code oci}, under the lease. */
    static void container(ContainerdEngine engine, ContainerdSettings settings, Resources res, String image,
                          Map<String, String> labels, byte[] oci) {
        String id = res.containerId();
        Container container = Container.newBuilder().setId(id).putAllLabels(labels).setImage(image)
                .setRuntime(Container.Runtime.newBuilder().setName(settings.runtime()))
                .setSpec(Any.newBuilder().setTypeUrl(OciSpec.TYPE_URL).setValue(ByteString.copyFrom(oci)))
                .setSnapshotter(settings.snapshotter()).setSnapshotKey(res.snapshotKey()).build();
        engine.call("create container " + id, () -> ContainerdEngine.leased(engine.containers(), id)
                .create(CreateContainerRequest.newBuilder().setContainer(container).build()));
    }

    /** The task of container {@code id} (shim and {@code runc create}), its output to {@code out}'s FIFOs. */
    static CreateTaskResponse task(ContainerdEngine engine, String id, List<Mount> mounts, PodOutput out) {
        return engine.call("create task " + id, () -> engine.tasks().create(CreateTaskRequest.newBuilder()
                .setContainerId(id).addAllRootfs(mounts).setStdout(out.stdout().toString())
                .setStderr(out.stderr().toString()).build()));
    }
}
