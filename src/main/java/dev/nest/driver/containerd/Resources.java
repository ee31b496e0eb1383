package dev.nest.driver.containerd;

import containerd.services.containers.v1.DeleteContainerRequest;
import containerd.services.leases.v1.DeleteRequest;
import containerd.services.snapshots.v1.RemoveSnapshotRequest;
import containerd.services.tasks.v1.DeleteTaskRequest;
import containerd.services.tasks.v1.KillRequest;
import containerd.services.tasks.v1.WaitRequest;
import dev.nest.spi.SandboxException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What one pod holds in containerd, all named after its container id: a lease, a snapshot (the root
 * filesystem), a container record and a task (the running shim and processes).
 *
 * @param containerId the container id (also the snapshot key and the lease id)
 * @param snapshotter the snapshotter of the snapshot
 */
record Resources(String containerId, String snapshotter) {
    String snapshotKey() {
        return containerId;
    }

    String leaseId() {
        return containerId;
    }

    /**
     * Removes the task (killing what still runs in it), the container, the snapshot and the lease; any that is
     * not there is skipped. The container record goes only once its task is gone, so that a task that could not be
     * deleted stays findable by its container's labels (containerd cannot delete a task without its container);
     * the snapshot and the lease are tried either way (without the lease, the garbage collector takes an
     * unreferenced snapshot).
     *
     * @throws SandboxException some step failed (containerd down, or it refused); the message lists them
     */
    void remove(ContainerdEngine engine) {
        List<String> problems = new ArrayList<>();
        if (step(problems, "delete task", () -> engine.call("delete task " + containerId, () -> deleteTask(engine)))) {
            step(problems, "delete container", () -> engine.call("delete container " + containerId, () -> engine.containers()
                    .delete(DeleteContainerRequest.newBuilder().setId(containerId).build())));
        }
        step(problems, "remove snapshot", () -> engine.call("remove snapshot " + containerId, () -> engine.snapshots()
                .remove(RemoveSnapshotRequest.newBuilder().setSnapshotter(snapshotter).setKey(snapshotKey()).build())));
        step(problems, "delete lease", () -> engine.call("delete lease " + containerId, () -> engine.leases()
                .delete(DeleteRequest.newBuilder().setId(leaseId()).build())));
        if (!problems.isEmpty()) {
            throw new SandboxException(engine.where() + " could not remove everything of container " + containerId + ": "
                    + String.join("; ", problems));
        }
    }

    /** Deletes the task; one that still runs gets SIGKILL (all processes) and is waited for first. */
    private Object deleteTask(ContainerdEngine engine) {
        try {
            return engine.tasks().delete(DeleteTaskRequest.newBuilder().setContainerId(containerId).build());
        } catch (StatusRuntimeException e) {
            // containerd refuses a running task with UNKNOWN ("cannot delete a running process"), not a status of its own
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND || e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                throw e;
            }
        }
        // still running (or created, never started)
        try {
            engine.tasks().kill(KillRequest.newBuilder().setContainerId(containerId).setSignal(9).setAll(true).build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                throw e;
            }
        }
        engine.tasks(Duration.ofSeconds(10)).wait(WaitRequest.newBuilder().setContainerId(containerId).build());
        return engine.tasks().delete(DeleteTaskRequest.newBuilder().setContainerId(containerId).build());
    }

    /** Runs one step; whether it succeeded (or found nothing to remove). */
    private static boolean step(List<String> problems, String what, Supplier<Object> op) {
        try {
            op.get();
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return true;
            }
            problems.add(what + ": " + ContainerdEngine.reason(e));
        } catch (SandboxException e) {
            problems.add(what + ": " + e.getMessage());
        }
        return false;
    }
}
