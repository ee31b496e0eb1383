package dev.nest.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A pod to create.
 *
 * @param podId       unique id, also the container name suffix
 * @param runtime     runtime name
 * @param image       container image (container drivers)
 * @param command     host argv for drivers that launch the host themselves (process driver)
 * @param env         environment of the host, including the contract's {@code NEST_HOST_*} variables
 * @param runtimeDir  the runtime's folder on this machine
 * @param codeRoot    the node's code directory, mounted read-only into container pods
 * @param address     loopback address the host binds
 * @param port        port the host binds (assigned by the node agent)
 * @param memoryBytes memory limit
 * @param cpus        CPU quota in cores
 * @param pids        process/thread limit
 * @param labels      labels to attach (function, version, node, owner)
 * @param workDir     a per-pod writable scratch directory on this machine
 */
public record PodSpec(String podId, String runtime, String image, List<String> command, Map<String, String> env,
                      Path runtimeDir, Path codeRoot, String address, int port, long memoryBytes, double cpus,
                      int pids, Map<String, String> labels, Path workDir) {
    public PodSpec {
        command = List.copyOf(command);
        env = Map.copyOf(env);
        labels = Map.copyOf(labels);
    }
}
