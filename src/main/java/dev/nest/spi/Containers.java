package dev.nest.spi;

import java.nio.file.Path;

/**
 * What drivers whose pods are containers (docker, containerd) check and compute the same way: the preconditions of
 * a start and the path under which a pod sees a directory of the node's code root (its code directory, mounted
 * read-only at one mount point, holds the versions loaded into it at the same relative paths: {@link PodCodeDirs}).
 *
 * <p>Failure: each check throws a {@link SandboxException} whose message says what to change. Stateless and
 * thread-safe.
 */
public final class Containers {
    /** The least memory a container pod may ask for. */
    public static final long MIN_MEMORY = 6L * 1024 * 1024;

    private Containers() {
    }

    /**
     * Checks that driver {@code driver} of node {@code nodeId} may start {@code spec} with {@code image}: the driver is
     * not {@code closed}, the runtime names an image (else the message points to {@code optionsPrefix + "image."}),
     * and the pod asks for at least {@link #MIN_MEMORY}.
     */
    public static void checkStart(String driver, String nodeId, boolean closed, PodSpec spec, String image,
                                  String optionsPrefix) {
        if (closed) {
            throw new SandboxException("the " + driver + " driver of node " + nodeId + " is closed; cannot start pod " + spec.podId());
        }
        if (image.isBlank()) {
            throw new SandboxException("runtime " + spec.runtime() + " names no image: set image: in its runtime.yaml or "
                    + optionsPrefix + "image." + spec.runtime() + " in nest.yaml");
        }
        if (spec.memoryBytes() < MIN_MEMORY) {
            throw new SandboxException("pod " + spec.podId() + " asks for " + spec.memoryBytes() + " bytes of memory; "
                    + "containers need at least 6 MiB: raise the function's memory");
        }
    }

    /**
     * The path under which a pod of driver {@code driver} sees {@code hostPath}, a path under {@code spec.codeRoot()},
     * when the pod's code directory is mounted at {@code mount}; a path outside the code root is refused.
     */
    public static String pathInPod(String driver, PodSpec spec, Path hostPath, String mount) {
        Path root = spec.codeRoot().toAbsolutePath().normalize();
        Path p = hostPath.toAbsolutePath().normalize();
        if (!p.startsWith(root)) {
            throw new SandboxException(hostPath + " is not under the node's code directory " + root
                    + ", the only host directory whose code " + driver + " pods can see");
        }
        String rel = root.relativize(p).toString().replace('\\', '/');
        return rel.isEmpty() ? mount : mount + "/" + rel;
    }
}
